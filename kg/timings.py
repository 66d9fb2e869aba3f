"""How long each stage of a run took: the one timing helper of the package.

A :class:`Timings` is filled as a build runs (kg.build.pipeline, kg.web.site, the CLI's
terminal table) and printed by ``govsm build``: one summary line always, a table of
every stage and sub-stage with ``--timings``. Sub-stages are named ``stage/part``
(``site/void``); the top-level stages follow one another, so their sum plus
``other`` (what no stage claims) is the wall clock since the Timings was made.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Seconds per stage, in the order the stages ran (a stage run twice adds up)."""

    seconds: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (counted even when it raises)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        """Count ``seconds`` more to stage ``name``."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def top(self) -> dict[str, float]:
        """The top-level stages (no sub-stages), in order."""
        return {name: s for name, s in self.seconds.items() if "/" not in name}

    def total(self) -> float:
        """Wall clock since the Timings was made."""
        return time.perf_counter() - self.started

    def rows(self) -> list[tuple[str, float]]:
        """Every stage, each followed by its sub-stages, then ``other`` and ``total``."""
        total = self.total()
        out: list[tuple[str, float]] = []
        for name, seconds in self.top().items():
            out.append((name, seconds))
            out += [(n, s) for n, s in self.seconds.items() if n.startswith(name + "/")]
        out.append(("other", max(0.0, total - sum(self.top().values()))))
        out.append(("total", total))
        return out

    def summary(self) -> str:
        """One line: ``timings: load 0.41 s, validate 1.20 s, ..., total 9.87 s``."""
        parts = [f"{name} {seconds:.2f} s" for name, seconds in self.top().items()]
        return f"timings: {', '.join(parts)}, total {self.total():.2f} s"
