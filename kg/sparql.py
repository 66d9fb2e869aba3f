"""SPARQL query files: their comment header, their parameters, and safe binding.

A query file starts with comment lines ``# key: value`` (title, question, parameters,
rule-set, ...). ``# parameters: subfactor (IRI), context (IRI, optional), word (literal)``
declares what the caller must bind. Values are bound by the engine layer with a ``VALUES``
block placed at the start of the query's ``WHERE`` group; each value is serialised as one
RDF term (IRIs are checked, literals escaped), so no value can change the query's shape.
Queries that would reach the network (``SERVICE``, ``FROM``, ``LOAD``) are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.prefixes import PREFIXES

Term = Node

_HEADER_RE = re.compile(r"^#\s*([A-Za-z][\w-]*)\s*:\s*(.*)$")
_PARAM_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*$")
# Characters that may not appear in an IRI written as <...> (RDF 1.1 N-Triples IRIREF).
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG_RE = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_IRIREF_AT = re.compile(r'<[^\x00-\x20<>"{}|^`\\]*>')
_NETWORK_KEYWORDS = re.compile(r"\b(SERVICE|FROM|LOAD)\b", re.IGNORECASE)
_WHERE = re.compile(r"WHERE\b", re.IGNORECASE)


class QueryError(ValueError):
    """A query cannot be found, parsed, bound or run as asked (a usage error)."""


@dataclass(frozen=True)
class Parameter:
    """A declared query parameter: its name, kind (``iri`` or ``literal``) and optionality."""

    name: str
    kind: str = "iri"
    optional: bool = False


@dataclass(frozen=True)
class QueryFile:
    """A ``.rq`` file with its parsed header."""

    path: Path
    text: str
    header: dict[str, str] = field(default_factory=dict)
    parameters: tuple[Parameter, ...] = ()

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def title(self) -> str:
        return self.header.get("title", self.path.stem)


def parse_header(text: str) -> dict[str, str]:
    """Return the ``# key: value`` lines at the top of a query (lower-case keys)."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER_RE.match(stripped)
        if match:
            header[match.group(1).lower()] = match.group(2).strip()
    return header


def parse_parameters(declaration: str) -> tuple[Parameter, ...]:
    """Parse ``subfactor (IRI), context (IRI, optional)`` into parameters."""
    declaration = declaration.strip()
    if not declaration or declaration.lower() in {"none", "-"}:
        return ()
    params = []
    for chunk in re.split(r",\s*(?![^()]*\))", declaration):
        match = _PARAM_RE.match(chunk)
        if not match:
            raise QueryError(f"cannot read parameter declaration {chunk!r}")
        notes = [n.strip().lower() for n in (match.group(2) or "iri").split(",")]
        kind = (
            "literal"
            if any(n in {"literal", "string", "text", "integer"} for n in notes)
            else "iri"
        )
        params.append(Parameter(match.group(1), kind, "optional" in notes))
    return tuple(params)


def read_query(path: Path) -> QueryFile:
    """Read a query file and its header."""
    text = path.read_text(encoding="utf-8")
    header = parse_header(text)
    return QueryFile(path, text, header, parse_parameters(header.get("parameters", "")))


def serialize_term(term: Term) -> str:
    """Serialise one RDF term for a VALUES block, refusing anything that is not one term."""
    if isinstance(term, URIRef):
        value = str(term)
        if not value or _IRI_FORBIDDEN.search(value) or ":" not in value:
            raise QueryError(f"not an absolute IRI: {value!r}")
        return f"<{value}>"
    if isinstance(term, Literal):
        lexical = str(term)
        escaped = (
            lexical.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
        if term.language:
            if not _LANG_RE.match(term.language):
                raise QueryError(f"bad language tag: {term.language!r}")
            return f'"{escaped}"@{term.language}'
        if term.datatype is not None:
            return f'"{escaped}"^^{serialize_term(URIRef(term.datatype))}'
        return f'"{escaped}"'
    if isinstance(term, BNode):
        raise QueryError("blank nodes cannot be bound as query parameters")
    raise QueryError(f"cannot bind {term!r}")


def strip_for_scan(text: str) -> str:
    """Blank out comments, string literals and IRIs (same length) so keywords can be found."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(quote))
            out[i:j] = " " * (j - i)
            i = j
        elif ch == "<" and (m := _IRIREF_AT.match(text, i)):
            out[i : m.end()] = " " * (m.end() - i)
            i = m.end()
        else:
            i += 1
    return "".join(out)


def check_offline(query: str) -> None:
    """Refuse query text that would make an engine fetch from the network."""
    match = _NETWORK_KEYWORDS.search(strip_for_scan(query))
    if match:
        raise QueryError(f"{match.group(1).upper()} is not allowed: queries run offline only")


def _where_brace(query: str) -> int:
    """Index of the '{' that opens the query's top-level WHERE group."""
    scan = strip_for_scan(query)
    depth = 0
    for i, ch in enumerate(scan):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch in "Ww" and _WHERE.match(scan, i):
            if i > 0 and (scan[i - 1].isalnum() or scan[i - 1] in "_?$"):
                continue
            brace = scan.find("{", i)
            if brace < 0:
                break
            return brace
    # WHERE is optional in SELECT and ASK: the first top-level group is the pattern.
    first = scan.find("{")
    if first >= 0 and not re.search(r"\bCONSTRUCT\b", scan[:first], re.IGNORECASE):
        return first
    raise QueryError("cannot find the WHERE group to bind parameters into")


def inject_values(query: str, bindings: Mapping[str, Term]) -> str:
    """Return the query with a one-row VALUES block opening its WHERE group."""
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise QueryError(f"bad variable name {name!r}")
    row = " ".join(serialize_term(bindings[name]) for name in names)
    block = f"\n  VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}\n"
    brace = _where_brace(query)
    return query[: brace + 1] + block + query[brace + 1 :]


def expand_iri(value: str) -> URIRef:
    """Read an IRI given as ``<iri>``, a full IRI, or a prefixed name from the prefix table."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        value = PREFIXES[prefix] + local
    term = URIRef(value)
    serialize_term(term)  # validates
    return term


def bind_parameters(query: QueryFile, given: Mapping[str, str]) -> dict[str, Term]:
    """Check given ``name=value`` strings against the declared parameters and make terms."""
    declared = {p.name: p for p in query.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise QueryError(
            f"unknown parameter(s) {', '.join(unknown)} for {query.stem}; "
            f"declared: {_describe(query.parameters)}"
        )
    missing = [p.name for p in query.parameters if not p.optional and p.name not in given]
    if missing:
        raise QueryError(
            f"missing parameter(s) {', '.join(missing)} for {query.stem}; "
            f"declared: {_describe(query.parameters)}"
        )
    bound: dict[str, Term] = {}
    for name, value in given.items():
        param = declared[name]
        bound[name] = expand_iri(value) if param.kind == "iri" else Literal(value)
    return bound


def _describe(params: tuple[Parameter, ...]) -> str:
    if not params:
        return "none"
    return ", ".join(f"{p.name} ({p.kind}{', optional' if p.optional else ''})" for p in params)
