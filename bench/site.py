"""Static site versus pages on demand: ``python -m bench.site ROOT OUT [--sample N]``.

Loads and derives the project at ROOT (untimed), then measures, in this process:

- ``static``: :func:`kg.web.site.write_site` writing the whole site into OUT (every resource's
  page and four RDF documents, the ontology and dataset pages, dumps, sitemap);
- ``ondemand-start``: building a :class:`kg.web.site.ondemand.OnDemandSite` from the dump a
  server would hold (``govsm.nq`` bulk-loaded into a fresh store);
- ``partial`` (with ``--partial``): the site without resource pages (the site-level
  pages only, as ``govsm build`` writes above kg.build.pipeline.SITE_MAX_RESOURCES);
- ``ondemand-page``: rendering the HTML page of N resources spread evenly over all of
  them (first request of each: nothing cached), with the mean, the slowest and the
  largest page's size;
- ``ondemand-most-incoming``, ``ondemand-subfactor``, ``ondemand-most-outgoing``: the
  pages that grow with the data (the resource with the most incoming links, the
  sub-factor with the most, the resource with the most outgoing links): time and size.

``--dump-cost NQ`` instead measures, in a process of its own, the full site's in-memory
TriG and JSON-LD dumps of one N-Quads file (time and peak RSS).

One JSON line per measurement (as bench.measure). Run by ``python -m bench --site``.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE = "https://w3id.org/govsm/"


def emit(stage: str, seconds: float, **info: object) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"stage": stage, "seconds": round(seconds, 4), "rss_mb": round(rss, 1), **info}),
        flush=True,
    )


def dump_cost(nquads: Path) -> int:
    """What the in-memory dumps of the full static site cost on one N-Quads file (run in
    a process of its own, so that peak RSS shows what each step adds): TriG of the
    sorted quads, JSON-LD of the parsed default view."""
    import pyoxigraph as ox

    from kg.rdf.jsonld import Context, graph_document, usage_of
    from kg.web.site import rdfio
    from kg.web.site.graph import SiteGraph

    start = time.perf_counter()
    text = nquads.read_text(encoding="utf-8")
    emit("dump-read", time.perf_counter() - start, bytes=len(text.encode("utf-8")))
    start = time.perf_counter()
    quads = sorted(
        ox.parse(text, format=ox.RdfFormat.N_QUADS),
        key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
    )
    trig = rdfio.trig(quads)
    emit("dump-trig", time.perf_counter() - start, quads=len(quads), bytes=len(trig))
    del quads, trig
    start = time.perf_counter()
    graph = SiteGraph.from_nquads(text, BASE, set())
    context = Context.build(usage_of(graph.triples), BASE)
    jsonld = graph_document(context, graph.triples, whole_context=True)
    emit("dump-jsonld", time.perf_counter() - start, triples=len(graph.triples), bytes=len(jsonld))
    return 0


def main(argv: list[str]) -> int:
    """``ROOT OUT [--sample N] [--no-static] [--partial]``, or ``--dump-cost NQ``."""
    if argv[:1] == ["--dump-cost"] and len(argv) == 2:
        return dump_cost(Path(argv[1]))
    from kg.build import pipeline
    from kg.config import BuildOptions, Project
    from kg.rdf.load import load
    from kg.rdf.nquads import canonical_dump
    from kg.rdf.turtle import default_view_turtle
    from kg.stages.derive import derive, select_rules
    from kg.stages.report import classification_table
    from kg.stages.verify import verify
    from kg.web.site import write_site
    from kg.web.site.ondemand import OnDemandSite

    if len(argv) < 2:
        print(
            "usage: python -m bench.site ROOT OUT [--sample N] [--no-static] [--partial]",
            file=sys.stderr,
        )
        return 2
    root, out = Path(argv[0]), Path(argv[1])
    sample = int(argv[argv.index("--sample") + 1]) if "--sample" in argv else 200
    project = Project(root=root)
    options = BuildOptions(out=out, reason=False)
    loaded = load(project, BASE)
    rules = select_rules(project.queries, options.rules, loaded.engine)
    derivations = derive(loaded.engine, rules, BASE)
    verification = verify(loaded.engine, rules, BASE, project.queries)
    result = pipeline.BuildResult(loaded, derivations, verification)
    result.table = classification_table(loaded.engine, project.queries, rules[0].iri(BASE))
    canonical = canonical_dump(loaded.engine)
    turtle = default_view_turtle(canonical)
    out.mkdir(parents=True, exist_ok=True)
    nq = out / "govsm.nq"
    nq.write_text(canonical, encoding="utf-8")

    if "--no-static" not in argv:
        notes = ["benchmark"]
        src = pipeline.site_input(result, options, project, canonical, "bench", notes)
        src.default_turtle = turtle
        start = time.perf_counter()
        written = write_site(out / "site", src)
        pages = sum(1 for p in written if p.endswith(".html"))
        emit("static", time.perf_counter() - start, files=len(written), pages=pages)

    if "--partial" in argv:
        src = pipeline.site_input(result, options, project, None, "bench", ["benchmark"])
        (out / "govsm.ttl").write_text(turtle, encoding="utf-8")
        src.dump_dir = out
        start = time.perf_counter()
        written = write_site(out / "partial-site", src, resources=False)
        emit("partial", time.perf_counter() - start, files=len(written))

    start = time.perf_counter()
    site = OnDemandSite.from_nquads(nq, BASE, project.queries, str(rules[0].iri(BASE)))
    emit("ondemand-start", time.perf_counter() - start)
    subjects = sorted(
        {
            q.subject.value[len(BASE) :]
            for q in site.engine.store.quads_for_pattern(None, None, None, None)
            if hasattr(q.subject, "value") and str(q.subject).startswith(f"<{BASE}id/")
        }
    )
    step = max(1, len(subjects) // sample)
    chosen = subjects[::step][:sample]
    times = []
    sizes = []
    with tempfile.TemporaryDirectory():
        for path in chosen:
            start = time.perf_counter()
            html = site.page(path)
            times.append(time.perf_counter() - start)
            sizes.append(len(html.encode("utf-8")) if html else 0)
            if html is None or "<h1>" not in html:
                print(f"bench.site: no page for {path}", file=sys.stderr)
                return 1
    emit(
        "ondemand-page",
        statistics.mean(times),
        pages=len(times),
        resources=len(subjects),
        slowest=round(max(times), 4),
        slowest_path=chosen[times.index(max(times))],
        median=round(statistics.median(times), 4),
        largest_bytes=max(sizes),
    )
    for stage, path, links in largest(site):
        start = time.perf_counter()
        html = site.page(path)
        seconds = time.perf_counter() - start
        if html is None:
            print(f"bench.site: no page for {path}", file=sys.stderr)
            return 1
        emit(stage, seconds, path=path, links=links, bytes=len(html.encode("utf-8")))
    return 0


def largest(site: object) -> list[tuple[str, str, int]]:
    """The resources with the most incoming links (of all, and of the sub-factors) and
    the most outgoing links (IRIs under the base): the pages that grow with the data."""
    found = []
    for stage, pattern, space in (
        ("ondemand-most-incoming", "?s ?p ?x", "id/"),
        ("ondemand-subfactor", "?s ?p ?x", "id/subfactor/"),
        ("ondemand-most-outgoing", "?x ?p ?o", "id/"),
    ):
        query = (
            f"SELECT ?x (COUNT(*) AS ?n) WHERE {{ {pattern} "
            f'FILTER (isIRI(?x) && STRSTARTS(STR(?x), "{BASE}{space}")) }} '
            "GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1"
        )
        rows = list(site.engine.store.query(query, use_default_graph_as_union=True))
        if rows:
            iri, count = rows[0]["x"].value, int(rows[0]["n"].value)
            found.append((stage, iri[len(BASE) :], count))
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
