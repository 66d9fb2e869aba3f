"""Security of the endpoint, over real sockets where it matters: read-only (every
update form answers 403), offline (SERVICE, remote or file FROM, dataset parameters:
refused, and a counting loopback listener sees no connection; the worker sandbox stops
a query that would get past the guard), and the limits (time limit that kills the work
while other queries are answered, row cap, per-client concurrency, body cap)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient
from support import LiveServer, built_dist, listener, live_server, service_over

from kg.web.endpoint.service import SparqlService
from kg.web.endpoint.worker import Job
from kg.web.server import make_app

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SETTLE_S = 0.3  # time for a connection, had one been opened, to reach the listener


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


@pytest.fixture(scope="module")
def live(dist: Path) -> Iterator[tuple[LiveServer, SparqlService]]:
    with live_server(dist, workers=2, timeout_s=20) as running:
        yield running


@pytest.fixture()
def http(live: tuple[LiveServer, SparqlService]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live[0].url, timeout=60) as client:
        yield client


def triple_count(http: httpx.Client) -> int:
    r = http.get("/sparql", params={"query": COUNT})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def heavy_query_holding_a_worker(
    url: str, service: SparqlService
) -> tuple[threading.Thread, dict[str, httpx.Response]]:
    """Send CARTESIAN to ``url`` from a thread and wait until it holds a worker (or has
    ended): the thread, and the dict its response goes to (key ``"heavy"``)."""
    result: dict[str, httpx.Response] = {}

    def heavy() -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            result["heavy"] = c.get("/sparql", params={"query": CARTESIAN})

    thread = threading.Thread(target=heavy)
    thread.start()
    while not service.pool.scheduler.running and thread.is_alive():
        time.sleep(0.01)
    return thread, result


# --- read-only ---------------------------------------------------------------------------

UPDATE = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> <urn:x:o> } }"
UPDATE_REQUESTS = [
    ("POST", "/sparql", {"content-type": "application/sparql-update"}, UPDATE, None),
    (
        "POST",
        "/sparql",
        {"content-type": "application/x-www-form-urlencoded"},
        None,
        {"update": UPDATE},
    ),
    ("GET", "/sparql", {}, None, {"update": UPDATE}),
    ("GET", "/sparql", {}, None, {"query": UPDATE}),
    ("POST", "/sparql", {"content-type": "application/sparql-query"}, UPDATE, None),
    (
        "POST",
        "/sparql",
        {"content-type": "application/x-www-form-urlencoded"},
        None,
        {"query": UPDATE},
    ),
    ("GET", "/sparql", {}, None, {"query": "DROP ALL"}),
    ("GET", "/sparql", {}, None, {"query": "CLEAR DEFAULT"}),
    ("GET", "/sparql", {}, None, {"query": "LOAD <http://127.0.0.1:9/x>"}),
    ("GET", "/sparql", {}, None, {"query": "DELETE WHERE { ?s ?p ?o }"}),
    (
        "GET",
        "/sparql",
        {},
        None,
        {"query": "WITH <urn:x:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"},
    ),
    ("GET", "/sparql", {}, None, {"query": "ASK {}", "using-graph-uri": "urn:x:g"}),
    ("PUT", "/sparql", {"content-type": "text/turtle"}, "<urn:x:s> <urn:x:p> 1 .", None),
    ("DELETE", "/sparql", {}, None, None),
    ("PATCH", "/sparql", {"content-type": "application/sparql-update"}, UPDATE, None),
    (
        "PUT",
        "/graph-store?default",
        {"content-type": "text/turtle"},
        "<urn:x:s> <urn:x:p> 1 .",
        None,
    ),
    (
        "POST",
        "/graph-store?graph=urn:x:g",
        {"content-type": "text/turtle"},
        "<urn:x:s> <urn:x:p> 1 .",
        None,
    ),
    ("DELETE", "/graph-store?default", {}, None, None),
    ("PATCH", "/graph-store?default", {"content-type": "application/sparql-update"}, UPDATE, None),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "params"), UPDATE_REQUESTS)
def test_every_update_form_is_refused(
    http: httpx.Client, method: str, path: str, headers: dict, body: str | None, params: dict | None
) -> None:
    before = triple_count(http)
    if method == "POST" and params and headers.get("content-type", "").endswith("urlencoded"):
        r = http.request(method, path, headers=headers, data=params)
    else:
        r = http.request(method, path, headers=headers, content=body, params=params)
    assert r.status_code == 403, r.text
    assert "read-only" in r.text
    assert triple_count(http) == before


# --- offline -----------------------------------------------------------------------------


def test_the_listener_counts_connections() -> None:
    """Control: the counting listener does see a connection when one is made."""
    with listener() as counting:
        socket.create_connection(("127.0.0.1", counting.port), timeout=5).close()
        time.sleep(SETTLE_S)
        assert counting.accepted == 1


def test_unguarded_oxigraph_would_connect() -> None:
    """Control: pyoxigraph itself does call a SERVICE (so the guard is needed)."""
    with listener() as counting:
        with pytest.raises(OSError):
            list(
                ox.Store().query(f"SELECT * {{ SERVICE <http://127.0.0.1:{counting.port}/> {{}} }}")
            )
        time.sleep(SETTLE_S)
        assert counting.accepted == 1


SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICESILENT<{url}>{{}} }}",
    "SELECT * WHERE {{ ?s ?p ?o.SERVICE<{url}>{{}} }}",
    "PREFIX ex: <{url}> SELECT * WHERE {{ SERVICEex:x{{}} }}",
    "PREFIX ex: <{url}> SELECT * WHERE {{ SERVICE # a comment\n ex:x {{}} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
]


@pytest.mark.parametrize("template", SERVICE_QUERIES)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_service_to_loopback_is_refused_without_connecting(
    http: httpx.Client, template: str, method: str
) -> None:
    with listener() as counting:
        query = template.format(url=f"http://127.0.0.1:{counting.port}/sparql")
        if method == "GET":
            r = http.get("/sparql", params={"query": query})
        else:
            r = http.post(
                "/sparql", content=query, headers={"content-type": "application/sparql-query"}
            )
        time.sleep(SETTLE_S)
        assert r.status_code == 403, r.text
        assert "SERVICE is not allowed" in r.text
        assert counting.accepted == 0


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://localhost:9/",
    ],
)
def test_service_to_files_and_link_local_is_refused(http: httpx.Client, target: str) -> None:
    r = http.get(
        "/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"}
    )
    assert r.status_code == 403
    assert "root:" not in r.text


def test_keywords_in_strings_comments_and_iris_are_data(http: httpx.Client) -> None:
    query = (
        "# SERVICE <http://127.0.0.1:9/> and INSERT DATA in a comment\n"
        'SELECT ?x ?y WHERE { BIND("SERVICE <http://127.0.0.1:9/> { } DROP ALL" AS ?x) '
        "BIND(<urn:x:SERVICE> AS ?y) }"
    )
    r = http.get("/sparql", params={"query": query})
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")


@pytest.mark.parametrize(
    "make",
    [
        lambda url: {"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"},
        lambda url: {"query": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
        lambda url: {"query": f"PREFIX r: <{url}> SELECT * FROM r:graph WHERE {{ ?s ?p ?o }}"},
        lambda url: {"query": "ASK {}", "default-graph-uri": url},
        lambda url: {"query": "ASK {}", "named-graph-uri": url},
    ],
)
def test_remote_graphs_are_refused_without_connecting(http: httpx.Client, make) -> None:  # noqa: ANN001
    with listener() as counting:
        url = f"http://127.0.0.1:{counting.port}/x"
        r = http.get("/sparql", params=make(url))
        time.sleep(SETTLE_S)
        assert r.status_code == 400, r.text
        assert f"<http://127.0.0.1:{counting.port}/" in r.text and "does not hold" in r.text
        assert counting.accepted == 0


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "LOAD <file:///etc/passwd>",
    ],
)
def test_files_are_never_read(http: httpx.Client, query: str) -> None:
    r = http.get("/sparql", params={"query": query})
    assert r.status_code in (400, 403)
    assert "root:" not in r.text


def test_worker_sandbox_stops_a_query_past_the_guard(
    live: tuple[LiveServer, SparqlService],
) -> None:
    """Second lock: a SERVICE query handed straight to a worker (no guard) cannot connect."""
    service = live[1]
    if not service.pool.sandboxed:
        pytest.skip("network namespaces are not available here: workers run unsandboxed")
    with listener() as counting:
        job = Job(
            query=f"SELECT * {{ SERVICE <http://127.0.0.1:{counting.port}/> {{ ?s ?p ?o }} }}",
            base=service.base,
            max_rows=10,
            tabular_format="json",
            boolean_format="json",
            graph_format="ttl",
        )
        outcome = service.pool.run(job, 20)
        time.sleep(SETTLE_S)
        assert outcome.kind == "query-error", outcome
        assert counting.accepted == 0


# --- the time limit -----------------------------------------------------------------------


def test_cartesian_query_is_stopped_and_others_are_answered(dist: Path) -> None:
    # One client sends all: let it run two at once and query again after a kill (the
    # per-client policy is tested in test_endpoint_fairness.py).
    with live_server(dist, workers=2, timeout_s=1.5, running_per_client=2, kill_cooldown_s=0) as (
        running,
        service,
    ):
        pids_before = {w.process.pid for w in service.pool._all}
        # Once the heavy query holds a worker, query while it runs.
        thread, result = heavy_query_holding_a_worker(running.url, service)
        answered = []
        with httpx.Client(base_url=running.url, timeout=60) as c:
            while thread.is_alive():
                answered.append(c.get("/sparql", params={"query": COUNT}).status_code)
            thread.join()
            heavy_response = result["heavy"]
            assert heavy_response.status_code == 503
            assert "stopped after its time limit of 1.5 s" in heavy_response.text
            assert answered and set(answered) == {200}, answered
            # The overrunning worker was killed (its process is gone) and replaced.
            assert service.pool.restarts == 1
            pids_after = {w.process.pid for w in service.pool._all}
            (killed,) = pids_before - pids_after
            with pytest.raises(ProcessLookupError):
                os.kill(killed, 0)
            deadline = time.monotonic() + 60
            while len(service.pool._all) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(service.pool._all) == 2
            assert c.get("/sparql", params={"query": COUNT}).status_code == 200
            # A client may ask for less time, never more.
            r = c.get("/sparql", params={"query": CARTESIAN, "timeout": "0.5"})
            assert r.status_code == 503 and "time limit of 0.5 s" in r.text
            r = c.get("/sparql", params={"query": CARTESIAN, "timeout": "3600"})
            assert r.status_code == 503 and "time limit of 1.5 s" in r.text


# --- the row cap ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(dist: Path) -> Iterator[TestClient]:
    with (
        service_over(dist, workers=1, max_rows=7, max_body_bytes=2000) as service,
        TestClient(make_app(dist / "site", service=service)) as c,
    ):
        yield c


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "xml"])
def test_rows_over_the_cap_are_cut_and_say_so(capped: TestClient, fmt: str) -> None:
    r = capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": fmt})
    assert r.status_code == 200
    assert r.headers["x-result-row-limit"] == "7"
    assert r.headers["x-result-truncated"] == "true"
    if fmt == "json":
        assert len(r.json()["results"]["bindings"]) == 7
    elif fmt in ("csv", "tsv"):
        assert len(r.text.strip().splitlines()) == 1 + 7
    else:
        assert r.text.count("<result>") == 7


def test_results_at_or_under_the_cap_are_whole(capped: TestClient) -> None:
    for limit in (3, 7):
        r = capped.get("/sparql", params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {limit}"})
        assert len(r.json()["results"]["bindings"]) == limit
        assert r.headers["x-result-row-limit"] == "7"
        assert "x-result-truncated" not in r.headers


def test_graph_results_are_capped_in_triples(capped: TestClient) -> None:
    r = capped.get(
        "/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"accept": "application/n-triples"},
    )
    assert r.headers["x-result-truncated"] == "true"
    assert len(r.text.strip().splitlines()) == 7


# --- the body cap --------------------------------------------------------------------------


def padded(size: int) -> bytes:
    """A valid query of exactly ``size`` bytes (padded with a comment)."""
    head = b"ASK {}\n#"
    return head + b"x" * (size - len(head))


def test_body_over_the_cap_is_413(capped: TestClient) -> None:
    direct = {"content-type": "application/sparql-query"}
    assert capped.post("/sparql", content=padded(2000), headers=direct).status_code == 200
    r = capped.post("/sparql", content=padded(2001), headers=direct)
    assert r.status_code == 413 and "2000 bytes" in r.text
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = capped.post("/sparql", content=b"query=ASK%7B%7D&x=" + b"y" * 2000, headers=form)
    assert r.status_code == 413


def test_long_url_is_414(capped: TestClient) -> None:
    r = capped.get("/sparql", params={"query": padded(2100).decode()})
    assert r.status_code == 414


def test_body_over_the_cap_over_the_wire(dist: Path) -> None:
    with live_server(dist, workers=1, max_body_bytes=1000) as (running, _):
        r = httpx.post(
            running.url + "sparql",
            content=padded(1500),
            headers={"content-type": "application/sparql-query"},
            timeout=30,
        )
        assert r.status_code == 413


# --- per-client concurrency -----------------------------------------------------------------


def test_too_many_queries_from_one_client_is_429(dist: Path) -> None:
    with live_server(
        dist, workers=2, timeout_s=3, max_concurrent_per_client=1, kill_cooldown_s=0
    ) as (running, service):
        thread, result = heavy_query_holding_a_worker(running.url, service)
        with httpx.Client(base_url=running.url, timeout=60) as c:
            r = c.get("/sparql", params={"query": "ASK {}"})
            thread.join()
            assert r.status_code == 429, r.text
            assert r.headers["retry-after"].isdigit()
            assert "at most 1" in r.text
            assert "Retry-After" in r.headers["access-control-expose-headers"]
            assert result["heavy"].status_code == 503
            # Once the first query has ended, the client may query again.
            assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200


# --- memory -----------------------------------------------------------------------------------


def test_a_memory_hog_ends_only_its_worker(dist: Path) -> None:
    """A query that needs more memory than a worker may have ends that worker (which is
    replaced) and gets an error; the service answers the next query."""
    with (
        service_over(
            dist, workers=1, worker_memory_mb=400, timeout_s=60, kill_cooldown_s=0
        ) as service,
        TestClient(make_app(dist / "site", service=service)) as c,
    ):
        r = c.get("/sparql", params={"query": "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c"})
        assert r.status_code == 503 and "needed more memory than a worker has" in r.text
        assert service.pool.restarts == 1
        deadline = time.monotonic() + 60
        while not service.pool._all and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_a_client_that_hangs_up_keeps_its_slot_until_its_query_ends(dist: Path) -> None:
    with (
        live_server(
            dist, workers=2, timeout_s=3, max_concurrent_per_client=1, kill_cooldown_s=0
        ) as (running, service),
        httpx.Client(base_url=running.url) as c,
    ):
        with pytest.raises(httpx.ReadTimeout):
            c.get("/sparql", params={"query": CARTESIAN}, timeout=0.5)
        r = c.get("/sparql", params={"query": "ASK {}"}, timeout=60)
        assert r.status_code == 429, r.text
        deadline = time.monotonic() + 30
        while service.pool.scheduler.clients and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not service.pool.scheduler.clients
        r = c.get("/sparql", params={"query": "ASK {}"}, timeout=60)
        assert r.status_code == 200


def test_no_free_worker_in_time_is_busy(dist: Path) -> None:
    from kg.web.endpoint.executor import QueryTimeout
    from kg.web.endpoint.scheduler import Busy

    with service_over(dist, workers=1, timeout_s=5) as service:
        job = Job(CARTESIAN, service.base, 10, "json", "json", "ttl")
        outcome: list[BaseException] = []

        def run_heavy() -> None:
            try:
                service.pool.run(job, 3, client="heavy")
            except QueryTimeout as exc:
                outcome.append(exc)

        heavy = threading.Thread(target=run_heavy)
        heavy.start()
        while not service.pool.scheduler.running and heavy.is_alive():
            time.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Busy):
            service.pool.run(Job("ASK {}", service.base, 10, "json", "json", "ttl"), 5, "other")
        waited = time.monotonic() - started
        heavy.join()
        assert len(outcome) == 1  # the heavy query was stopped at its limit
        assert 0.9 < waited < 2.5, waited  # the stated bound (queue_wait_s = 1 s)
