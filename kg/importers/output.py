"""Writing an import's files all or none: every file's new text is computed first, then
written to a temporary file beside it, and only when all are written are they renamed
over the old ones (a file that would not change is left alone, so its time stays)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def stage(path: Path, data: bytes) -> str:
    """``data`` in a temporary file beside ``path``, readable as any written file (0644);
    its name. Nothing is left behind when writing fails."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing: a failed write leaves a previous file
    whole (OSError for the caller to name)."""
    tmp = stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(outputs: Mapping[Path, str]) -> list[Path]:
    """Write every ``path -> text`` whose file does not already hold it; the paths
    written, sorted. When writing one fails, none is replaced."""
    changed = sorted(
        path
        for path, text in outputs.items()
        if not (path.is_file() and path.read_bytes() == text.encode("utf-8"))
    )
    staged: list[tuple[str, Path]] = []
    try:
        for path in changed:
            staged.append((stage(path, outputs[path].encode("utf-8")), path))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    return changed
