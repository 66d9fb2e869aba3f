"""The landing page's figure: the 4 factors and their 16 sub-factors as an SVG, each
sub-factor box coloured by its derived direction, with its evidence and study counts
(queries/cq/classification-table.rq) and a link to the sub-factor's page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as esc

COLOURS = {"driver": "#cdebd3", "preventer": "#f7d4d0", "mixed": "#e4dcf7"}
BORDERS = {"driver": "#1a7f37", "preventer": "#b42318", "mixed": "#6941c6"}
BOX_W, BOX_H, GAP, HEAD = 240, 72, 10, 40
LINE = 32  # characters per label line (two lines at most)


@dataclass(frozen=True)
class Box:
    factor: str
    label: str
    direction: str  # driver, preventer, mixed (several rules disagree) or "none"
    evidence: int
    studies: int
    href: str


def direction_of(directions: set[str]) -> str:
    if not directions:
        return "none"
    return directions.pop() if len(directions) == 1 else "mixed"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _label(text: str, x: int) -> str:
    """The label on one line, or wrapped at a space onto two (tspan) lines."""
    if len(text) <= LINE:
        return esc(text)
    cut = text.rfind(" ", 0, LINE + 1)
    cut = cut if cut > 0 else LINE
    first, second = text[:cut], text[cut:].strip()
    return f'{esc(first)}<tspan x="{x}" dy="16">{esc(second)}</tspan>'


def svg(boxes: list[Box]) -> str:
    factors = sorted({b.factor for b in boxes})
    columns = {
        f: sorted((b for b in boxes if b.factor == f), key=lambda b: b.label) for f in factors
    }
    rows = max((len(c) for c in columns.values()), default=0)
    width = len(factors) * (BOX_W + GAP) + GAP
    height = HEAD + rows * (BOX_H + GAP) + GAP + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="figure-title" '
        'font-family="system-ui,sans-serif" font-size="12">',
        '<title id="figure-title">Factors and sub-factors of government use of social media '
        "for service delivery, by derived direction</title>",
    ]
    for i, factor in enumerate(factors):
        x = GAP + i * (BOX_W + GAP)
        out.append(f'<text x="{x}" y="24" font-size="15" font-weight="bold">{esc(factor)}</text>')
        for j, b in enumerate(columns[factor]):
            y = HEAD + j * (BOX_H + GAP)
            fill = COLOURS.get(b.direction, "#eeeeee")
            stroke = BORDERS.get(b.direction, "#888888")
            out.append(
                f'<a href="{esc(b.href)}" class="subfactor {esc(b.direction)}" '
                f'data-direction="{esc(b.direction)}" data-evidence="{b.evidence}" '
                f'data-studies="{b.studies}">'
                f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                f'fill="{fill}" stroke="{stroke}"/>'
                f'<text x="{x + 8}" y="{y + 18}" font-weight="bold">{_label(b.label, x + 8)}</text>'
                f'<text x="{x + 8}" y="{y + 60}">{esc(b.direction)} · '
                f"{_count(b.evidence, 'evidence', 'evidence')} · "
                f"{_count(b.studies, 'study', 'studies')}</text></a>"
            )
    y = height - 22
    for k, (name, fill) in enumerate(COLOURS.items()):
        x = GAP + k * 120
        out.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" fill="{fill}" stroke="{BORDERS[name]}"/>'
            f'<text x="{x + 20}" y="{y + 12}">{name}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
