"""The guard: what a query may do on this read-only, offline service, decided from its
text before anything is evaluated.

It reads the query with :func:`kg.sparql.files.code_words` (a lexer that is not fooled by
strings, comments, IRIs or names, and that also sees keywords glued to others, as
Oxigraph reads them): ``SERVICE`` anywhere refuses the query (403), so does any SPARQL
Update keyword (403: the service is read-only). A query longer, more deeply nested or
with more operators than :mod:`kg.sparql.bounds` allows is refused (400) first, before
any lexing beyond its length, so that no worker ever meets a query that would overflow
its stack (a crash no ``except`` catches). It finds the query form (for content
negotiation before evaluation) and the graphs of its ``FROM``/``FROM NAMED`` clauses,
so that they can be checked against the graphs held. Evaluation itself happens in
worker processes that have no network (see :mod:`kg.web.endpoint.executor`), so the guard
is the first of two locks, not the only one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from kg.sparql.bounds import QueryTooLarge, check_bounds
from kg.sparql.files import code_words, strip_for_scan

UPDATE_KEYWORDS = (
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
    "USING",
)
FORMS = {"SELECT": "tabular", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
_IRI = re.compile(r'<([^\x00-\x20<>"{}|^`\\]*)>')
_PREFIX_DECL = re.compile(r'\s*([^\s:<]*):\s*<([^\x00-\x20<>"{}|^`\\]*)>')
_PNAME = re.compile(r"([^\s:<>{}()]*):([^\s<>{}()]*)")


class Refused(Exception):
    """A request the service will not run: an HTTP status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class QueryInfo:
    """What the guard learnt about a query."""

    form: str | None  # tabular, boolean, graph; None if the text names no form
    from_graphs: list[str] = field(default_factory=list)
    from_named_graphs: list[str] = field(default_factory=list)

    @property
    def has_dataset(self) -> bool:
        """Whether the query states its own dataset (FROM / FROM NAMED)."""
        return bool(self.from_graphs or self.from_named_graphs)


def _skip_space(query: str, scan: str, i: int) -> int:
    """Skip white space and comments (blank in ``scan``), stopping at an IRI or string
    (blank in ``scan`` too, but they start with a delimiter in ``query``)."""
    while i < len(scan) and scan[i].isspace() and query[i] not in "<\"'":
        i += 1
    return i


# The verdicts on recent short query texts: the named-query API and the editor send the
# same texts again and again, and the guard's lexing was the largest share of the
# server's CPU per request (bench/load.py). A refusal is not kept (it raises); a text
# longer than this is checked every time, so the cache holds at most ~8 MB of text.
_CACHED_CHARS = 16_384


def inspect(query: str, base: str) -> QueryInfo:
    """Check ``query`` (raises :class:`Refused`) and return its form and dataset (shared
    between calls with the same text: do not change it).

    ``base`` resolves relative IRIs of FROM clauses when the query has no BASE."""
    if len(query) <= _CACHED_CHARS:
        return _inspect_cached(query, base)
    return _inspect(query, base)


def _inspect(query: str, base: str) -> QueryInfo:
    try:
        check_bounds(query)
    except QueryTooLarge as exc:
        raise Refused(400, f"Query refused: {exc}.") from None
    _refuse_service(query)
    words = code_words(query, prefixes=False)
    _refuse_updates(words)
    info = QueryInfo(_form(words))
    _read_dataset(query, words, base, info)
    return info


_inspect_cached = functools.lru_cache(maxsize=512)(_inspect)


def _refuse_service(query: str) -> None:
    """Refuse (403) a query with SERVICE anywhere, prefixed names included."""
    for word, _ in code_words(query, prefixes=True):
        if "SERVICE" in word:
            raise Refused(
                403,
                "SERVICE is not allowed: this endpoint never contacts other services "
                "(federated queries are refused before evaluation).",
            )


def _refuse_updates(words: list[tuple[str, int]]) -> None:
    """Refuse (403) a query with any SPARQL Update keyword."""
    for word, _ in words:
        for keyword in UPDATE_KEYWORDS:
            if word.startswith(keyword):
                raise Refused(
                    403,
                    f"SPARQL Update ({keyword}) is not allowed: this endpoint is read-only.",
                )


def _form(words: list[tuple[str, int]]) -> str | None:
    """The kind of result of the first query-form keyword (tabular, boolean, graph)."""
    for word, _ in words:
        for keyword, kind in FORMS.items():
            if word.startswith(keyword):
                return kind
    return None


def _read_dataset(query: str, words: list[tuple[str, int]], base: str, info: QueryInfo) -> None:
    """Add the graphs of the query's FROM and FROM NAMED clauses to ``info``, resolving
    IRIs against BASE and prefixed names against PREFIX as the query declares them."""
    scan = strip_for_scan(query)  # same length as the query: offsets agree
    prefixes: dict[str, str] = {}
    current_base = base
    for word, at in words:
        end = at + len(word)
        if word == "BASE":
            match = _IRI.match(query, _skip_space(query, scan, end))
            if match:
                current_base = urljoin(current_base, match.group(1))
        elif word == "PREFIX":
            match = _PREFIX_DECL.match(query, end)
            if match:
                prefixes[match.group(1)] = urljoin(current_base, match.group(2))
        elif "FROM" in word:
            i = _skip_space(query, scan, at + word.index("FROM") + 4)
            named = scan[i : i + 5].upper() == "NAMED"
            if named:
                i = _skip_space(query, scan, i + 5)
            graph = _graph_at(query, i, prefixes, current_base)
            if graph is None:
                raise Refused(400, "cannot read the graph IRI after FROM")
            (info.from_named_graphs if named else info.from_graphs).append(graph)


def _graph_at(query: str, i: int, prefixes: dict[str, str], base: str) -> str | None:
    """The IRI written at ``i`` (``<iri>`` or a prefixed name), resolved."""
    match = _IRI.match(query, i)
    if match:
        return urljoin(base, match.group(1))
    match = _PNAME.match(query, i)
    if match and match.group(1) in prefixes:
        return prefixes[match.group(1)] + match.group(2)
    return None
