"""Content negotiation (RFC 9110 §12.5.1): one Accept parser and one rule for choosing
among the representations a resource offers.

Three places negotiate, all through here: the site server (a resource's HTML page or
its RDF documents), ``/sparql`` (result and RDF formats, and the query editor for a
browser) and the named-query API (its catalogue as JSON or HTML). Each lists what it
offers in its own order of preference; the client's q-values decide, and a tie goes to
the earlier offer. So the site, which offers its HTML page first, gives a page to
``*/*``, while ``/sparql`` and the API, which offer their data first, give data to
``*/*`` and a page only to a client that ranks HTML above every data format offered
beside it (a browser).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

Offer = TypeVar("Offer")

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How specifically this range names ``media_type``: 2 exact, 1 type/*, 0 */*,
        -1 no match."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def _q_value(text: str) -> float:
    """A q parameter's value, clamped to [0, 1]; a malformed one is 0 (not acceptable)."""
    try:
        q = float(text.strip())
    except ValueError:
        return 0.0
    if math.isnan(q):
        return 0.0
    return min(max(q, 0.0), 1.0)


def _media_range(entry: str) -> MediaRange | None:
    """One comma-separated entry of Accept, or None when it names no media range."""
    parts = [p.strip() for p in entry.split(";")]
    kind = parts[0].lower()
    if kind.count("/") != 1:
        return None
    main, sub = kind.split("/")
    if not main or not sub or (main == "*" and sub != "*"):
        return None
    q = 1.0
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            q = _q_value(value)
    return MediaRange(main, sub, q)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; a missing or empty one accepts anything. Malformed
    entries are ignored, and a malformed q counts as 0 (not acceptable)."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = [r for r in map(_media_range, header.split(",")) if r is not None]
    # A header with nothing usable in it is treated as absent, not as "accept nothing".
    return ranges or [MediaRange("*", "*", 1.0)]


def quality(ranges: Sequence[MediaRange], names: Sequence[str]) -> float:
    """The q the client gives a representation known by ``names`` (its media type and
    the aliases that also ask for it): that of the most specific range matching any of
    the names (RFC 9110 §12.5.1), the highest q among equally specific ones; 0 when no
    range matches."""
    best_spec, best_q = -1, 0.0
    for name in names:
        for r in ranges:
            spec = r.specificity(name)
            if spec > best_spec or (spec == best_spec and spec >= 0 and r.q > best_q):
                best_spec, best_q = spec, r.q
    return best_q if best_spec >= 0 else 0.0


def preferred(accept: str | None, offers: Iterable[tuple[Offer, Sequence[str]]]) -> Offer | None:
    """The offer the client prefers among ``offers`` ((offer, media types that ask for
    it), in the server's order of preference): the highest q, a tie going to the earlier
    offer; None when the client accepts none of them (406)."""
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for offer, names in offers:
        q = quality(ranges, names)
        if q > best_q:  # strictly greater: ties keep the server's order
            best, best_q = offer, q
    return best


def prefers_html(accept: str | None, data: Iterable[Sequence[str]]) -> bool:
    """Whether the client ranks an HTML page above every data representation offered
    beside it (``data``: the media types of each). A tie goes to the data, so ``*/*``
    (curl, SPARQL clients) gets data and a browser, whose Accept puts HTML first, the
    page."""
    offers = [(False, names) for names in data]
    return preferred(accept, [*offers, (True, HTML_TYPES)]) is True
