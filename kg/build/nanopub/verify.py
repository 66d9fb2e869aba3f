"""Checking nanopublications with the signing library's own check (nanopub-sign's
``Nanopub.check``: the trusty URI's hash and the RSA signature), offline.

The library also accepts a nanopublication that is neither signed nor trusty (a bare
temporary one); a file that should carry a signature must fail then, so a verdict
requires both. The signature proves the file unchanged since someone signed it with the
key it states; ``public_key`` pins that key to the one the user expects.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nanopub_sign

from kg.build.nanopub.keys import normalize_key
from kg.config import ConfigError


@dataclass(frozen=True)
class Verdict:
    """One file checked: its nanopublication's URI and what is wrong (None: verified)."""

    path: Path
    uri: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@contextlib.contextmanager
def _library_output_discarded() -> Iterator[None]:
    """The library prints a line per check on the process's standard output (from
    Rust, past sys.stdout): discard it so that the command's own report is readable."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w", encoding="utf-8") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def verify_text(text: str, path: Path, public_key: str | None = None) -> Verdict:
    """Check one nanopublication's TriG: trusty URI, signature and (if given) key."""
    try:
        with _library_output_discarded():
            info = nanopub_sign.Nanopub(text).check().info()
    except Exception as exc:  # the library raises plain Exception with its reason
        return Verdict(path, None, " ".join(str(exc).split()))
    uri = info["uri"]["value"]
    if not info.get("trusty_hash"):
        return Verdict(path, uri, "no trusty URI")
    if not info.get("signature"):
        return Verdict(path, uri, "not signed")
    if public_key is not None and normalize_key(info["public_key"]) != normalize_key(public_key):
        return Verdict(path, uri, "signed with another key than the one given")
    return Verdict(path, uri)


def verify_folder(folder: Path, public_key: str | None = None) -> list[Verdict]:
    """Check every ``.trig`` file of ``folder`` (or the one file ``folder`` names);
    ConfigError when there is none."""
    files = [folder] if folder.is_file() else sorted(folder.glob("*.trig"))
    if not files:
        raise ConfigError(f"{folder}: no nanopublications (.trig files) to verify")
    verdicts = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            verdicts.append(Verdict(path, None, f"cannot read: {exc}"))
            continue
        verdicts.append(verify_text(text, path, public_key))
    return verdicts
