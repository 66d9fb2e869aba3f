"""Writing the intermediate as a ``.qdpx`` archive that validates against the REFI-QDA
Project XSD (``Project.xsd``, QDA-XML 1.0), so that ``read_qdpx(write_qdpx(x)) == x``.

The archive is reproducible: members in a fixed order with a fixed timestamp, the GUIDs of
codings (which the intermediate does not keep) derived from their selection and code, no
creation date unless the data carries one. Each source's text is ``sources/<guid>.txt``
(UTF-8, no byte-order mark), referenced as ``internal://<guid>.txt``.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree

from kg.importers.output import write_bytes
from kg.importers.refiqda.model import GUID_RE, PROJECT_NS, Code, QdaProject, Selection
from kg.importers.refiqda.read import RefiQdaError, check_project

ORIGIN = "GovSM-KG"
#: The REFI-QDA Project XSD (QDA-XML 1.0), pinned; every project.qde written is checked.
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "Project.xsd"
#: The namespace the GUIDs of written codings are derived in (uuid5 of selection/code).
_CODING_NS = uuid.UUID("5f0f3c3e-6c1a-4f43-9d53-2f2b0f9b8d11")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _el(parent: etree._Element | None, tag_name: str, **attrs: str | None) -> etree._Element:
    tag = f"{{{PROJECT_NS}}}{tag_name}"
    clean = {k: v for k, v in attrs.items() if v is not None}
    if parent is None:
        return etree.Element(tag, clean, nsmap={None: PROJECT_NS})
    return etree.SubElement(parent, tag, clean)


def _code(parent: etree._Element, code: Code) -> None:
    element = _el(
        parent,
        "Code",
        guid=code.guid,
        name=code.name,
        isCodable="true" if code.codable else "false",
        color=code.color,
    )
    if code.description is not None:
        _el(element, "Description").text = code.description
    for child in code.children:
        _code(element, child)


def _selection(parent: etree._Element, sel: Selection) -> None:
    element = _el(
        parent,
        "PlainTextSelection",
        guid=sel.guid,
        name=sel.name,
        startPosition=str(sel.start),
        endPosition=str(sel.end),
        creatingUser=sel.coder,
        creationDateTime=sel.created,
    )
    for code in sel.codes:
        guid = str(uuid.uuid5(_CODING_NS, f"{sel.guid}/{code}"))
        coding = _el(
            element, "Coding", guid=guid, creatingUser=sel.coder, creationDateTime=sel.created
        )
        _el(coding, "CodeRef", targetGUID=code)


def project_xml(project: QdaProject) -> bytes:
    """``project.qde``: the project as QDA-XML (UTF-8, with an XML declaration)."""
    root = _el(None, "Project", name=project.name, origin=ORIGIN)
    if project.users:
        users = _el(root, "Users")
        for user in project.users:
            _el(users, "User", guid=user.guid, name=user.name)
    if project.codes:
        codes = _el(_el(root, "CodeBook"), "Codes")
        for code in project.codes:
            _code(codes, code)
    if project.sources:
        sources = _el(root, "Sources")
        for source in project.sources:
            element = _el(
                sources,
                "TextSource",
                guid=source.guid,
                name=source.name,
                plainTextPath=f"internal://{source.guid}.txt",
            )
            for sel in project.selections:
                if sel.source == source.guid:
                    _selection(element, sel)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def project_schema() -> etree.XMLSchema:
    """The pinned Project XSD, parsed once (a local file; no DTD, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


def _validate(document: bytes, file: str | Path) -> None:
    """Refuse to write a project.qde the REFI-QDA XSD rejects (a date that is not an
    xsd:dateTime, a colour that is not #RRGGBB ...), naming the schema's first error."""
    schema = project_schema()
    if not schema.validate(etree.fromstring(document)):
        first = schema.error_log[0]
        raise RefiQdaError(
            file, f"project.qde line {first.line}", f"not valid REFI-QDA: {first.message}"
        )


def _check_guids(project: QdaProject, file: str | Path) -> None:
    """The XSD's GUIDType: refuse to write what would not validate."""
    named = [("code", c.guid) for c, _, _ in project.all_codes()]
    named += [("user", u.guid) for u in project.users]
    named += [("text source", s.guid) for s in project.sources]
    named += [("selection", s.guid) for s in project.selections]
    named += [("selection", s.coder or "") for s in project.selections if s.coder]
    for what, guid in named:
        if not GUID_RE.match(guid):
            raise RefiQdaError(file, f"{what} {guid}", "is not a GUID (REFI-QDA GUIDType)")


def qdpx_bytes(project: QdaProject, file: str | Path = "<qdpx>") -> bytes:
    """The ``.qdpx`` archive of a project, byte-identical for the same project."""
    check_project(project, file)
    _check_guids(project, file)
    document = project_xml(project)
    _validate(document, file)
    members = [("project.qde", document)]
    members += [(f"sources/{s.guid}.txt", s.text.encode("utf-8")) for s in project.sources]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write_qdpx(project: QdaProject, path: str | Path) -> Path:
    """Write the project's ``.qdpx`` to ``path``: all or nothing (a temporary file beside
    it, renamed into place), so a failed write leaves a previous file whole."""
    path = Path(path)
    data = qdpx_bytes(project, path)
    try:
        write_bytes(path, data)
    except OSError as exc:
        raise RefiQdaError(path, None, f"cannot be written ({exc.strerror})") from exc
    return path
