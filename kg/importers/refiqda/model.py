"""The typed intermediate of a REFI-QDA project: codes, text sources, coded selections.

What the reader returns and the writer takes; ``read(write(x)) == x``. It keeps what an
evidence import needs and that the writer can give back; it leaves out notes, variables,
cases, sets, graphs and non-text sources. GUIDs are kept normalised (lower case, no
braces: REFI-QDA allows ``{...}`` and either case, and programs mix them).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: The XSD's GUIDType, without its braced variant (the writer writes the bare form).
#: The namespace of the GUIDs given to parents that nest_codes adds (uuid5 of the path).
_NESTED_NS = uuid.UUID("0b8f6a52-3f7e-4f7e-a0c4-6e0d2c9d4a17")
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def normalise_guid(guid: str) -> str:
    """A GUID as the intermediate keeps it: trimmed, no braces, lower case."""
    return guid.strip().strip("{}").lower()


@dataclass(frozen=True)
class User:
    """A person who coded (``Users/User``)."""

    guid: str
    name: str | None = None


@dataclass(frozen=True)
class Code:
    """A code of the code book, with its sub-codes in order."""

    guid: str
    name: str
    description: str | None = None
    children: tuple[Code, ...] = ()
    codable: bool = True
    color: str | None = None

    def walk(self, depth: int = 0) -> list[tuple[Code, int, Code | None]]:
        """This code and every descendant, depth first: (code, depth, parent)."""
        out: list[tuple[Code, int, Code | None]] = [(self, depth, None)]
        for child in self.children:
            for code, d, parent in child.walk(depth + 1):
                out.append((code, d, parent if parent is not None else self))
        return out


@dataclass(frozen=True)
class TextSource:
    """A text source: its plain text exactly as decoded from the archive (UTF-8)."""

    guid: str
    name: str
    text: str


@dataclass(frozen=True)
class Selection:
    """A coded span ``text[start:end]`` of a source (character positions, end exclusive),
    the codes applied to it (GUIDs, sorted), who coded it and when (``xsd:dateTime`` as
    written, or None)."""

    guid: str
    source: str
    start: int
    end: int
    codes: tuple[str, ...] = ()
    coder: str | None = None
    created: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", tuple(sorted(set(self.codes))))


@dataclass(frozen=True)
class QdaProject:
    """A REFI-QDA project. Selections are kept in a canonical order (their source's order,
    then start, end, GUID), the order the writer writes them in."""

    name: str
    users: tuple[User, ...] = ()
    codes: tuple[Code, ...] = ()
    sources: tuple[TextSource, ...] = ()
    selections: tuple[Selection, ...] = field(default=())

    def __post_init__(self) -> None:
        order = {source.guid: i for i, source in enumerate(self.sources)}
        key = lambda s: (order.get(s.source, len(order)), s.start, s.end, s.guid)  # noqa: E731
        object.__setattr__(self, "selections", tuple(sorted(self.selections, key=key)))

    def all_codes(self) -> list[tuple[Code, int, Code | None]]:
        """Every code of the tree, depth first: (code, depth, parent)."""
        return [entry for code in self.codes for entry in code.walk()]

    def source(self, guid: str) -> TextSource | None:
        """The text source with this GUID, or None."""
        return next((s for s in self.sources if s.guid == guid), None)


def nest_codes(codes: tuple[Code, ...], separator: str = ".") -> tuple[Code, ...]:
    """A flat code list whose names are paths (Taguette writes ``Factors.Organisational``)
    as a tree: each top-level code goes under the code named by its path's prefix, with
    the last segment as its name. A missing parent is added, with a GUID derived from its
    path; GUIDs of existing codes are kept, so selections still point at them."""
    by_path: dict[str, Code] = {}
    kids: dict[str, list[str]] = {}
    order: list[str] = []
    for code in codes:
        parts = [p.strip() for p in code.name.split(separator)]
        for depth in range(1, len(parts) + 1):
            path = separator.join(parts[:depth])
            if path not in by_path:
                guid = str(uuid.uuid5(_NESTED_NS, path))
                by_path[path] = Code(guid=guid, name=parts[depth - 1], codable=False)
                parent = separator.join(parts[: depth - 1])
                kids.setdefault(parent, []).append(path)
                order.append(path)
        by_path[separator.join(parts)] = replace(code, name=parts[-1])

    def build(path: str) -> Code:
        own = by_path[path]
        return replace(own, children=own.children + tuple(build(k) for k in kids.get(path, [])))

    return tuple(build(path) for path in kids.get("", []))
