"""SPARQL query files: their comment header, their parameters, and safe binding.

A query file starts with comment lines ``# key: value`` (title, question, parameters,
rule-set, ...). ``# parameters: subfactor (IRI), context (IRI, optional), word (literal)``
declares what the caller must bind, each with its type: ``IRI`` (the default), ``string``
(``literal`` and ``text`` are synonyms), ``integer``, ``decimal``, ``boolean``, ``date`` or
``dateTime``; ``optional`` marks one the caller may leave out. A header line
``# parameter-NAME: text`` describes parameter NAME (for the API and its OpenAPI document).
Values are bound by the engine layer with a ``VALUES``
block placed at the start of the query's ``WHERE`` group; each value is serialised as one
RDF term (IRIs are checked, literals escaped), so no value can change the query's shape.
Given values are checked against their type's lexical form (:func:`make_term`), so a bad
value is refused with a message naming the parameter, its type and the expected form.
Queries that would reach the network (``SERVICE``, ``FROM``, ``LOAD``) are refused.

One engine caveat: rdflib replaces ``\\uXXXX`` escapes before it parses a query (SPARQL 1.1
§19.2), even after an escaped backslash. A string value containing the six characters
``\\u0022`` therefore reaches rdflib as ``\\"``: a quote inside the literal, so the value
changes (to ``"``) but the query's shape does not; ``\\u000A`` becomes a backslash and a
line break, which rdflib refuses as a syntax error. No single SPARQL literal means the
same on both engines here. pyoxigraph, which the endpoint runs, keeps such values exactly.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from kg.prefixes import PREFIXES

Term = Node

_HEADER_RE = re.compile(r"^#\s*([A-Za-z][\w-]*)\s*:\s*(.*)$")
_PARAM_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*$")
# Characters that may not appear in an IRI written as <...> (RDF 1.1 N-Triples IRIREF).
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG_RE = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_IRIREF_AT = re.compile(r'<[^\x00-\x20<>"{}|^`\\]*>')
_WHERE = re.compile(r"WHERE\b", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

# Declared type (lower case, with synonyms) -> canonical type name.
_TYPE_NAMES = {
    "iri": "iri",
    "uri": "iri",
    "string": "string",
    "literal": "string",
    "text": "string",
    "integer": "integer",
    "decimal": "decimal",
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
}
# Canonical type -> (XSD datatype, lexical-form pattern, what a caller should send).
PARAMETER_TYPES: dict[str, tuple[URIRef | None, re.Pattern[str] | None, str]] = {
    "iri": (
        None,
        None,
        "an absolute IRI (e.g. https://w3id.org/govsm/id/context/NAME) or a prefixed name "
        "from the project's prefix table (e.g. id:context/NAME), without spaces, quotes, "
        "'<', '>', '{', '}', '|', '^', '`' or '\\'",
    ),
    "string": (XSD.string, None, "any text"),
    "integer": (XSD.integer, re.compile(r"[+-]?[0-9]+"), "an integer such as 42 or -7"),
    "decimal": (
        XSD.decimal,
        re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"),
        "a decimal number such as 3.14 or -0.5 (no exponent)",
    ),
    "boolean": (XSD.boolean, re.compile(r"true|false|1|0"), "true, false, 1 or 0"),
    "date": (
        XSD.date,
        re.compile(r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?"),
        "a date YYYY-MM-DD (optionally with a time zone Z or +hh:mm), e.g. 2016-03-31",
    ),
    "dateTime": (
        XSD.dateTime,
        re.compile(
            r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
            r"(Z|[+-][0-9]{2}:[0-9]{2})?"
        ),
        "a date and time YYYY-MM-DDThh:mm:ss (optionally .s and a time zone), "
        "e.g. 2016-03-31T12:00:00Z",
    ),
}


class QueryError(ValueError):
    """A query cannot be found, parsed, bound or run as asked (a usage error)."""


class ParameterError(QueryError):
    """A given parameter value is not of its declared type (names the parameter and type)."""

    def __init__(self, name: str, type_: str, value: str, reason: str) -> None:
        self.name, self.type, self.value = name, type_, value
        self.expected = PARAMETER_TYPES[type_][2]
        super().__init__(
            f"parameter {name!r} ({type_}): {value!r} {reason}; expected {self.expected}"
        )


@dataclass(frozen=True)
class Parameter:
    """A declared query parameter: its name, type (a key of ``PARAMETER_TYPES``), optionality
    and description."""

    name: str
    type: str = "iri"
    optional: bool = False
    description: str = ""

    @property
    def kind(self) -> str:
        """``iri`` or ``literal``."""
        return "iri" if self.type == "iri" else "literal"


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
    """Parse ``subfactor (IRI), year (integer, optional)`` into parameters (IRI by default)."""
    declaration = declaration.strip()
    if not declaration or declaration.lower() in {"none", "-"}:
        return ()
    params = []
    for chunk in re.split(r",\s*(?![^()]*\))", declaration):
        match = _PARAM_RE.match(chunk)
        if not match:
            raise QueryError(f"cannot read parameter declaration {chunk!r}")
        notes = [n.strip().lower() for n in (match.group(2) or "").split(",") if n.strip()]
        unknown = [n for n in notes if n != "optional" and n not in _TYPE_NAMES]
        if unknown:
            raise QueryError(
                f"parameter {match.group(1)!r}: unknown note(s) {', '.join(unknown)} "
                f"(types: {', '.join(PARAMETER_TYPES)}; or 'optional')"
            )
        types = {_TYPE_NAMES[n] for n in notes if n != "optional"}
        if len(types) > 1:
            raise QueryError(f"parameter {match.group(1)!r}: more than one type {sorted(types)}")
        type_ = types.pop() if types else "iri"
        params.append(Parameter(match.group(1), type_, "optional" in notes))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise QueryError(f"parameter declared twice in {declaration!r}")
    return tuple(params)


def read_query(path: Path) -> QueryFile:
    """Read a query file and its header."""
    text = path.read_text(encoding="utf-8")
    header = parse_header(text)
    try:
        params = parse_parameters(header.get("parameters", ""))
    except QueryError as error:
        raise QueryError(f"{path}: {error}") from None
    described = {k[len("parameter-") :]: v for k, v in header.items() if k.startswith("parameter-")}
    stray = sorted(set(described) - {p.name.lower() for p in params})
    if stray:
        raise QueryError(f"{path}: '# parameter-{stray[0]}:' describes an undeclared parameter")
    params = tuple(
        Parameter(p.name, p.type, p.optional, described.get(p.name.lower(), "")) for p in params
    )
    return QueryFile(path, text, header, params)


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


# SPARQL 1.1 §19.8 character classes (PN_CHARS_BASE, PN_CHARS_U, PN_CHARS).
_PN_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
    "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
    "\U00010000-\U000effff"
)
_PN_U = _PN_BASE + "_"
_PN = _PN_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_BASE}](?:[{_PN}.]*[{_PN}])?"
_PN_LOCAL = f"(?:[{_PN_U}:0-9]|{_PLX})(?:(?:[{_PN}.:]|{_PLX})*(?:[{_PN}:]|{_PLX}))?"
# Tokens that may contain letters without being keywords, in the grammar's terms; what
# is left are keywords, function names, numbers and punctuation.
NAME_TOKEN = re.compile(
    f"[?$][{_PN_U}0-9][{_PN_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"  # VAR1/VAR2
    r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*"  # LANGTAG
    f"|_:[{_PN_U}0-9](?:[{_PN}.]*[{_PN}])?"  # BLANK_NODE_LABEL
    f"|(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"  # PNAME_NS / PNAME_LN
)
_LETTERS = re.compile(r"[A-Za-z]+")
# Characters neither NAME_TOKEN nor _LETTERS can start at (white space, digits, ASCII
# punctuation but ? $ @ _ :, and U+0080-U+00BF): code_words skips their runs in one step.
_INERT = re.compile(r"[\x00-\x23\x25-\x39\x3b-\x3e\x5b-\x5e\x60\x7b-\xbf]+")


def code_words(query: str, prefixes: bool = True) -> list[tuple[str, int]]:
    """The runs of ASCII letters a SPARQL parser could read as keywords, upper-cased,
    with their offsets: outside comments, strings, IRIs, variables, language tags,
    blank-node labels and prefixed names. Runs are maximal: ``SERVICESILENT`` or
    ``1SERVICE`` come out as one run (``SERVICESILENT``, ``SERVICE``), because some
    parsers (Oxigraph's) read keywords without a word boundary; match with ``in``.
    With ``prefixes``, the letters of a prefixed name's prefix count too (Oxigraph reads
    ``SERVICEex:x`` as ``SERVICE ex:x``): right for refusing, noisy for anything else."""
    scan = strip_for_scan(query)
    words: list[tuple[str, int]] = []
    i, n = 0, len(scan)
    while i < n:
        inert = _INERT.match(scan, i)
        if inert:
            i = inert.end()
            continue
        name = NAME_TOKEN.match(scan, i)
        if name and name.end() > i:
            # A prefix glued to a keyword (``SERVICEex:endpoint``) may be read as the
            # keyword and a name, so the letters of a prefix count as words too.
            glued = prefixes and scan[i] not in "?$@_"
            prefix = name.group(0).partition(":")[0] if glued else ""
            for run in _LETTERS.finditer(prefix):
                words.append((run.group(0).upper(), i + run.start()))
            i = name.end()
            continue
        letters = _LETTERS.match(scan, i)
        if letters:
            words.append((letters.group(0).upper(), i))
            i = letters.end()
        else:
            i += 1
    return words


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first query-form keyword of the query (read
    by :func:`kg.sparql.files.code_words`, so never one inside a name, string, IRI or comment)."""
    forms = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
    for word, _ in code_words(text, prefixes=False):
        if word in forms:
            return word
    raise QueryError("no SELECT, ASK, CONSTRUCT or DESCRIBE in the query")


def check_offline(query: str) -> None:
    """Refuse query text that would make an engine fetch from the network (a keyword
    glued to others, ``SERVICESILENT``, counts too)."""
    for word, _ in code_words(query):
        for keyword in ("SERVICE", "FROM", "LOAD"):
            if keyword in word:
                raise QueryError(f"{keyword} is not allowed: queries run offline only")


@functools.lru_cache(maxsize=256)  # the same catalogue texts are bound on every API request
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


def expand_iri(value: str, prefixes: Mapping[str, str] | None = None) -> URIRef:
    """Read an IRI given as ``<iri>``, a full IRI, or a prefixed name from the prefix table
    (``prefixes``, default ``PREFIXES``: a server of a build with another base passes its own)."""
    table = PREFIXES if prefixes is None else prefixes
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in table and not local.startswith("//"):
        value = table[prefix] + local
    if not _SCHEME.match(value):
        raise QueryError(f"not an absolute IRI (no scheme) nor a known prefixed name: {value!r}")
    term = URIRef(value)
    serialize_term(term)  # validates
    return term


def make_term(param: Parameter, value: str, prefixes: Mapping[str, str] | None = None) -> Term:
    """The RDF term for a given value of ``param``, its lexical form checked against the type."""
    if param.type == "iri":
        inner = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        bad = _IRI_FORBIDDEN.search(inner)
        if bad:
            char = bad.group(0)
            raise ParameterError(param.name, "iri", value, f"contains {char!r} (U+{ord(char):04X})")
        try:
            return expand_iri(inner, prefixes)
        except QueryError:
            raise ParameterError(
                param.name, "iri", value, "is not an absolute IRI nor a known prefixed name"
            ) from None
    datatype, pattern, _ = PARAMETER_TYPES[param.type]
    if pattern is not None and not pattern.fullmatch(value):
        raise ParameterError(param.name, param.type, value, f"is not a valid {param.type}")
    if param.type in {"date", "dateTime"}:
        # The pattern checks the shape; the calendar (month 13, 31 February) is checked here
        # on the month and day with a leap-year-neutral stand-in year of the same parity.
        year, month, day = re.match(r"-?([0-9]+)-([0-9]{2})-([0-9]{2})", value).groups()
        leap = int(year) % 4 == 0 and (int(year) % 100 != 0 or int(year) % 400 == 0)
        try:
            datetime.date(2000 if leap else 2001, int(month), int(day))
        except ValueError:
            raise ParameterError(param.name, param.type, value, "is not a calendar date") from None
        if param.type == "dateTime":
            hh, mm, ss = value.split("T", 1)[1][:8].split(":")
            if int(hh) > 23 or int(mm) > 59 or int(ss) > 59:
                raise ParameterError(param.name, param.type, value, "is not a time of day")
    if param.type == "string":
        return Literal(value)  # a simple literal, i.e. xsd:string
    return Literal(value, datatype=datatype)


def bind_parameters(
    query: QueryFile, given: Mapping[str, str], prefixes: Mapping[str, str] | None = None
) -> dict[str, Term]:
    """Check given ``name=value`` strings against the declared parameters and make terms
    (:class:`ParameterError` for a value not of its type; see :func:`expand_iri` on prefixes)."""
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
        bound[name] = make_term(declared[name], value, prefixes)
    return bound


def _describe(params: tuple[Parameter, ...]) -> str:
    if not params:
        return "none"
    return ", ".join(f"{p.name} ({p.type}{', optional' if p.optional else ''})" for p in params)
