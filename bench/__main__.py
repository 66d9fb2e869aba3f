"""Time each build stage on the review's data and compare it with a baseline.

The baseline is bare pyoxigraph bulk-loading the same source files, measured in the same
process: loading is the floor every stage is compared against. Prints one line per stage
with wall time and its ratio to the baseline, then the peak RSS of the process.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph

from kg import pipeline
from kg.config import BuildOptions, Project
from kg.derive import derive, select_rules
from kg.load import load
from kg.verify import verify

REPEATS = 3


def timed(action: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``action`` over ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_load(files: list[Path]) -> None:
    """The baseline: pyoxigraph bulk-loads every Turtle file into its own named graph."""
    store = pyoxigraph.Store()
    for path in files:
        store.bulk_load(
            path=str(path),
            format=pyoxigraph.RdfFormat.TURTLE,
            to_graph=pyoxigraph.NamedNode(path.resolve().as_uri()),
        )


def main() -> int:
    project = Project()
    options = BuildOptions()
    files = sorted(project.ontology.rglob("*.ttl")) + sorted(
        p for d in project.data for p in d.rglob("*.ttl")
    )
    rules = select_rules(project.queries, options.rules)

    baseline = timed(lambda: bare_load(files))
    loaded = load(project, options.base, options.engine)
    stages: dict[str, float] = {
        "load": timed(lambda: load(project, options.base, options.engine)),
        "validate": timed(lambda: pipeline.validate(loaded, project), repeats=1),
        "reason": timed(lambda: pipeline.reason(project), repeats=1),
        "derive": timed(lambda: derive(loaded.engine, rules, options.base)),
        "verify": timed(lambda: verify(loaded.engine, rules, options.base, project.queries)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dist"
        build_options = BuildOptions(out=out, reason=False)
        stages["build (no reason)"] = timed(
            lambda: pipeline.build(project, build_options), repeats=1
        )

    print(f"{len(files)} source files; baseline = bare pyoxigraph bulk load: {baseline:.3f} s")
    print(f"{'stage':<20} {'seconds':>8} {'x baseline':>11}")
    for stage, seconds in stages.items():
        print(f"{stage:<20} {seconds:>8.3f} {seconds / baseline:>11.1f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
