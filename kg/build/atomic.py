"""Atomic replacement of an output folder.

Everything is written into a fresh temporary folder beside the output folder; only when
the writing has finished without an error does it take the output folder's place, in one
step: an atomic ``renameat2(RENAME_EXCHANGE)`` where the kernel offers it, otherwise two
renames. A failed or interrupted write removes its temporary folder and leaves the
previous output folder whole.

A build killed before it could remove its temporary folder leaves it behind: the next
build into the same output removes such leftovers (:func:`prepare_output`), but only
those no live build owns. A temporary folder's name holds its build's process id, and
the build holds an exclusive ``flock`` on the folder while it writes; a leftover is
removed only when that process no longer runs and the lock can be taken, so two
concurrent builds into one output never remove each other's folder. An output that
cannot be written (read-only, full, no permission) is an :class:`OutputError` naming the
path and the operating system's reason.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: Errors that say the output cannot be written whatever file is written (the error of
#: a failed write() names no file).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


class OutputError(Exception):
    """The output folder cannot be written: its path and the operating system's reason."""

    def __init__(self, out: Path, exc: OSError) -> None:
        where = _as_published(out, exc.filename) if exc.filename is not None else out
        super().__init__(
            f"cannot write the output folder {out}: {exc.strerror or exc} ({where}); "
            f"the previous {out.name}/ is left as it was"
        )
        self.out, self.path, self.reason = out, where, exc.strerror or str(exc)


def _as_published(out: Path, filename: str | bytes | int) -> Path:
    """A path in a build's temporary folder as it would have been in ``out`` (the
    temporary folder is gone by the time the error is read)."""
    path = Path(os.path.abspath(os.fsdecode(filename)))  # type: ignore[arg-type]
    if path.parent == out.parent and path.name.startswith(_temp_prefix(out)):
        return out
    for folder in path.parents:
        if folder.parent == out.parent and folder.name.startswith(_temp_prefix(out)):
            # a scratch file (scratch_folder) is never published: named where it was
            return path if _SCRATCH in folder.name else out / path.relative_to(folder)
    return path


#: What follows the process id in the name of a build's scratch folder.
_SCRATCH = "-scratch-"


def _temp_prefix(out: Path) -> str:
    """How the temporary folders of builds into ``out`` begin (the process id follows)."""
    return f".{out.name}.tmp-"


def prepare_output(out: Path) -> None:
    """Before a build's stages run: create the output's parent folder, remove the
    temporary folders killed builds left beside ``out`` (none a live build owns), and
    make sure a folder can be created there, so that a read-only or missing target fails
    at once, not after every stage. OutputError when it cannot."""
    out = Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)
        probe = tempfile.mkdtemp(prefix=f"{_temp_prefix(out)}{os.getpid()}-", dir=out.parent)
    except OSError as exc:
        raise OutputError(out, exc) from exc
    Path(probe).rmdir()


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the temporary folders beside ``out`` that no live build owns (its process
    has ended and its lock is free); the folders removed."""
    removed = []
    for folder in sorted(out.parent.glob(_temp_prefix(out) + "*")):
        pid = folder.name[len(_temp_prefix(out)) :].partition("-")[0]
        if not folder.is_dir() or folder.is_symlink() or (pid.isdigit() and _alive(int(pid))):
            continue
        with _locked(folder, wait=False) as mine:
            if mine:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (as far as this process can see)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextmanager
def _locked(folder: Path, wait: bool = True) -> Iterator[bool]:
    """An exclusive flock on ``folder`` for the block: whether it was taken (without
    ``wait``, False when another process holds it, or the file system has no locks)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@contextmanager
def atomic_folder(out: Path, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """A fresh temporary folder beside ``out`` for the block to write into. When the
    block ends without an exception the folder takes the place of ``out`` in one step
    (the previous ``out`` is then removed); when it raises, the folder is removed and
    ``out`` left as it was. ``keep``: subfolders of the previous ``out`` carried into
    the new one (hard links: their files are never rewritten in place) unless the block
    wrote its own. A write the file system refuses raises OutputError."""
    out = Path(os.path.abspath(out))
    tmp: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(out)}{os.getpid()}-", dir=out.parent))
        with _locked(tmp):  # ours while we write: see remove_leftovers
            tmp.chmod(0o755)
            yield tmp
            for name in keep:
                _carry(out / name, tmp / name)
            tmp = _swap_in(tmp, out)
    except OSError as exc:
        if _refused_write(exc, out):
            raise OutputError(out, exc) from exc
        raise
    finally:
        # after a swap: the previous output, if any; after a failure: the partial one
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def scratch_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` for files a build needs only while it runs (the
    dump lines of a large dataset, kg.rdf.runs), removed when the block ends. Named and
    locked as the build's temporary output folder is, so that one a killed build left
    behind is removed by the next build into ``out`` (:func:`remove_leftovers`)."""
    out = Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(
            tempfile.mkdtemp(prefix=f"{_temp_prefix(out)}{os.getpid()}{_SCRATCH}", dir=out.parent)
        )
    except OSError as exc:
        raise OutputError(out, exc) from exc
    try:
        with _locked(folder):
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refused_write(exc: OSError, out: Path) -> bool:
    """Whether an error raised while writing ``out`` is the file system refusing the
    write (full, read-only, no permission beside ``out``), not some other failure."""
    if exc.errno in _WRITE_ERRNOS:
        return True
    if exc.filename is None:
        return False
    path = Path(os.path.abspath(os.fsdecode(exc.filename)))
    return exc.errno in (errno.EACCES, errno.EPERM) and out.parent in (path, *path.parents)


def _carry(previous: Path, new: Path) -> None:
    """Link the folder ``previous`` (if any) into place as ``new`` (if not written)."""
    if previous.is_dir() and not new.exists():
        try:
            shutil.copytree(previous, new, copy_function=os.link, symlinks=True)
        except OSError:  # a file system without hard links
            shutil.rmtree(new, ignore_errors=True)
            shutil.copytree(previous, new, symlinks=True)


def _swap_in(tmp: Path, out: Path) -> Path | None:
    """Put ``tmp`` in place of ``out``; return where the previous ``out`` now is (None
    when there was none)."""
    if not out.exists():
        os.rename(tmp, out)
        return None
    if _exchange(tmp, out):
        return tmp
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    os.rename(tmp, out)
    return old


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
