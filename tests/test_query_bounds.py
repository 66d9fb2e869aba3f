"""The query bounds (kg.sparql.bounds): a query nested too deep, with too many operators
or too long is refused with a 400 naming the limit and the value, before any worker sees
it (no worker is killed, the server keeps answering); the limits are far above the
catalogue's queries and under what crashes the engine; `govsm query` is bound too."""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from support import LiveServer, live_server
from support.tiny import tiny_dist

from kg.sparql.bounds import (
    MAX_DEPTH,
    MAX_OPERATORS,
    MAX_QUERY_CHARS,
    QueryTooLarge,
    check_bounds,
    measure,
)
from kg.sparql.files import read_query
from kg.stages.query import run
from kg.web.endpoint.guard import Refused, inspect
from kg.web.endpoint.limits import Limits
from kg.web.endpoint.service import SparqlService
from kg.web.server import make_app

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/govsm/"
ASK = "ASK { ?s ?p ?o }"


def nested_groups(n: int) -> str:
    """The issue's case: ``n`` nested groups (5,000 make a 20 kB query)."""
    return "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n


# Each query is over one bound, and each, unguarded, kills a pyoxigraph process (SIGSEGV:
# the stack overflows) -- checked by test_the_refused_shapes_do_crash_the_engine.
OVER = {
    "groups": (nested_groups(5000), "depth limit", "5000 deep"),
    "parentheses": (
        "ASK { FILTER(" + "(" * 6000 + "1" + ")" * 6000 + ") }",
        "depth limit",
        "6002 deep",
    ),
    "blank nodes": (
        "SELECT * { ?s ?p " + "[ ?p " * 300 + "?o" + " ]" * 300 + " }",
        "depth limit",
        "301 deep",
    ),
    "path steps": (
        "SELECT * { ?s " + "/".join(["<http://e/p>"] * 1500) + " ?o }",
        "operator limit",
        "1500 operators",
    ),
    "sums": ("ASK { FILTER(" + "+".join(["1"] * 8000) + ") }", "operator limit", "7999"),
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, SparqlService]]:
    dist = tiny_dist(tmp_path_factory.mktemp("tiny") / "dist")
    with live_server(dist, workers=1, timeout_s=20) as running:
        yield running


@pytest.mark.parametrize("name", list(OVER))
def test_over_a_bound_is_a_400_naming_it_and_kills_no_worker(
    live: tuple[LiveServer, SparqlService], name: str
) -> None:
    server, service = live
    query, limit, value = OVER[name]
    restarts = service.pool.restarts
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post("/sparql", data={"query": query})
        assert answer.status_code == 400, (answer.status_code, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/plain")
        assert limit in answer.text and value in answer.text, answer.text
        assert http.get("/sparql", params={"query": ASK}).status_code == 200
    assert service.pool.restarts == restarts  # no worker was killed or replaced


def test_a_query_longer_than_the_length_limit_is_refused(
    live: tuple[LiveServer, SparqlService],
) -> None:
    filler = "# " + "x" * (MAX_QUERY_CHARS + 10) + "\n"  # a comment: harmless but long
    with httpx.Client(base_url=live[0].url, timeout=30) as http:
        answer = http.post("/sparql", data={"query": filler + ASK})
    assert answer.status_code == 400
    assert "length limit" in answer.text and f"{len(filler + ASK):,}" in answer.text


def test_the_refused_shapes_do_crash_the_engine() -> None:
    """Without the guard, OVER's shapes end the process that evaluates them on Linux's
    default 8 MiB stack (so the bounds are needed), while the deepest and longest queries
    the bounds let through, of the costliest kinds, run on a quarter of it (the margin)."""
    script = (
        "import sys, pyoxigraph as ox\n"
        "r = ox.Store().query(sys.stdin.read())\n"
        "r if isinstance(r, ox.QueryBoolean) else list(r)\n"
    )

    def exit_code(query: str, stack_mib: int) -> int:
        def limit_stack() -> None:  # the main thread's stack is sized from it at exec
            resource.setrlimit(resource.RLIMIT_STACK, (stack_mib << 20, stack_mib << 20))

        done = subprocess.run(
            [sys.executable, "-c", script],
            input=query,
            text=True,
            capture_output=True,
            timeout=60,
            preexec_fn=limit_stack,
        )
        return done.returncode

    for name in ("groups", "parentheses"):
        assert exit_code(OVER[name][0], 8) < 0, name  # killed by a signal (SIGSEGV)
    levels = MAX_DEPTH - 1  # and the WHERE group's own brace
    deepest = "SELECT * { ?s ?p " + "[ ?p " * levels + "?o" + " ]" * levels + " }"
    widest = "ASK { FILTER(" + "+".join(["1"] * (MAX_OPERATORS + 1)) + ") }"
    for query in (deepest, widest):
        check_bounds(query)  # at the limits, not over them
        assert exit_code(query, 2) == 0


def test_the_bounds_are_far_above_every_query_of_the_catalogue() -> None:
    """Every .rq the project ships (the endpoint's catalogue, the build's derive, check,
    verify, view and trace rules) measures under a third of each limit."""
    paths = sorted((ROOT / "queries").rglob("*.rq"))
    assert len(paths) > 20
    for path in paths:
        text = path.read_text(encoding="utf-8")
        shape = measure(text)
        assert shape.depth * 3 <= MAX_DEPTH, (path, shape)
        assert shape.operators * 3 <= MAX_OPERATORS, (path, shape)
        assert shape.chars * 3 <= MAX_QUERY_CHARS, (path, shape)
        inspect(text, BASE)  # and the guard lets it through


def test_brackets_and_operators_in_strings_iris_names_and_comments_do_not_count() -> None:
    noise = "{([./|+-*;,&" * 100
    query = (
        f"PREFIX ex: <http://e/{'x' * 10}/> "
        f'SELECT ?a WHERE {{ ?s ex:a-b.c-d \'{noise}\' ; <http://e/[](x)/+*> """{noise}""" '
        f"FILTER(?s != 1.5e-3) }} # {noise}\n"
    )
    shape = measure(query)
    assert (shape.depth, shape.operators) == (2, 1), shape  # '{', '(' and ';'
    inspect(query, BASE)


def test_the_message_names_the_limit_and_the_value() -> None:
    with pytest.raises(Refused) as refused:
        inspect(nested_groups(MAX_DEPTH + 1), BASE)
    assert refused.value.status == 400
    assert f"{MAX_DEPTH + 1} deep" in refused.value.message
    assert f"at most {MAX_DEPTH}" in refused.value.message
    inspect(nested_groups(MAX_DEPTH - 1), BASE)  # one level less passes (WHERE's own {})


def test_govsm_query_is_bound_too(tmp_path: Path) -> None:
    """`govsm query FILE.rq` runs the engine in its own process: kg.stages.query.run
    refuses the query (a usage error, exit 2) before the engine sees it."""
    path = tmp_path / "deep.rq"
    path.write_text(nested_groups(5000), encoding="utf-8")

    class NoEngine:
        def select(self, *_: object) -> None:
            raise AssertionError("the engine was asked to run a query over the bounds")

        construct = select

    with pytest.raises(QueryTooLarge, match="depth limit"):
        run(NoEngine(), read_query(path), {})  # type: ignore[arg-type]


def test_the_named_query_api_is_bound_too(tmp_path: Path) -> None:
    """The API runs its catalogue's queries through SparqlService.answer, so through the
    guard: a project's query nested too deep is refused (400) like one sent to /sparql."""
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "deep.rq").write_text(
        "# title: Too deep\n# question: Does the API apply the bounds?\n"
        "# parameters: none\n" + nested_groups(MAX_DEPTH + 10) + "\n",
        encoding="utf-8",
    )
    dist = tiny_dist(tmp_path / "dist")
    service = SparqlService(dist, Limits(workers=1), queries_dir=queries)
    try:
        with TestClient(make_app(dist / "site", service=service)) as client:
            answer = client.get("/api/queries/deep")
        assert answer.status_code == 400, answer.text
        assert "depth limit" in answer.text and f"{MAX_DEPTH + 10} deep" in answer.text
        assert service.pool.restarts == 0
    finally:
        service.close()
