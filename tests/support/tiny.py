"""A tiny build output for endpoint tests that need a live server but not the review:
``govsm.nq`` with a handful of quads and the fixture site (tests/fixtures/site)."""

from __future__ import annotations

import shutil
from pathlib import Path

from kg.prefixes import DEFAULT_BASE

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_SITE = ROOT / "tests" / "fixtures" / "site"


def tiny_dist(out: Path, base: str = DEFAULT_BASE) -> Path:
    """Write a small ``dist/`` (N-Quads in two graphs, the fixture site) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(20):
        graph = f"<{base}graph/data/part{i % 2}.ttl>"
        s, p = f"<{base}id/thing/{i}>", "<http://www.w3.org/2000/01/rdf-schema#label>"
        lines.append(f'{s} {p} "thing {i}"@en {graph} .')
        lines.append(f"{s} <{base}ns#next> <{base}id/thing/{(i + 1) % 20}> {graph} .")
    (out / "govsm.nq").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copytree(FIXTURE_SITE, out / "site")
    return out
