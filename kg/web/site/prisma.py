"""A review's PRISMA 2020 flow diagram as SVG (the template site/prisma.svg), drawn from
its govsm:SelectionFlow: on the review's page and as the file PAGE/prisma.svg beside it.

The layout is the PRISMA 2020 template for new reviews with databases, registers and
other sources (Page et al. 2021, BMJ 372:n71, Figure 1): identification, screening
(records screened, reports sought, reports assessed) and included, the databases and
registers column with its exclusion boxes on the right, the other-methods column beside
it. Only the boxes the review reports are drawn, so a reader sees what it does not
report by their absence, and a note names the stages missing altogether. The box wording
is the template's (the ontology's skos:prefLabels say the same, with the column
added); names of sources and reasons and every count come from the data. Text is
<text>, never paths; no script; sorted input and integer coordinates, so two builds
give the same bytes.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.prefixes import GOVSM, PREFIXES
from kg.web.site.graph import SiteGraph
from kg.web.site.pages import Page
from kg.web.templates import render

RDFS_LABEL = PREFIXES["rdfs"] + "label"
#: The diagram's file, relative to the review's page path (PAGE/prisma.svg).
FILE_NAME = "prisma.svg"
MAIN_W, SIDE_W, ARROW_GAP, COLUMN_GAP = 300, 280, 40, 50
LEFT, TOP, ROW_GAP, PAD, LINE_H = 110, 56, 34, 10, 16
# characters of 12px sans-serif text per pixel of width (regular, bold), a safe guess
CHARS_PER_PIXEL = {False: 1 / 6.0, True: 1 / 6.6}
NBSP = "\u00a0"  # holds "(n = 12)" together while wrapping

# (row, column, side) of each box, and its heading as the template words it: the
# sources, removals and reasons are listed under a heading, the others are one count.
# column "a": databases and registers; "b": other methods; side: the exclusion box.
_LISTED = {
    "prismaDatabases": ("identified", "a", False, "Databases"),
    "prismaRegisters": ("identified", "a", False, "Registers"),
    "prismaDuplicatesRemoved": ("identified", "a", True, "Duplicate records removed"),
    "prismaAutomationRemoved": (
        "identified",
        "a",
        True,
        "Records marked as ineligible by automation tools",
    ),
    "prismaOtherRemoved": ("identified", "a", True, "Records removed for other reasons"),
    "prismaReportsExcludedReason": ("assessed", "a", True, None),
    "prismaWebsites": ("identified", "b", False, "Websites"),
    "prismaOrganisations": ("identified", "b", False, "Organisations"),
    "prismaCitationSearching": ("identified", "b", False, "Citation searching"),
    "prismaOtherSources": ("identified", "b", False, "Other sources"),
    "prismaOtherReportsExcludedReason": ("assessed", "b", True, None),
}
_SINGLE = {
    "prismaRecordsScreened": ("screened", "a", False, "Records screened"),
    "prismaRecordsExcluded": ("screened", "a", True, "Records excluded"),
    "prismaReportsSought": ("sought", "a", False, "Reports sought for retrieval"),
    "prismaReportsNotRetrieved": ("sought", "a", True, "Reports not retrieved"),
    "prismaReportsAssessed": ("assessed", "a", False, "Reports assessed for eligibility"),
    "prismaReportsExcluded": ("assessed", "a", True, "Reports excluded"),
    "prismaOtherReportsSought": ("sought", "b", False, "Reports sought for retrieval"),
    "prismaOtherReportsNotRetrieved": ("sought", "b", True, "Reports not retrieved"),
    "prismaOtherReportsAssessed": ("assessed", "b", False, "Reports assessed for eligibility"),
    "prismaOtherReportsExcluded": ("assessed", "b", True, "Reports excluded"),
    "prismaStudiesIncluded": ("included", "a", False, "Studies included in review"),
    "prismaReportsIncluded": ("included", "a", False, "Reports of included studies"),
}
# The headings of the boxes that list several counts, by (row, column, side).
_HEADINGS = {
    ("identified", "a", False): "Records identified from:",
    ("identified", "a", True): "Records removed before screening:",
    ("identified", "b", False): "Records identified from:",
    ("assessed", "a", True): "Reports excluded:",
    ("assessed", "b", True): "Reports excluded:",
}
# The diagram's order (within a box, and in the description).
_ORDER = [
    "prismaDatabases",
    "prismaRegisters",
    "prismaDuplicatesRemoved",
    "prismaAutomationRemoved",
    "prismaOtherRemoved",
    "prismaRecordsScreened",
    "prismaRecordsExcluded",
    "prismaReportsSought",
    "prismaReportsNotRetrieved",
    "prismaReportsAssessed",
    "prismaReportsExcluded",
    "prismaReportsExcludedReason",
    "prismaWebsites",
    "prismaOrganisations",
    "prismaCitationSearching",
    "prismaOtherSources",
    "prismaOtherReportsSought",
    "prismaOtherReportsNotRetrieved",
    "prismaOtherReportsAssessed",
    "prismaOtherReportsExcluded",
    "prismaOtherReportsExcludedReason",
    "prismaStudiesIncluded",
    "prismaReportsIncluded",
]
_NAMED = {"prismaReportsExcludedReason", "prismaOtherReportsExcludedReason"} | {
    box for box, (row, _, side, _) in _LISTED.items() if row == "identified" and not side
}
ROWS = ("identified", "screened", "sought", "assessed", "included")
STAGES = {"identified": "Identification", "included": "Included"}  # others: Screening


@dataclass(frozen=True)
class FlowCount:
    """One count of a flow: its box (the govsm: local name), name (a source's or a
    reason's) and number."""

    box: str
    name: str | None
    count: int


@dataclass(frozen=True)
class Box:
    """A box as drawn: where, how large, its lines (text, bold)."""

    x: int
    y: int
    w: int
    h: int
    lines: tuple[tuple[str, bool], ...]
    line_h: int = LINE_H


@dataclass(frozen=True)
class Arrow:
    """A connector: the points of its line and of its head (SVG ``points``)."""

    line: str
    head: str


def flow_of(graph: SiteGraph, review: ox.NamedNode) -> list[FlowCount] | None:
    """The counts of the review's PRISMA flow (sorted), or None without one (or none of
    its counts in a known box with a whole number)."""
    flow = graph.value(review, GOVSM + "hasSelectionFlow")
    if flow is None:
        return None
    counts = []
    for node in graph.objects(flow, GOVSM + "hasFlowCount"):
        box, number = graph.value(node, GOVSM + "flowBox"), graph.value(node, GOVSM + "boxCount")
        if not isinstance(box, ox.NamedNode) or not isinstance(number, ox.Literal):
            continue
        local = box.value[len(GOVSM) :] if box.value.startswith(GOVSM) else ""
        if (local in _LISTED or local in _SINGLE) and number.value.strip().isdigit():
            name = _name(graph, node) if local in _NAMED else None
            counts.append(FlowCount(local, name, int(number.value)))
    return sorted(counts, key=lambda c: (_ORDER.index(c.box), c.name or "", c.count)) or None


def _name(graph: SiteGraph, node: ox.NamedNode | ox.BlankNode) -> str:
    """A source's or a reason's name: its label (the shapes require one), else "?"."""
    label = graph.value(node, RDFS_LABEL)
    return label.value if isinstance(label, ox.Literal) else "?"


def _wrap(text: str, width: int, bold: bool, indent: str = "") -> list[tuple[str, bool]]:
    """``text`` in lines that fit ``width`` pixels, never breaking a "(n = N)"."""
    chars = max(12, int(width * CHARS_PER_PIXEL[bold]))
    head, sep, count = text.rpartition(" (n = ")
    held = f"{head}{NBSP}(n{NBSP}={NBSP}{count}" if sep else text
    lines = textwrap.wrap(held, chars, initial_indent=indent, subsequent_indent=indent + "  ")
    return [(line.replace(NBSP, " "), bold) for line in lines]


def _box_lines(place: tuple[str, str, bool], counts: list[FlowCount], width: int) -> list:
    """The lines of one box: a heading and a line per listed count, or one line per
    single count (an included box holds studies and reports)."""
    inner = width - 2 * PAD
    lines: list[tuple[str, bool]] = []
    heading = _HEADINGS.get(place)
    if heading is not None:
        total = [c for c in counts if c.box in _SINGLE]  # "Reports excluded (n = 26)"
        head = f"{heading[:-1]} (n = {total[0].count}):" if total else heading
        lines += _wrap(head, inner, True)
        for c in counts:
            if c.box in _LISTED:
                kind = _LISTED[c.box][3]
                text = f"{kind}: {c.name}" if kind and place[2] is False else (kind or c.name)
                lines += _wrap(f"{text} (n = {c.count})", inner, False, "  ")
        return lines
    for c in counts:
        lines += _wrap(f"{_SINGLE[c.box][3]} (n = {c.count})", inner, True)
    return lines


def _boxes_by_place(counts: list[FlowCount]) -> dict[tuple[str, str, bool], list[FlowCount]]:
    places: dict[tuple[str, str, bool], list[FlowCount]] = {}
    for c in counts:
        row, column, side, _ = _LISTED.get(c.box) or _SINGLE[c.box]
        places.setdefault((row, column, side), []).append(c)
    return places


def _x(column: str, side: bool) -> int:
    a_side = LEFT + MAIN_W + ARROW_GAP
    b_main = a_side + SIDE_W + COLUMN_GAP
    if column == "a":
        return a_side if side else LEFT
    return b_main + MAIN_W + ARROW_GAP if side else b_main


def layout(counts: list[FlowCount]) -> dict:
    """The template context of site/prisma.svg: size, boxes, arrows, stage labels, the
    column headings and a note on the stages the review does not report."""
    places = _boxes_by_place(counts)
    with_b = any(column == "b" for _, column, _ in places)
    heads = _column_heads(places, with_b)
    boxes: dict[tuple[str, str, bool], Box] = {}
    stages, y = [], TOP if heads else 2 * PAD
    for row in ROWS:
        in_row = sorted(p for p in places if p[0] == row)
        if not in_row:
            continue
        drawn = {}
        for place in in_row:
            width = SIDE_W if place[2] else MAIN_W
            lines = tuple(_box_lines(place, places[place], width))
            drawn[place] = (width, lines)
        height = max(2 * PAD + LINE_H * len(lines) for _, lines in drawn.values())
        for place, (width, lines) in drawn.items():
            boxes[place] = Box(_x(place[1], place[2]), y, width, height, lines)
        stages.append((y + height // 2, STAGES.get(row, "Screening")))
        y += height + ROW_GAP
    right = max(b.x + b.w for b in boxes.values())
    missing = [
        name
        for name, rows in (
            ("identification", ("identified",)),
            ("screening", ("screened", "sought", "assessed")),
            ("inclusion", ("included",)),
        )
        if not any(p[0] in rows for p in places)
    ]
    note = f"Not reported by the review: {', '.join(missing)}." if missing else None
    return {
        "width": right + PAD,
        "height": y + (20 if note else 0),
        "boxes": [boxes[p] for p in sorted(boxes)],
        "arrows": _arrows(boxes),
        "stages": _stage_labels(stages),
        "columns": heads,
        "note": note,
        "note_y": y + 4,
    }


def _stage_labels(stages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """One label per stage, at the middle of its rows."""
    spans: dict[str, list[int]] = {}
    for y, name in stages:
        spans.setdefault(name, []).append(y)
    return sorted(((sum(ys) // len(ys), name) for name, ys in spans.items()), key=lambda s: s[0])


def _column_heads(places: dict, with_b: bool) -> list[tuple[int, str]]:
    heads = [(LEFT, "Identification of new studies via databases and registers")]
    if not any(p[1] == "a" and p[0] != "included" for p in places):
        heads = []
    if with_b:
        heads.append((_x("b", False), "Identification of new studies via other methods"))
    return heads


def _down(x: int, y1: int, y2: int) -> Arrow:
    return Arrow(f"{x},{y1} {x},{y2}", f"{x - 4},{y2 - 7} {x + 4},{y2 - 7} {x},{y2}")


def _arrows(boxes: dict[tuple[str, str, bool], Box]) -> list[Arrow]:
    """Down each column from box to box, from a main box to its side box, and from the
    other-methods column into the included box."""
    arrows = []
    for column in ("a", "b"):
        mains = [boxes[(r, column, False)] for r in ROWS if (r, column, False) in boxes]
        for upper, lower in zip(mains, mains[1:], strict=False):
            arrows.append(_down(upper.x + upper.w // 2, upper.y + upper.h, lower.y))
        for row in ROWS:
            main, side = boxes.get((row, column, False)), boxes.get((row, column, True))
            if main is not None and side is not None:
                y, x1, x2 = main.y + main.h // 2, main.x + main.w, side.x
                arrows.append(
                    Arrow(f"{x1},{y} {x2},{y}", f"{x2 - 7},{y - 4} {x2 - 7},{y + 4} {x2},{y}")
                )
    included = boxes.get(("included", "a", False))
    b_mains = [boxes[(r, "b", False)] for r in ROWS if (r, "b", False) in boxes]
    if included is not None and b_mains:
        last = b_mains[-1]
        x, y, end = last.x + last.w // 2, included.y + included.h // 2, included.x + included.w
        arrows.append(
            Arrow(
                f"{x},{last.y + last.h} {x},{y} {end},{y}",
                f"{end + 7},{y - 4} {end + 7},{y + 4} {end},{y}",
            )
        )
    return arrows


def title_of(graph: SiteGraph, review: ox.NamedNode) -> str:
    """The diagram's title, named after the review (its label, from the data)."""
    return f"PRISMA 2020 flow diagram: {graph.label(review)}"


def description(counts: list[FlowCount]) -> str:
    """Every count in words, for readers that do not see the drawing (<desc>)."""
    parts = []
    for c in counts:
        _, column, _, kind = _LISTED.get(c.box) or _SINGLE[c.box]
        what = f"{kind}: {c.name}" if kind and c.name else (kind or f"Reports excluded: {c.name}")
        other = " (other methods)" if column == "b" and c.box not in _NAMED else ""
        parts.append(f"{what}{other} (n = {c.count})")
    return "; ".join(parts) + "."


def svg(graph: SiteGraph, review: ox.NamedNode, templates: Path | None = None) -> str | None:
    """The review's PRISMA flow diagram as an SVG document, or None without a flow."""
    counts = flow_of(graph, review)
    if counts is None:
        return None
    return render("site/prisma.svg", templates, prisma=context(graph, review, counts))


def context(graph: SiteGraph, review: ox.NamedNode, counts: list[FlowCount]) -> dict:
    """site/prisma.svg's context: the layout, its title and description."""
    return {**layout(counts), "title": title_of(graph, review), "desc": description(counts)}


def file_path(page_path: str) -> str:
    """The diagram's file, relative to the site: PAGE/prisma.svg beside the review's
    page (the review's IRI path as a folder, like its quotes' pages)."""
    return f"{page_path}/{FILE_NAME}"


def section(page: Page, review: ox.NamedNode) -> dict | None:
    """The review page's section (site/resource.html): the diagram's context and the
    link to its file (None on a page rendered on demand, where no file is written);
    None without a flow."""
    counts = flow_of(page.graph, review)
    if counts is None:
        return None
    href = None if page.paged else page.asset(file_path(page.path))
    return {**context(page.graph, review, counts), "href": href}
