"""The landing page's figure: the factors and their sub-factors as an SVG (the template
site/figure.svg), each sub-factor box coloured by its derived direction, with its
evidence and study counts (queries/cq/classification-table.rq) and a link to the
sub-factor's page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from kg.prefixes import PREFIXES
from kg.rdf.engine import Engine
from kg.sparql.files import read_query
from kg.web.site.graph import SiteGraph, relative
from kg.web.templates import render

COLOURS = {"driver": "#cdebd3", "preventer": "#f7d4d0", "mixed": "#e4dcf7"}
BORDERS = {"driver": "#1a7f37", "preventer": "#b42318", "mixed": "#6941c6"}
NO_DIRECTION = ("#eeeeee", "#888888")  # fill and border of a box without a direction
BOX_W, BOX_H, GAP, HEAD = 240, 72, 10, 40
LINE = 32  # characters per label line (two lines at most)
LEGEND_STEP = 120  # horizontal space of one legend entry
TABLE_QUERY = Path("cq") / "classification-table.rq"


@dataclass(frozen=True)
class Box:
    factor: str
    label: str
    direction: str  # driver, preventer, mixed (several rules disagree) or "none"
    evidence: int
    studies: int
    href: str


@dataclass(frozen=True)
class Placed:
    """A box where the figure draws it: position, colours, label lines."""

    box: Box
    x: int
    y: int
    fill: str
    stroke: str
    lines: tuple[str, ...]  # the label on one line, or cut at a space onto two


def direction_of(directions: set[str]) -> str:
    if not directions:
        return "none"
    return directions.pop() if len(directions) == 1 else "mixed"


def label_lines(text: str) -> tuple[str, ...]:
    """The label on one line, or wrapped at a space onto two."""
    if len(text) <= LINE:
        return (text,)
    cut = text.rfind(" ", 0, LINE + 1)
    cut = cut if cut > 0 else LINE
    return text[:cut], text[cut:].strip()


def figure_boxes(
    graph: SiteGraph,
    engine: Engine,
    queries: Path,
    rule_iri: str | None,
    rows: list[dict] | None = None,
) -> list[Box]:
    """One box per sub-factor, from the classification-table query (of ``rule_iri``, or
    every rule's directions merged); ``rows``: its rows when already run (the build's
    table, kg.stages.report.Table.found)."""
    if rows is None:
        query = read_query(queries / TABLE_QUERY)
        bindings = {"rule": URIRef(rule_iri)} if rule_iri else {}
        rows = engine.select(query.text, bindings).dicts()
    merged: dict[str, dict] = {}
    for row in rows:
        iri = str(row["subfactor"])
        entry = merged.setdefault(iri, {"row": row, "directions": set()})
        if row["derivedDirection"] is not None:
            entry["directions"].add(str(row["derivedDirection"]))
    boxes = []
    for iri, entry in sorted(merged.items()):
        row = entry["row"]
        target = graph.page_path(iri)
        boxes.append(
            Box(
                str(row["factorLabel"]),
                str(row["subfactorLabel"]),
                direction_of(set(entry["directions"])),
                int(str(row["evidenceCount"] or 0)),
                int(str(row["studyCount"] or 0)),
                relative("index", target[0]) if target else iri,
            )
        )
    return boxes


def figure_title(graph: SiteGraph) -> str:
    """What the figure shows, named after the data's concept schemes (all of them, so
    that a build of several reviews names each) when it has any."""
    schemes = graph.instances(PREFIXES["skos"] + "ConceptScheme")
    if schemes:
        names = "; ".join(graph.label(s) for s in schemes)
        return f"{names}: sub-factors by derived direction"
    return "Factors and sub-factors by derived direction"


def context(boxes: list[Box], title: str) -> dict:
    """The template context of site/figure.svg: its size, title, one column per factor
    (x, factor, its placed boxes) and the legend."""
    factors = sorted({b.factor for b in boxes})
    columns = {
        f: sorted((b for b in boxes if b.factor == f), key=lambda b: b.label) for f in factors
    }
    rows = max((len(c) for c in columns.values()), default=0)
    width = len(factors) * (BOX_W + GAP) + GAP
    height = HEAD + rows * (BOX_H + GAP) + GAP + 40
    drawn = []
    for i, factor in enumerate(factors):
        x = GAP + i * (BOX_W + GAP)
        placed = []
        for j, b in enumerate(columns[factor]):
            fill = COLOURS.get(b.direction, NO_DIRECTION[0])
            stroke = BORDERS.get(b.direction, NO_DIRECTION[1])
            y = HEAD + j * (BOX_H + GAP)
            placed.append(Placed(b, x, y, fill, stroke, label_lines(b.label)))
        drawn.append((x, factor, placed))
    legend = [
        (GAP + k * LEGEND_STEP, name, fill, BORDERS[name])
        for k, (name, fill) in enumerate(COLOURS.items())
    ]
    return {
        "width": width,
        "height": height,
        "title": title,
        "columns": drawn,
        "legend": legend,
        "legend_y": height - 22,
        "box_w": BOX_W,
        "box_h": BOX_H,
    }


def svg(boxes: list[Box], title: str, templates: Path | None = None) -> str:
    """The figure as an SVG document (site/figure.svg)."""
    return render("site/figure.svg", templates, figure=context(boxes, title))
