"""Virtuoso integration: push the built graph, run every query there, compare with pyoxigraph.

The tests start Virtuoso Open Source themselves (Debian's ``virtuoso-opensource-7-bin``:
``virtuoso-t`` and ``isql-vt``) with tests.support.virtuoso.LocalVirtuoso: the template
``deploy/virtuoso/virtuoso.ini`` in a temporary database folder, free ports of 127.0.0.1,
a user with the rights the Graph Store Protocol needs (SPARQL_UPDATE, graph write
permission); the server is stopped after the session. Without Virtuoso they are skipped,
naming the package; under ``GOVSM_REQUIRE_VIRTUOSO=1`` (set by ``.ci/run``) a missing
Virtuoso is a failure.

What is compared: the graph pushed is the build's canonical N-Quads of ontology/ + data/ +
the CPSV-AP example (examples/cpsv-ap/) with the default rule set derived. Every query of
queries/cq/ (with its recorded parameters), queries/derive/, queries/verify/ and
queries/checks/ runs on Virtuoso and on pyoxigraph over the same N-Quads; results are
compared as RDF terms (kind, value, datatype, language tag; numbers by value), in order
only where the query has a top-level ORDER BY, and catalogue results also against
tests/expected/cq/.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from support.virtuoso import PACKAGE, LocalVirtuoso, VirtuosoError, missing_tools
from test_cq_catalogue import compare, expected_of, read_results, top_level_order_keys
from typer.testing import CliRunner

from kg.build.pipeline import load_and_derive
from kg.cli.app import app
from kg.config import BuildOptions, Project
from kg.rdf.engine import Engine, Rows, from_ox, make_engine
from kg.rdf.nquads import canonical_nquads
from kg.remote.client import Credentials, Remote, RemoteError, run_remote
from kg.remote.push import GraphStore, push, read_graphs
from kg.sparql.files import read_query
from kg.stages.query import run, to_json

pytestmark = pytest.mark.virtuoso

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cpsv-ap"
GRAPH_PREFIX = "https://w3id.org/govsm/graph/"


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its endpoints and the user allowed to write graphs."""

    endpoint: str
    graph_store: str
    user: str
    password: str
    dbdir: Path

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.user, self.password, "digest")

    def remote(self, timeout: float = 120) -> Remote:
        return Remote(self.endpoint, self.credentials, timeout=timeout, server="virtuoso")


def _missing(reason: str) -> None:
    if os.environ.get("GOVSM_REQUIRE_VIRTUOSO") == "1":
        pytest.fail(f"GOVSM_REQUIRE_VIRTUOSO=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """Virtuoso on free local ports with a fresh database; stopped after the session."""
    missing = missing_tools()
    if missing:
        _missing(f"{', '.join(missing)} not found: apt-get install {PACKAGE} (.ci/run installs it)")
    try:
        server = LocalVirtuoso.start(tmp_path_factory.mktemp("virtuoso"))
    except VirtuosoError as exc:
        pytest.fail(str(exc))
    with server:
        user, password = "govsm", secrets.token_hex(12)
        server.create_writer(user, password)
        yield Virtuoso(server.endpoint, server.graph_store, user, password, server.dbdir)


# --- the graph: built once, pushed once (and again by the duplication test) ---------------


@pytest.fixture(scope="session")
def built_nq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canonical N-Quads of ontology + data + the CPSV-AP example, default rules derived,
    restated in standard vocabularies (as a build publishes them)."""
    project = Project(data_dirs=(REPO / "data", EXAMPLE))
    loaded, _rules, derivations = load_and_derive(project, BuildOptions(), standard_view=True)
    assert derivations and all(d.classifications for d in derivations)
    path = tmp_path_factory.mktemp("push") / "govsm.nq"
    path.write_text(canonical_nquads(loaded.engine.dump_nquads()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def local(built_nq: Path) -> Engine:
    """The embedded engine over exactly the N-Quads that are pushed."""
    engine = make_engine("oxigraph")
    # Through the engine's public interface (rdflib terms), graph by graph.
    for graph, triples in read_graphs(built_nq).items():
        engine.add(
            graph, [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in triples]
        )
    return engine


def local_counts(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    return counts


@pytest.fixture(scope="session")
def pushed(virtuoso: Virtuoso, built_nq: Path) -> Virtuoso:
    """Virtuoso holding the pushed graph (verified)."""
    report = push(
        built_nq, GraphStore(virtuoso.graph_store, virtuoso.credentials), virtuoso.remote()
    )
    assert report.ok, [r for r in report.counts if not r.ok]
    return virtuoso


def remote_total(virtuoso: Virtuoso) -> int:
    from kg.remote.client import select

    result = select(
        virtuoso.remote(),
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{GRAPH_PREFIX}")) }}',
    )
    return int(str(result.rows[0][0]))


# --- push --------------------------------------------------------------------------------


def test_push_counts_every_graph_on_both_sides(pushed: Virtuoso, built_nq: Path) -> None:
    from kg.remote.client import count_triples

    expected = local_counts(built_nq)
    assert len(expected) > 40  # ontology, imports, alignments, data, derived, example
    remote = pushed.remote()
    for graph, count in expected.items():
        assert count_triples(remote, graph) == count, graph
    assert remote_total(pushed) == sum(expected.values())


def test_second_push_replaces_and_never_duplicates(pushed: Virtuoso, built_nq: Path) -> None:
    store = GraphStore(pushed.graph_store, pushed.credentials)
    report = push(built_nq, store, pushed.remote(), chunk_size=100)  # chunked this time
    assert report.ok
    assert report.requests > len(report.counts)  # some graphs did go in several requests
    assert remote_total(pushed) == sum(local_counts(built_nq).values())


def test_stale_graphs_are_listed_and_pruned(pushed: Virtuoso, built_nq: Path) -> None:
    from kg.remote.client import count_triples

    store = GraphStore(pushed.graph_store, pushed.credentials)
    stale = GRAPH_PREFIX + "data/renamed-since.ttl"
    store.send("PUT", stale, b'<https://example.org/s> <https://example.org/p> "old" .\n')
    listed = push(built_nq, store, pushed.remote())
    assert listed.stale == [stale] and not listed.pruned
    pruned = push(built_nq, store, pushed.remote(), prune=True)
    assert pruned.pruned == [stale]
    assert count_triples(pushed.remote(), stale) == 0
    assert remote_total(pushed) == sum(local_counts(built_nq).values())


def test_a_large_graph_goes_in_one_digest_authenticated_request(
    pushed: Virtuoso, tmp_path: Path
) -> None:
    # Regression: urllib's digest handler sent the body unauthenticated first, and Virtuoso
    # closed the connection mid-body (broken pipe) once bodies reached a few MB.
    graph = "https://example.org/graph/large"  # outside the review's graph names
    path = tmp_path / "large.nq"
    path.write_text(
        "".join(
            f'<https://example.org/s/{i}> <https://example.org/p> "value {i}" <{graph}> .\n'
            for i in range(60_000)
        ),
        encoding="utf-8",
    )
    store = GraphStore(pushed.graph_store, pushed.credentials)
    report = push(path, store, pushed.remote(), chunk_size=100_000)
    assert report.ok and report.requests == 1 and report.bytes_sent > 4_000_000


def test_push_command_and_its_count_table(
    pushed: Virtuoso, built_nq: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSM_ENDPOINT_USER", pushed.user)
    monkeypatch.setenv("GOVSM_ENDPOINT_PASSWORD", pushed.password)
    result = CliRunner().invoke(
        app, ["push", "--endpoint", pushed.endpoint, "--auth", "digest", "--from", str(built_nq)]
    )
    assert result.exit_code == 0, result.output
    assert "graph/derived/classification-from-assessment" in result.output
    assert f"{sum(local_counts(built_nq).values())}" in result.output


def test_push_with_a_wrong_password_exits_3_naming_401(
    pushed: Virtuoso, built_nq: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSM_ENDPOINT_USER", pushed.user)
    monkeypatch.setenv("GOVSM_ENDPOINT_PASSWORD", "not-the-password")
    result = CliRunner().invoke(
        app, ["push", "--endpoint", pushed.endpoint, "--auth", "digest", "--from", str(built_nq)]
    )
    assert result.exit_code == 3, result.output
    assert "401" in result.output


def test_push_without_credentials_is_refused(pushed: Virtuoso, built_nq: Path) -> None:
    # The unauthenticated Graph Store endpoint: the anonymous SPARQL user may not write.
    anonymous = GraphStore(pushed.graph_store.replace("-auth", ""))
    from kg.remote.push import RemoteFailure

    with pytest.raises(RemoteFailure, match=r"40[13]"):
        push(built_nq, anonymous, Remote(pushed.endpoint))


# --- every query, Virtuoso vs the embedded engine --------------------------------------------


def _norm(rows: Rows) -> tuple[list[str], list[tuple]]:
    return read_results(json.loads(to_json(rows)))


def _strict(rows: Rows) -> Counter:
    """Rows as a multiset of exact terms: kind, lexical form, datatype, language tag
    (literals in rdflib's canonical lexical form; no folding of numeric types)."""
    doc = json.loads(to_json(rows))
    variables = doc["head"]["vars"]
    return Counter(
        tuple(tuple(sorted(b[v].items())) if v in b else None for v in variables)
        for b in doc["results"]["bindings"]
    )


def _queries(folder: str) -> list[Path]:
    return sorted((REPO / "queries" / folder).glob("*.rq"))


def _params(path: Path) -> dict[str, str]:
    """The parameters a query runs with: the recorded ones for the catalogue; the rule's own
    IRI for a derivation rule (as kg.stages.derive binds it); the default rule for verification."""
    if path.parent.name == "cq":
        file = REPO / "tests" / "expected" / "cq" / f"{path.stem}.params.json"
        return json.loads(file.read_text(encoding="utf-8"))
    declared = {p.name for p in read_query(path).parameters}
    if "rule" in declared:
        stem = path.stem if path.parent.name == "derive" else "classification-from-assessment"
        return {"rule": f"rule:{stem}"}
    return {}


# Known departures, each to fix in the rule (not here): Virtuoso's answer to these
# confidence rules lacks some prov:used rows of the rule's activity (a grouped subquery's
# variables joined back), and two do not finish within the client's 120 s (not run: the
# suite would wait four minutes for nothing).
VIRTUOSO_DEPARTS = {
    "derive/confidence-coherence": "Virtuoso's CONSTRUCT lacks prov:used rows",
    "derive/confidence-methodological-limitations": "Virtuoso's CONSTRUCT lacks prov:used rows",
}
VIRTUOSO_TOO_SLOW = {"derive/confidence-overall", "derive/confidence-relevance"}


def _marks(name: str) -> list[pytest.MarkDecorator]:
    if name in VIRTUOSO_TOO_SLOW:
        return [pytest.mark.xfail(run=False, reason="no answer from Virtuoso within 120 s")]
    return []


def _all(departures: bool) -> list:
    """Every query as a parameter (its id: folder/stem); the known departures only, or
    every query but them."""
    return [
        pytest.param(path, id=name, marks=_marks(name))
        for folder in ("cq", "derive", "verify", "checks", "views")
        for path in _queries(folder)
        for name in [f"{folder}/{path.stem}"]
        if (name in VIRTUOSO_DEPARTS) == departures
    ]


ALL_QUERIES = _all(departures=False)
DEPARTURES = _all(departures=True)


@pytest.mark.parametrize("path", ALL_QUERIES)
def test_query_gives_the_same_results_on_virtuoso(
    pushed: Virtuoso, local: Engine, path: Path
) -> None:
    _same_results(pushed, local, path)


def _same_results(pushed: Virtuoso, local: Engine, path: Path, timeout: float = 120) -> None:
    """The query gives the same results on Virtuoso as on the embedded engine (and the
    expected ones, for the catalogue), Virtuoso answering within ``timeout`` seconds."""
    query = read_query(path)
    params = _params(path)
    remote_rows = run_remote(pushed.remote(timeout), query, params).rows
    local_rows = run(local, query, params).rows
    on_virtuoso, embedded = _norm(remote_rows), _norm(local_rows)
    keys = top_level_order_keys(query.text)
    problems = compare(*on_virtuoso, *embedded, keys)
    assert not problems, f"{path.name}: Virtuoso vs pyoxigraph:\n  " + "\n  ".join(problems[:20])
    # Stricter than the catalogue's comparison: the very same terms, datatypes included.
    strict_remote, strict_local = _strict(remote_rows), _strict(local_rows)
    assert strict_remote == strict_local, (
        f"{path.name}: terms differ: only on Virtuoso {list(strict_remote - strict_local)[:3]}, "
        f"only on pyoxigraph {list(strict_local - strict_remote)[:3]}"
    )
    if path.parent.name == "cq":
        problems = compare(*on_virtuoso, *expected_of(path.stem), keys)
        assert not problems, f"{path.name}: Virtuoso vs expected:\n  " + "\n  ".join(problems[:20])
    if path.parent.name in ("derive",):
        assert on_virtuoso[1], f"{path.name} derived nothing on Virtuoso"
    if path.parent.name == "checks":
        assert not on_virtuoso[1], f"{path.name} found violations on Virtuoso"


def test_query_command_with_endpoint_prints_the_same_json(pushed: Virtuoso, local: Engine) -> None:
    result = CliRunner().invoke(
        app,
        [
            "query",
            "classification-table",
            "--endpoint",
            pushed.endpoint,
            "--format",
            "json",
            "-p",
            "rule=rule:classification-from-assessment",
        ],
    )
    assert result.exit_code == 0, result.output
    query = read_query(REPO / "queries" / "cq" / "classification-table.rq")
    params = {"rule": "rule:classification-from-assessment"}
    remote = read_results(json.loads(result.stdout))
    embedded = _norm(run(local, query, params).rows)
    assert remote[1] and not compare(*remote, *embedded, top_level_order_keys(query.text))


# Last of the queries: confidence-methodological-limitations, which Virtuoso answers in a
# second, now and then gets no answer at all (2 runs of 5 on 2026-12-03, alone or in the
# suite), and Virtuoso goes on with it: in the suite every query run after it timed out
# too (11 failures, 22 minutes). Here they can delay nothing, and they wait 10 s, not 120
# (its answer, when it comes, takes about a second).
# Expected: the known difference (the comparison's AssertionError) or that no-answer
# (RemoteError); strict, so a Virtuoso that agrees is reported.
@pytest.mark.parametrize("path", DEPARTURES)
def test_known_departures_on_virtuoso(pushed: Virtuoso, local: Engine, path: Path) -> None:
    name = f"{path.parent.name}/{path.stem}"
    reason = VIRTUOSO_DEPARTS[name]
    with pytest.raises((AssertionError, RemoteError)):
        _same_results(pushed, local, path, timeout=10)
    pytest.xfail(reason)


def test_remote_timeout_is_sent_to_virtuoso_and_enforced(pushed: Virtuoso) -> None:
    # A cross product far too large for 1 s: Virtuoso either stops it (its `timeout`
    # parameter) or the client deadline fires; either way a clear RemoteError.
    # (Kept last: the server may go on with the query after the client gave up.)
    remote = Remote(pushed.endpoint, timeout=1, server="virtuoso")
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER(STR(?c) < STR(?f)) }"
    started = time.monotonic()
    from kg.remote.client import select

    with pytest.raises(RemoteError) as caught:
        select(remote, text)
    assert time.monotonic() - started < 30
    message = str(caught.value)
    assert "client timeout" in message or "incomplete results" in message, message
