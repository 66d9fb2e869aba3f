"""One measurement, run in its own process: ``python -m bench.measure SYSTEM ROOT OUT``.

SYSTEM is ``ours`` (the govsm pipeline's own stage functions), ``rdflib`` (baseline (a):
the usual Python stack — rdflib Graph, pySHACL, rdflib SPARQL — on the same files and
queries) or ``floor`` (bare pyoxigraph bulk-loading the same files). ROOT is a project
folder (e.g. written by bench.generate); OUT a scratch folder for the dumps.

After each stage one JSON line goes to stdout (flushed): the stage, its wall time, the
peak RSS of this process so far (ru_maxrss) and a few counts that let the harness check
that every system did the same work (results, classifications, triples). The harness
kills the process at its time cap and keeps the stages that finished.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
BASE = "https://w3id.org/govsm/"
# Every system runs the same rule set: the generated reviews have context assessments, so
# it is the one `auto` chooses for them (kg.stages.derive), named here for the baselines.
RULES = "assessment"


def emit(stage: str, seconds: float, **info: Any) -> None:
    """One JSON line: stage, seconds, peak RSS (MB) so far, counts."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = {"stage": stage, "seconds": round(seconds, 4), "rss_mb": round(rss, 1), **info}
    print(json.dumps(line), flush=True)


def timed(stage: str, action: Callable[[], T], info: Callable[[T], dict] | None = None) -> T:
    """Run one stage, emit its line, return what it returned."""
    start, cpu = time.perf_counter(), cpu_seconds()
    value = action()
    seconds = time.perf_counter() - start
    extra = {"cpu_s": round(cpu_seconds() - cpu, 3)}
    emit(stage, seconds, **extra, **(info(value) if info else {}))
    return value


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (all threads)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def source_files(root: Path) -> list[Path]:
    """The ontology's and the data's Turtle files, as kg.rdf.load discovers them."""
    from kg.config import Project
    from kg.rdf.load import discover_sources

    return [s.path for s in discover_sources(Project(root=root), BASE)]


# --------------------------------------------------------------------------------------


def run_ours(root: Path, out: Path, validator: str = "fast") -> None:
    """The govsm stages: load, validate, reason, derive, verify, dumps."""
    from kg.build import pipeline
    from kg.build.dumps import write_dumps
    from kg.build.schedule import Background
    from kg.config import Project
    from kg.rdf.load import Loaded, load
    from kg.stages.derive import derive, select_rules
    from kg.stages.verify import verify
    from kg.validation import validate

    project = Project(root=root)
    rules = select_rules(project.queries, RULES)
    # as in the build (kg.build.schedule): reasoning starts first, the source graphs'
    # dump lines after validation, the reasoner's verdict is collected last
    background = Background()

    def load_stage() -> Loaded:
        background.start_reasoning(project)
        return load(project, BASE)

    def validate_stage() -> Any:
        report = validate(loaded, project, validator=validator)
        background.start_dump_lines(loaded)
        return report

    loaded = timed("load", load_stage, lambda x: {"quads": len(x.engine.dataset)})
    timed(
        "validate",
        validate_stage,
        lambda r: {"violations": len(r.violations), "results": len(r.results)},
    )
    timed(
        "derive",
        lambda: derive(loaded.engine, rules, BASE),
        lambda ds: {"classifications": sum(d.classifications for d in ds)},
    )
    timed(
        "verify",
        lambda: verify(loaded.engine, rules, BASE, project.queries),
        lambda v: {"compared": v.compared, "differences": len(v.differences)},
    )
    timed(
        "dumps",
        lambda: write_dumps(out, loaded.engine, background.dump_lines),
        lambda dumped: {"bytes": dumped.written},
    )
    timed(
        "reason",
        lambda: pipeline.reason(project, prepared=background.reasoning),
        lambda r: {"ok": None if r is None else r.ok},
    )


def run_rdflib(root: Path, out: Path, validate_only: bool = False) -> None:
    """Baseline (a): rdflib Graph parse, pySHACL, the check queries and the same derive
    and verify queries through rdflib SPARQL, rdflib serialisers (N-Triples, Turtle).

    pySHACL is by far the slowest stage: it runs in a process of its own
    (``validate_only``: an untimed load, then validate), so that a cap cutting it off
    loses nothing else.
    """
    import rdflib
    from rdflib.namespace import RDF

    from kg.build import pipeline
    from kg.config import Project
    from kg.prefixes import GOVSM
    from kg.sparql.files import read_query
    from kg.stages.derive import select_rules
    from kg.stages.verify import VERIFY_QUERY

    project = Project(root=root)
    graph = rdflib.Graph()

    def parse() -> rdflib.Graph:
        for path in source_files(root):
            graph.parse(path, format="turtle")
        return graph

    if validate_only:
        parse()
        timed(
            "validate",
            lambda: rdflib_shacl(project, graph),
            lambda r: {"results": r[0], "check_rows": r[1]},
        )
        return
    timed("load", parse, lambda g: {"triples": len(g)})
    timed("reason", lambda: pipeline.reason(project), lambda r: {"ok": None if r is None else r.ok})
    rules = select_rules(project.queries, RULES)

    def derive() -> int:
        count = 0
        kind = rdflib.URIRef(GOVSM + "DerivedClassification")
        for rule in rules:
            iri = rdflib.URIRef(f"{BASE}rule/{rule.stem}")
            new = list(graph.query(rule.query.text, initBindings={"rule": iri}))
            count += sum(1 for _, p, o in new if p == RDF.type and o == kind)
            for triple in new:
                graph.add(triple)
        return count

    timed("derive", derive, lambda n: {"classifications": n})
    query = read_query(project.queries / VERIFY_QUERY)

    def verify() -> tuple[int, int]:
        compared = differences = 0
        for rule in rules:
            iri = rdflib.URIRef(f"{BASE}rule/{rule.stem}")
            for row in graph.query(query.text, initBindings={"rule": iri}):
                compared += 1
                differences += str(row.status) != "match"
        return compared, differences

    timed("verify", verify, lambda r: {"compared": r[0], "differences": r[1]})

    def dumps() -> int:
        out.mkdir(parents=True, exist_ok=True)
        graph.serialize(out / "rdflib.nt", format="nt", encoding="utf-8")
        graph.serialize(out / "rdflib.ttl", format="turtle", encoding="utf-8")
        return (out / "rdflib.nt").stat().st_size + (out / "rdflib.ttl").stat().st_size

    timed("dumps", dumps, lambda n: {"bytes": n})


SH_RESULT = "http://www.w3.org/ns/shacl#ValidationResult"


def rdflib_shacl(project: Any, graph: Any) -> tuple[int, int]:
    """pySHACL with the project's shapes (owl:imports dropped, no inference, no network)
    and the check queries through rdflib SPARQL: (results, check-query rows)."""
    import rdflib
    from pyshacl import validate
    from rdflib.namespace import OWL, RDF

    from kg.validation.inputs import load_checks

    shapes = rdflib.Graph()
    for path in sorted(project.shapes.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    shapes.remove((None, OWL.imports, None))
    rows = 0
    for check in load_checks(project.checks):
        rows += len(list(graph.query(check.text)))
    _conforms, report, _ = validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        advanced=False,
        do_owl_imports=False,
    )
    results = len(list(report.subjects(RDF.type, rdflib.URIRef(SH_RESULT))))
    return results + rows, rows


def run_rdflib_validate(root: Path, out: Path) -> None:
    """Baseline (a)'s validate stage alone (see run_rdflib)."""
    run_rdflib(root, out, validate_only=True)


def run_floor(root: Path, out: Path) -> None:
    """The floor: bare pyoxigraph bulk-loading every file into its own named graph."""
    import pyoxigraph as ox

    files = source_files(root)

    def bulk() -> int:
        store = ox.Store()
        for path in files:
            store.bulk_load(
                path=str(path),
                format=ox.RdfFormat.TURTLE,
                to_graph=ox.NamedNode(path.resolve().as_uri()),
            )
        return len(store)

    timed("load", bulk, lambda n: {"quads": n})


def run_revalidate(root: Path, out: Path) -> None:
    """Validation after a one-file edit (kg.validation.incremental): a copy of the project
    is validated in full (untimed: it fills the cache), one quote in evidence.ttl (the
    largest data file) is edited, and the incremental run is timed ("revalidate"),
    with the mode it chose and how many focus nodes it re-checked."""
    import shutil

    from kg.config import Project
    from kg.validation import validate_incremental

    copy = out / "project"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".govsm-cache"))
    project = Project(root=copy)
    first = validate_incremental(project, BASE, full=True)
    evidence = next(copy.glob("data/*/evidence.ttl"))
    text = evidence.read_text(encoding="utf-8")
    edited = text.replace('oa:exact "finding 1 ', 'oa:exact "edited finding 1 ', 1)
    if edited == text:
        raise SystemExit("bench.measure revalidate: no quote to edit in evidence.ttl")
    evidence.write_text(edited, encoding="utf-8")
    timed(
        "revalidate",
        lambda: validate_incremental(project, BASE),
        lambda o: {
            "mode": o.mode,
            "rechecked": o.rechecked,
            "results": len(o.report.results),
            "full_results": len(first.report.results),
        },
    )


SYSTEMS = {
    "ours": run_ours,
    "rdflib": run_rdflib,
    "rdflib-validate": run_rdflib_validate,
    "floor": run_floor,
    "revalidate": run_revalidate,
}


def main(argv: list[str]) -> int:
    """``SYSTEM ROOT OUT [--validator fast|pyshacl]``; exit 2 on a bad command line."""
    if len(argv) < 3 or argv[0] not in SYSTEMS:
        print(f"usage: python -m bench.measure {{{','.join(SYSTEMS)}}} ROOT OUT", file=sys.stderr)
        return 2
    system, root, out = argv[0], Path(argv[1]), Path(argv[2])
    if system == "ours" and "--validator" in argv:
        run_ours(root, out, argv[argv.index("--validator") + 1])
    else:
        SYSTEMS[system](root, out)
    print(json.dumps({"done": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
