"""How big a query may be: the bounds under which the engines neither crash nor stall.

Oxigraph's parser and evaluator recurse, on the thread's stack, once per nesting level
and once per link of a chain of operators; past a few hundred levels the process dies
of a stack overflow (SIGSEGV), which no ``except`` can catch. Measured with pyoxigraph
0.5 on an 8 MiB stack (the Linux default), the smallest crashing inputs were: blank-node
property lists ``[ ?p [ ?p ...`` nested about 240 deep, collections ``( ( ...`` about 290,
``FILTER EXISTS {`` about 840, groups ``{ {`` about 2,190, parentheses in an expression
about 4,670; and chains of about 960 path steps ``<p>/<p>/...`` (which also take 6 s at
500), 6,500 ``UNION`` s, 6,900 ``+``. Many triple patterns or ``OPTIONAL`` s are slow
before they crash (200 triple patterns: 22 s on an empty store).

So a query is refused before any engine sees it when its text is longer than
:data:`MAX_QUERY_CHARS`, when its brackets ``{ ( [`` nest deeper than :data:`MAX_DEPTH`
(all three counted together), or when it has more than :data:`MAX_OPERATORS` operators
(``. ; , / | + - * &`` as characters, and the keywords ``UNION OPTIONAL MINUS``). They
are counted on the query's code only, in one regular-expression scan of
:func:`kg.sparql.files.strip_for_scan`'s text that matches names and numbers whole as
:func:`kg.sparql.files.code_words` does: nothing inside a string, an IRI, a comment, a
prefixed name or a number counts. The limits are far above the catalogue's queries (at
most 11 deep, 115 operators, 7.6 kB) and well under the crashes: each costliest kind
at its limit (nested blank nodes, collections, ``FILTER EXISTS``, path steps, ``UNION``)
runs on a 2 MiB stack, a quarter of the default. They bound crashes, not time: the
time limit stops a slow query within them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.sparql.files import NAME_TOKEN, QueryError, strip_for_scan

#: Characters of query text at most (the HTTP body may be larger: 1 MB). Also bounds the
#: time the guard's own lexer takes (about 0.1 s per 100,000 characters).
MAX_QUERY_CHARS = 100_000
#: Nesting of ``{``, ``(`` and ``[`` together, at most.
MAX_DEPTH = 64
#: Operators (see the module doc) in the whole query, at most.
MAX_OPERATORS = 400

_OPERATOR_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS"})
# One scan, in C: names and numbers are matched (and so skipped) whole, so that their
# dots, dashes and colons do not count; a bracket or an operator is matched alone.
_TOKEN = re.compile(
    f"(?:{NAME_TOKEN.pattern})|[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|(?P<open>[{(\[])|(?P<close>[})\]])|(?P<operator>[./|+\-*;,&])|(?P<word>[A-Za-z]+)"
)


class QueryTooLarge(QueryError):
    """A query over one of the bounds: names the limit and the value found."""


@dataclass(frozen=True)
class QueryShape:
    """What the bounds measure in a query."""

    chars: int
    depth: int
    operators: int


def measure(query: str) -> QueryShape:
    """The length, bracket depth and operator count of ``query`` (see the module doc)."""
    depth = deepest = operators = 0
    for token in _TOKEN.finditer(strip_for_scan(query)):
        if token.group("open"):
            depth += 1
            deepest = max(deepest, depth)
        elif token.group("close"):
            depth -= 1
        elif token.group("operator"):
            operators += 1
        elif token.group("word") and token.group("word").upper() in _OPERATOR_WORDS:
            operators += 1  # a keyword (names were matched whole before, as code_words does)
    return QueryShape(len(query), deepest, operators)


def check_bounds(query: str) -> QueryShape:
    """Raise :class:`QueryTooLarge` for a query over a bound; its shape otherwise."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLarge(
            f"the query is {len(query):,} characters long; at most {MAX_QUERY_CHARS:,} "
            "are accepted (query length limit)"
        )
    shape = measure(query)
    if shape.depth > MAX_DEPTH:
        raise QueryTooLarge(
            f"the query nests brackets {shape.depth} deep; at most {MAX_DEPTH} are accepted "
            "(query depth limit: '{', '(' and '[' nested in one another, counted together)"
        )
    if shape.operators > MAX_OPERATORS:
        raise QueryTooLarge(
            f"the query has {shape.operators} operators; at most {MAX_OPERATORS} are accepted "
            "(query operator limit: '.', ';', ',', '/', '|', '+', '-', '*', '&', UNION, "
            "OPTIONAL and MINUS, outside strings, IRIs and comments)"
        )
    return shape
