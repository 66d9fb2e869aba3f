"""Reading a REFI-QDA project (``.qdpx``) or code book (``.qdc``) into the intermediate.

A ``.qdpx`` is a zip archive holding ``project.qde`` (XML, namespace
``urn:QDA-XML:project:1.0``) and a ``sources/`` folder; a text source's plain text is
``sources/NAME`` when its ``plainTextPath`` is ``internal://NAME`` (or inline, in
``PlainTextContent``). Plain text is read as UTF-8, the encoding the standard prescribes; a
leading byte-order mark is not text and is dropped. Positions count characters (Unicode
code points) of that text, end exclusive; line ends are kept as they are, so ``\\r\\n``
counts two. Archive and XML are read through kg.importers.safe (bounds, no DTD, no
entities, no network); a text file outside the archive (``relative://``, ``absolute://``)
is never opened.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from kg.importers.refiqda.model import (
    CODEBOOK_NS,
    PROJECT_NS,
    Code,
    QdaProject,
    Selection,
    TextSource,
    User,
    normalise_guid,
)
from kg.importers.safe import DEFAULT_LIMITS, InputError, Limits, SafeArchive, parse_xml

_INTERNAL = "internal://"
_BOM = "\ufeff"


class RefiQdaError(InputError):
    """A REFI-QDA file that cannot be imported: the file, the element (a selection, a
    source, a code, by GUID) and the reason."""


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _guid(element: etree._Element, file: str | Path, what: str) -> str:
    value = element.get("guid")
    if not value or not value.strip():
        line = element.sourceline
        raise RefiQdaError(file, f"{what} on line {line}", "has no guid attribute")
    return normalise_guid(value)


def _text_of(element: etree._Element, ns: str, name: str) -> str | None:
    child = element.find(_tag(ns, name))
    return None if child is None else (child.text or "")


def _read_code(element: etree._Element, ns: str, file: str | Path) -> Code:
    guid = _guid(element, file, "code")
    name = element.get("name")
    if name is None:
        raise RefiQdaError(file, f"code {guid}", "has no name attribute")
    codable = element.get("isCodable", "true").strip().lower() not in ("false", "0")
    return Code(
        guid=guid,
        name=name,
        description=_text_of(element, ns, "Description"),
        children=tuple(_read_code(c, ns, file) for c in element.iterfind(_tag(ns, "Code"))),
        codable=codable,
        color=element.get("color"),
    )


def _read_codebook(element: etree._Element | None, ns: str, file: str | Path) -> tuple[Code, ...]:
    if element is None:
        return ()
    codes = element.find(_tag(ns, "Codes"))
    if codes is None:
        return ()
    return tuple(_read_code(c, ns, file) for c in codes.iterfind(_tag(ns, "Code")))


def _position(element: etree._Element, attribute: str, file: str | Path, guid: str) -> int:
    value = element.get(attribute)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RefiQdaError(
            file, f"selection {guid}", f"{attribute} {value!r} is not an integer"
        ) from None


def _read_selection(element: etree._Element, source: str, file: str | Path) -> Selection:
    guid = _guid(element, file, "selection")
    codings = list(element.iterfind(_tag(PROJECT_NS, "Coding")))
    codes = []
    for coding in codings:
        ref = coding.find(_tag(PROJECT_NS, "CodeRef"))
        if ref is None or not ref.get("targetGUID"):
            raise RefiQdaError(file, f"selection {guid}", "a Coding without a CodeRef targetGUID")
        codes.append(normalise_guid(ref.get("targetGUID", "")))
    # who and when: the selection's own attributes, else its first coding's
    coder = element.get("creatingUser") or next(
        (c.get("creatingUser") for c in codings if c.get("creatingUser")), None
    )
    created = element.get("creationDateTime") or next(
        (c.get("creationDateTime") for c in codings if c.get("creationDateTime")), None
    )
    return Selection(
        guid=guid,
        source=source,
        start=_position(element, "startPosition", file, guid),
        end=_position(element, "endPosition", file, guid),
        codes=tuple(codes),
        coder=normalise_guid(coder) if coder else None,
        created=created,
        name=element.get("name"),
    )


def decode_text(data: bytes, file: str | Path, member: str) -> str:
    """A source's plain text: UTF-8, without a leading byte-order mark."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RefiQdaError(
            file, f"member {member!r}", f"not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from exc
    return text[1:] if text.startswith(_BOM) else text


def _read_source(
    element: etree._Element, file: str | Path, load: Callable[[str], str | None]
) -> tuple[TextSource, list[Selection]]:
    guid = _guid(element, file, "text source")
    selections = [
        _read_selection(s, guid, file)
        for s in element.iterfind(_tag(PROJECT_NS, "PlainTextSelection"))
    ]
    # a source without its text leaves its selections on nothing: name the first of them
    where = f"selection {selections[0].guid}" if selections else f"text source {guid}"
    about = f"its source {guid}" if selections else "it"
    inline = _text_of(element, PROJECT_NS, "PlainTextContent")
    path = element.get("plainTextPath")
    if inline is not None:
        text: str | None = inline
    elif path and path.startswith(_INTERNAL):
        text = load(path[len(_INTERNAL) :])
        if text is None:
            missing = f"sources/{path[len(_INTERNAL) :]}"
            raise RefiQdaError(
                file, where, f"{about} has no plain text: {missing} is not in the archive"
            )
    elif path:
        raise RefiQdaError(
            file, where, f"{about} has its plain text outside the archive ({path}), not read"
        )
    else:
        raise RefiQdaError(file, where, f"{about} has neither plainTextPath nor PlainTextContent")
    source = TextSource(guid=guid, name=element.get("name") or guid, text=text or "")
    return source, selections


def _unique(guids: list[str], what: str, file: str | Path) -> None:
    seen: set[str] = set()
    for guid in guids:
        if guid in seen:
            raise RefiQdaError(file, f"{what} {guid}", "the guid is used twice")
        seen.add(guid)


def check_project(project: QdaProject, file: str | Path) -> None:
    """Refuse a project whose references do not hold: GUIDs unique, every selection on a
    source that exists, within that source's text (0 <= start <= end <= length), and
    coded only with codes of the code book. Errors name the selection."""
    _unique([c.guid for c, _, _ in project.all_codes()], "code", file)
    _unique([s.guid for s in project.sources], "text source", file)
    _unique([s.guid for s in project.selections], "selection", file)
    codes = {c.guid for c, _, _ in project.all_codes()}
    lengths = {s.guid: len(s.text) for s in project.sources}
    for sel in project.selections:
        where = f"selection {sel.guid}"
        if sel.source not in lengths:
            raise RefiQdaError(file, where, f"its source {sel.source} is not in the project")
        if not 0 <= sel.start <= sel.end <= lengths[sel.source]:
            raise RefiQdaError(
                file,
                where,
                f"positions {sel.start}-{sel.end} fall outside its source's text "
                f"({lengths[sel.source]} characters)",
            )
        for code in sel.codes:
            if code not in codes:
                raise RefiQdaError(file, where, f"coded with {code}, which is not in the code book")


def project_from_xml(
    root: etree._Element, file: str | Path, load: Callable[[str], str | None]
) -> QdaProject:
    """The intermediate from a parsed ``project.qde``; ``load(name)`` gives the plain text
    of an ``internal://name`` path, or None when the archive lacks it."""
    if root.tag != _tag(PROJECT_NS, "Project"):
        raise RefiQdaError(file, None, f"not a REFI-QDA project (root element {root.tag})")
    ns = PROJECT_NS
    users = tuple(
        User(guid=_guid(u, file, "user"), name=u.get("name"))
        for u in root.iterfind(f"{_tag(ns, 'Users')}/{_tag(ns, 'User')}")
    )
    sources, selections = [], []
    sources_element = root.find(_tag(ns, "Sources"))
    if sources_element is not None:
        # only text sources: pictures, PDFs, audio and video carry no plain-text quotes
        for element in sources_element.iterfind(_tag(ns, "TextSource")):
            source, found = _read_source(element, file, load)
            sources.append(source)
            selections.extend(found)
    project = QdaProject(
        name=root.get("name") or "",
        users=users,
        codes=_read_codebook(root.find(_tag(ns, "CodeBook")), ns, file),
        sources=tuple(sources),
        selections=tuple(selections),
    )
    check_project(project, file)
    return project


def read_qdpx(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> QdaProject:
    """Read a ``.qdpx`` archive; a RefiQdaError (an ImportError) names what is wrong."""
    with SafeArchive(path, limits, RefiQdaError) as archive:
        member = archive.find("project.qde")
        if member is None:
            raise RefiQdaError(path, None, "the archive has no project.qde")
        root = parse_xml(archive.read(member), path, member, RefiQdaError)

        def load(name: str) -> str | None:
            stored = archive.find(f"sources/{name}")
            return None if stored is None else decode_text(archive.read(stored), path, stored)

        return project_from_xml(root, path, load)


def read_qdc(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> tuple[Code, ...]:
    """Read a ``.qdc`` code book (namespace ``urn:QDA-XML:codebook:1.0``): its code tree."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_member_bytes:
            raise RefiQdaError(path, None, f"{size} bytes, more than {limits.max_member_bytes}")
        data = path.read_bytes()
    except OSError as exc:
        raise RefiQdaError(path, None, f"cannot be read ({exc.strerror})") from exc
    root = parse_xml(data, path, error=RefiQdaError)
    if root.tag != _tag(CODEBOOK_NS, "CodeBook"):
        raise RefiQdaError(path, None, f"not a REFI-QDA code book (root element {root.tag})")
    codes = _read_codebook(root, CODEBOOK_NS, path)
    _unique([c.guid for code in codes for c, _, _ in code.walk()], "code", path)
    return codes
