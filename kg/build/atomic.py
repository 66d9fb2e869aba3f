"""Atomic replacement of an output folder.

Everything is written into a fresh temporary folder beside the output folder; only when
the writing has finished without an error does it take the output folder's place, in one
step: an atomic ``renameat2(RENAME_EXCHANGE)`` where the kernel offers it, otherwise two
renames. A failed or interrupted write removes its temporary folder and leaves the
previous output folder whole.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextmanager
def atomic_folder(out: Path, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """A fresh temporary folder beside ``out`` for the block to write into. When the
    block ends without an exception the folder takes the place of ``out`` in one step
    (the previous ``out`` is then removed); when it raises, the folder is removed and
    ``out`` left as it was. ``keep``: subfolders of the previous ``out`` carried into
    the new one (hard links: their files are never rewritten in place) unless the block
    wrote its own."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(0o755)
        yield tmp
        for name in keep:
            _carry(out / name, tmp / name)
        tmp = _swap_in(tmp, out)
    finally:
        # after a swap: the previous output, if any; after a failure: the partial one
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


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
