"""The signing key of the nanopublications: read from a file or a nanopub profile the
user names, checked before the build starts, and generated on request.

Keys are RSA private keys, in any form the signing library (nanopub-sign) reads: PEM
(PKCS#8 ``BEGIN PRIVATE KEY`` or PKCS#1 ``BEGIN RSA PRIVATE KEY``) or the bare base64
DER the nanopub tools keep in ``~/.nanopub/id_rsa``. A profile is the nanopub tools'
``profile.yml`` (``private_key``, ``orcid_id``, ``name``); it is read only when given
explicitly, never looked up in the home folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nanopub_sign
import yaml

from kg.config import ConfigError, NanopubKey

_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_PEM_LINE = re.compile(r"^-----[A-Z ]+-----$", re.MULTILINE)


class NanopubKeyError(ConfigError):
    """The key, profile or creator given for the nanopublications is not usable."""


def read_key(path: Path, orcid: str | None = None, name: str | None = None) -> NanopubKey:
    """The key in ``path`` with the creator it signs for; NanopubKeyError naming the file
    and the reason when it cannot be read or is not an RSA private key."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise NanopubKeyError(f"{path}: cannot read the nanopub signing key: {reason}") from None
    if orcid is not None and not _IRI.match(orcid):
        raise NanopubKeyError(f"--nanopub-orcid {orcid!r} is not an http(s) IRI")
    key = NanopubKey(text, str(path), orcid or None, (name or "").strip() or None)
    library_profile(key)
    return key


def read_profile(
    path: Path, orcid: str | None = None, name: str | None = None, key: Path | None = None
) -> NanopubKey:
    """The key and creator of a nanopub ``profile.yml``; ``orcid``, ``name`` and ``key``
    (given on the command line) win over the profile's."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise NanopubKeyError(f"{path}: cannot read the nanopub profile: {reason}") from None
    except yaml.YAMLError as exc:
        raise NanopubKeyError(f"{path}: not a YAML nanopub profile: {exc}") from None
    if not isinstance(data, dict):
        raise NanopubKeyError(f"{path}: not a nanopub profile (a YAML mapping expected)")
    if key is None:
        if not data.get("private_key"):
            raise NanopubKeyError(f"{path}: the profile names no private_key")
        # the nanopub tools write absolute paths; a relative one is read from the
        # profile's folder, not from wherever the build runs
        key = path.parent / Path(str(data["private_key"])).expanduser()
    return read_key(key, orcid or _text(data, "orcid_id"), name or _text(data, "name"))


def _text(data: dict[str, object], field: str) -> str | None:
    value = data.get(field)
    return str(value) if value not in (None, "") else None


def library_profile(key: NanopubKey) -> nanopub_sign.NpProfile:
    """The signing library's profile for ``key`` (the library checks the key here)."""
    try:
        return nanopub_sign.NpProfile(key.private_key, key.orcid, key.name, None)
    except Exception as exc:  # the library raises plain Exception with its reason
        raise NanopubKeyError(
            f"{key.source}: not an RSA private key the nanopub signer can use ({exc})"
        ) from None


def normalize_key(text: str) -> str:
    """A key's base64 body: PEM armour lines and white space removed (the form a
    nanopublication's npx:hasPublicKey holds)."""
    return "".join(_PEM_LINE.sub("", text).split())


def generate_key(path: Path) -> tuple[Path, Path]:
    """A new 2048-bit RSA key pair (the signing library's generator), written as the
    nanopub tools write theirs: the private key in ``path`` (base64 DER, mode 0600) and
    the public key in ``path.pub``. Refuses to overwrite either file."""
    public = path.with_name(path.name + ".pub")
    for target in (path, public):
        if target.exists():
            raise NanopubKeyError(f"{target}: exists; not overwritten")
    pair = nanopub_sign.KeyPair()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(pair.private + "\n")
        public.write_text(pair.public + "\n", encoding="utf-8")
    except OSError as exc:
        raise NanopubKeyError(
            f"{exc.filename or path}: cannot write the key: {exc.strerror}"
        ) from None
    return path, public
