"""Reading untrusted input: zip archives with bounds, XML without DTDs or entities.

Every importer that opens an archive (``.qdpx``, ``.xlsx``) or parses XML goes through
here, so the limits and the refusals live in one place. Nothing here touches the network:
lxml's parser is told not to load DTDs, not to resolve entities and not to use the
network, and any document that declares a DOCTYPE at all is refused (no format we read
needs one, and an internal subset is how entity bombs and external entities come in).
The DOCTYPE is found by a first pass with expat that stops at the root element, before
libxml2 has declared, let alone expanded, a single entity (kg.rdf.offline.declares_doctype,
the same check the build makes on RDF/XML and the ontology catalog).

Each function takes the InputError subclass to raise (an importer's own, such as
kg.importers.refiqda's RefiQdaError), so callers catch one type per format.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from kg.importers.refmodel import ImportFailure
from kg.rdf.offline import declares_doctype


class InputError(ImportFailure):
    """A file given to an importer is malformed or refused: which file, which entry
    (a line, a selection, an archive member: ``element``, also ``where`` as in
    ImportFailure, so one ``except ImportFailure`` catches every importer), and why."""

    def __init__(self, file: str | Path, element: str | None, reason: str) -> None:
        super().__init__(file, element, reason)
        self.element = element


@dataclass(frozen=True)
class Limits:
    """Bounds on an archive: how many members it may list, how many bytes one member may
    decompress to, and how many bytes all the members read from it may decompress to.
    The byte bounds count what is actually decompressed, not what the archive declares."""

    max_members: int = 10_000
    max_member_bytes: int = 64 * 2**20
    max_total_bytes: int = 256 * 2**20


DEFAULT_LIMITS = Limits()
_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_name(name: str) -> str | None:
    """Why a member name is refused, or None: absolute paths (POSIX, Windows drive or
    UNC), ``..`` components and NUL bytes could write or read outside a folder."""
    if "\x00" in name:
        return "a NUL byte in the name"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "a '..' component"
    return None


class SafeArchive:
    """A zip archive opened for bounded reading. Opening checks the member count and
    every member name; ``read`` decompresses one member at most up to the limits."""

    def __init__(
        self,
        path: str | Path,
        limits: Limits = DEFAULT_LIMITS,
        error: type[InputError] = InputError,
    ) -> None:
        self.path = Path(path)
        self.limits = limits
        self.error = error
        self._read_total = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise error(self.path, None, f"not a readable zip archive ({exc})") from exc
        infos = self._zip.infolist()
        if len(infos) > limits.max_members:
            self.close()
            raise error(
                self.path, None, f"{len(infos)} archive members, more than {limits.max_members}"
            )
        self.names: dict[str, str] = {}  # the lower-cased name -> the name as stored
        for info in infos:
            reason = _unsafe_name(info.filename)
            if reason is None and info.filename.lower() in self.names:
                reason = "a duplicate name"
            if reason:
                self.close()
                raise error(self.path, f"member {info.filename!r}", f"refused: {reason}")
            self.names[info.filename.lower()] = info.filename

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying zip file."""
        self._zip.close()

    def find(self, name: str) -> str | None:
        """The stored member name matching ``name`` case-insensitively (QDA programs
        disagree on ``sources/`` versus ``Sources/``), or None."""
        return self.names.get(str(PurePosixPath(name)).lower())

    def read(self, name: str) -> bytes:
        """The decompressed bytes of one member, refused past the per-member limit or
        past the archive's total budget (counted as decompressed, so a zip bomb stops
        at the limit, whatever its header declares)."""
        budget = min(self.limits.max_member_bytes, self.limits.max_total_bytes - self._read_total)
        try:
            with self._zip.open(name) as member:
                data = member.read(budget + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            # RuntimeError: an encrypted member; zlib.error is wrapped in BadZipFile
            raise self.error(self.path, f"member {name!r}", f"cannot be read ({exc})") from exc
        if len(data) > budget:
            raise self.error(
                self.path,
                f"member {name!r}",
                "decompresses past the size limit "
                f"({self.limits.max_member_bytes} bytes a member, "
                f"{self.limits.max_total_bytes} in all)",
            )
        self._read_total += len(data)
        return data


def parse_xml(
    data: bytes,
    file: str | Path,
    member: str | None = None,
    error: type[InputError] = InputError,
) -> etree._Element:
    """The root element of an XML document, parsed with no DTD, no entity resolution and
    no network; a DOCTYPE declaration or malformed XML is an error naming the line."""
    where = f"member {member!r}" if member else None
    refusal = (
        "refused: the XML declares a DOCTYPE (entity declarations and external entities "
        "are not accepted)"
    )
    if declares_doctype(data):
        raise error(file, where, refusal)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = f"line {exc.lineno}" if exc.lineno else None
        element = ", ".join(part for part in (where, line) if part) or None
        raise error(file, element, f"not well-formed XML: {exc.msg}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # a second line of defence
        raise error(file, where, refusal)
    return root
