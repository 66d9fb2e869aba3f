"""How fast is ``govsm push`` into Virtuoso, against Virtuoso's own bulk path?

``python -m bench.push [--triples N] [--graphs G]`` starts a throwaway local Virtuoso
(tests.support.virtuoso; needs Debian's virtuoso-opensource-7-bin), then, in this one process:

1. the baseline: Virtuoso's server-side bulk loader (``DB.DBA.TTLP_MT`` over a file in
   the database folder, through isql) loads a synthetic N-Quads set of N triples in G
   named graphs;
2. ``kg.remote.push`` sends the same graphs with the Graph Store Protocol at several chunk
   sizes (one PUT per graph; PUT + POSTs of 50 000, 10 000 and 1 000 triples);
3. the review's own graph (the canonical N-Quads of ontology + data, derived), pushed
   three times (median), with its per-graph counts verified.

Each line prints the wall time, triples per second and the ratio to the baseline.
Every load is verified by a COUNT per graph (the bulk path too). Not part of the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from kg.build.pipeline import load_and_derive
from kg.config import BuildOptions, Project
from kg.rdf.nquads import canonical_nquads
from kg.remote.client import Credentials, Remote, count_triples
from kg.remote.push import GraphStore, push, read_graphs
from tests.support.virtuoso import LocalVirtuoso, VirtuosoError

XSD = "http://www.w3.org/2001/XMLSchema#"


def synthetic(triples: int, graphs: int, prefix: str) -> str:
    """N-Quads: ``triples`` triples spread over ``graphs`` graphs, mixed term kinds."""
    lines = []
    for i in range(triples):
        g = f"<{prefix}{i % graphs}>"
        s = f"<https://example.org/id/item/{i // 5}>"
        kind = i % 5
        if kind == 0:
            lines.append(f'{s} <https://example.org/p/label> "item {i}"@en {g} .')
        elif kind == 1:
            lines.append(f'{s} <https://example.org/p/n> "{i}"^^<{XSD}integer> {g} .')
        elif kind == 2:
            lines.append(
                f"{s} <https://example.org/p/next> <https://example.org/id/item/{i}> {g} ."
            )
        elif kind == 3:
            lines.append(f'{s} <https://example.org/p/note> "a note, \\"quoted\\" {i}" {g} .')
        else:
            lines.append(f'{s} <https://example.org/p/year> "{1990 + i % 30}"^^<{XSD}gYear> {g} .')
    return "\n".join(lines) + "\n"


def bulk_load(server: LocalVirtuoso, nq: Path, remote: Remote) -> float:
    """Virtuoso's server-side loader, one TTLP_MT call per graph; seconds (verified)."""
    graphs = read_graphs(nq)
    files = []
    for index, (name, triples) in enumerate(sorted(graphs.items())):
        path = server.dbdir / f"bulk-{index}.nt"
        path.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        files.append((name, path))
    started = time.perf_counter()
    sql = " ".join(
        f"DB.DBA.TTLP_MT(file_to_string_output('{path.resolve()}'), '', '{name}', 0);"
        for name, path in files
    )
    server.isql(sql + " checkpoint;")
    seconds = time.perf_counter() - started
    for name, triples in graphs.items():
        assert count_triples(remote, name) == len(triples), name
    return seconds


def line(label: str, seconds: float, triples: int, baseline: float) -> None:
    print(
        f"{label:<44} {seconds:8.2f} s {triples / seconds:12,.0f} triples/s "
        f"{seconds / baseline:7.2f}x baseline"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push", description=__doc__)
    parser.add_argument("--triples", type=int, default=200_000)
    parser.add_argument("--graphs", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govsm-bench-push-") as tmp:
        folder = Path(tmp)
        try:
            server = LocalVirtuoso.start(folder / "db")
        except VirtuosoError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        with server:
            server.create_writer("bench", "bench-password")
            credentials = Credentials("bench", "bench-password", "digest")
            remote = Remote(server.endpoint, credentials, timeout=600, server="virtuoso")
            store = GraphStore(server.graph_store, credentials, timeout=600)
            print(f"Virtuoso {server.endpoint}; {args.triples:,} triples in {args.graphs} graphs")

            def nq_file(tag: str) -> Path:
                path = folder / f"{tag}.nq"
                text = synthetic(args.triples, args.graphs, f"https://example.org/graph/{tag}/")
                path.write_text(text, encoding="utf-8")
                return path

            baseline = bulk_load(server, nq_file("bulk"), remote)
            line("bulk loader (TTLP_MT via isql), baseline", baseline, args.triples, baseline)
            for label, chunk in (
                ("push: one PUT per graph", args.triples + 1),
                ("push: PUT + POST chunks of 50,000", 50_000),
                ("push: PUT + POST chunks of 10,000", 10_000),
                ("push: PUT + POST chunks of 1,000", 1_000),
            ):
                report = push(nq_file(f"c{chunk}"), store, remote, chunk_size=chunk)
                assert report.ok, [r for r in report.counts if not r.ok]
                line(
                    f"{label} ({report.requests} req.)",
                    report.upload_seconds,
                    args.triples,
                    baseline,
                )

            loaded, _, _ = load_and_derive(Project(), BuildOptions())
            review = folder / "review.nq"
            review.write_text(canonical_nquads(loaded.engine.dump_nquads()), encoding="utf-8")
            runs = [push(review, store, remote) for _ in range(3)]
            assert all(r.ok for r in runs)
            seconds = statistics.median(r.upload_seconds for r in runs)
            verify = statistics.median(r.verify_seconds for r in runs)
            print(
                f"review graph: {len(runs[0].counts)} graphs, {runs[0].triples:,} triples: "
                f"push {seconds:.3f} s (median of 3), count verification {verify:.3f} s"
            )
            for row in runs[-1].counts:
                print(f"  {row.local:6d} local {row.remote:6d} remote  {row.graph}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
