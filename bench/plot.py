"""An SVG of the scale benchmark, written by hand (no plotting dependency): total time
and peak RSS against the number of studies, log-log, one line per system."""

from __future__ import annotations

import math
from typing import Any

COLOURS = {"ours": "#1a7f37", "rdflib": "#b42318", "jena": "#175cd3", "floor": "#667085"}
W, H, PAD = 420, 300, 56


def _scale(values: list[float]) -> tuple[float, float]:
    low = math.floor(math.log10(min(values)))
    high = math.ceil(math.log10(max(values)))
    return low, max(high, low + 1)


def _panel(
    x0: int, title: str, unit: str, series: dict[str, list[tuple[float, float, bool]]]
) -> str:
    points = [p for pts in series.values() for p in pts if p[1] > 0]
    if not points:
        return ""
    xl, xh = _scale([p[0] for p in points])
    yl, yh = _scale([p[1] for p in points])

    def px(x: float) -> float:
        return x0 + PAD + (math.log10(x) - xl) / (xh - xl) * (W - 2 * PAD)

    def py(y: float) -> float:
        return H - PAD + 10 - (math.log10(y) - yl) / (yh - yl) * (H - 2 * PAD)

    out = [
        f'<text x="{x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>',
        f'<line x1="{x0 + PAD}" y1="{H - PAD + 10}" x2="{x0 + W - PAD}" y2="{H - PAD + 10}" '
        'stroke="#000"/>',
        f'<line x1="{x0 + PAD}" y1="{PAD - 10}" x2="{x0 + PAD}" y2="{H - PAD + 10}" '
        'stroke="#000"/>',
        f'<text x="{x0 + W / 2}" y="{H - 12}" text-anchor="middle">studies</text>',
        f'<text x="{x0 + 14}" y="{H / 2}" transform="rotate(-90 {x0 + 14} {H / 2})" '
        f'text-anchor="middle">{unit}</text>',
    ]
    for e in range(int(xl), int(xh) + 1):
        x = px(10**e)
        out.append(f'<text x="{x}" y="{H - PAD + 26}" text-anchor="middle">10^{e}</text>')
    for e in range(int(yl), int(yh) + 1):
        y = py(10**e)
        out.append(
            f'<line x1="{x0 + PAD}" y1="{y}" x2="{x0 + W - PAD}" y2="{y}" stroke="#eee"/>'
            f'<text x="{x0 + PAD - 6}" y="{y + 4}" text-anchor="end">10^{e}</text>'
        )
    for name, pts in series.items():
        pts = sorted(p for p in pts if p[1] > 0)
        if not pts:
            continue
        colour = COLOURS.get(name, "#000")
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, bound in pts:
            fill = "#fff" if bound else colour  # hollow: a lower bound (cut off at the cap)
            out.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{fill}" '
                f'stroke="{colour}"><title>{name}: {y:.3g} {unit} at {x:g} studies'
                f"{' (lower bound)' if bound else ''}</title></circle>"
            )
    return "\n".join(out)


def svg(summary: list[tuple[int, int, dict[str, Any]]], stages: tuple, common: tuple) -> str:
    """Two panels: total seconds of the common stages, and peak RSS (MB)."""
    times: dict[str, list] = {}
    memory: dict[str, list] = {}
    for studies, _triples, results in summary:
        for name, m in results.items():
            if name not in COLOURS:
                continue
            total = m.total(common if name != "floor" else ("load",))
            if total is not None:
                bound = any(m.bound(s) for s in common)
                times.setdefault(name, []).append((studies, total, bound))
            if m.rss_mb:
                memory.setdefault(name, []).append((studies, m.rss_mb, False))
    legend = "".join(
        f'<rect x="{20 + i * 150}" y="{H + 8}" width="12" height="12" fill="{c}"/>'
        f'<text x="{38 + i * 150}" y="{H + 19}">{n}</text>'
        for i, (n, c) in enumerate(COLOURS.items())
    )
    note = (
        f'<text x="20" y="{H + 40}" font-size="11">time: load+validate+derive+verify+dumps '
        "(reason excluded: Jena has none); floor: bare pyoxigraph bulk load; hollow point: "
        "lower bound (cut off at the cap)</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + 50}" '
        'font-family="sans-serif" font-size="12">\n'
        f'<rect width="100%" height="100%" fill="#fff"/>\n'
        + _panel(0, "Time (s) vs size", "seconds", times)
        + "\n"
        + _panel(W, "Peak RSS (MB) vs size", "MB", memory)
        + "\n"
        + legend
        + note
        + "\n</svg>\n"
    )
