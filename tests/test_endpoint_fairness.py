"""Fair scheduling and bounded queries of the SPARQL endpoint (issue 19), over HTTP on
loopback: clients are told apart by their source address (127.0.0.x: Linux routes all of
127/8 to lo), so the per-client policy really sees distinct clients.

- a client running its maximum of heavy queries does not delay another client's cheap
  query (answered within 1 s, 20 of 20 times);
- with 20 heavy clients a cheap query gets an answer or a 503 within 2 s;
- with W-1 long queries running, another one is stopped at ``reserve_after_s``: the last
  worker is kept for short queries;
- the memory bomb answers 503 with a message, and the same client's next queries are
  refused (429 + Retry-After) before any worker sees them: one worker per minute;
- an unknown extension function is a 400 with the engine's message.

The heavy query is a three-way cartesian product of the review's ~11,000 quads: it
cannot finish within any time limit of these tests, so it holds its worker until the
test closes the pool.

The scheduler's policy itself (who gets the next worker, the caps, the cool-down, state
forgotten) is tested on the Scheduler with a fake clock and stand-in workers.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import LiveServer, built_dist, live_server

from kg.web.endpoint.executor import WorkerLost
from kg.web.endpoint.limits import Limits, default_worker_memory_mb
from kg.web.endpoint.scheduler import Busy, Cooldown, Scheduler, TooMany
from kg.web.endpoint.service import SparqlService
from kg.web.endpoint.worker import Job

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"
BOMB = "SELECT ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"
UNKNOWN_FUNCTION = "SELECT ?y WHERE { BIND(<http://example.org/f>(1) AS ?y) }"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


def client_from(url: str, host: int, timeout: float = 60) -> httpx.Client:
    """An HTTP client whose connections leave from 127.0.0.``host``."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{host}")
    return httpx.Client(base_url=url, timeout=timeout, transport=transport)


def wait_until(condition, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


class HeavyClients:
    """Threads sending HEAVY from 127.0.0.``host`` each (``per_host`` at once per host)
    until stopped; ``statuses`` collects the answers."""

    def __init__(self, url: str, hosts: list[int], per_host: int = 1, repeat: bool = False):
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.threads = [
            threading.Thread(target=self._run, args=(url, host, repeat), daemon=True)
            for host in hosts
            for _ in range(per_host)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self, url: str, host: int, repeat: bool) -> None:
        with client_from(url, host) as c:
            while not self.stop.is_set():
                try:
                    status = c.get("/sparql", params={"query": HEAVY}).status_code
                except httpx.HTTPError:
                    return
                self.statuses.append(status)
                if not repeat:
                    return
                self.stop.wait(0.5)  # refused or busy: come back, as a client would

    def end(self, service: SparqlService) -> None:
        """Stop sending, end the running queries (closing the pool), join the threads."""
        self.stop.set()
        service.pool.close()
        for thread in self.threads:
            thread.join(30)


# The time limit a heavy query holds a worker for: without fair scheduling a cheap query
# would wait for one to end. "Quick" is a quarter of it, a bound about the scheduling, not
# the machine's speed (on a loaded 2-core machine the cheap answer took up to 2.9 s).
TIME_LIMIT_S = 20
QUICK_S = TIME_LIMIT_S / 4


@pytest.fixture()
def server(dist: Path) -> Iterator[tuple[LiveServer, SparqlService]]:
    with live_server(dist, workers=2, timeout_s=TIME_LIMIT_S) as running:
        yield running


# --- fairness over HTTP ------------------------------------------------------------------


def test_a_client_at_its_maximum_does_not_delay_another(
    server: tuple[LiveServer, SparqlService],
) -> None:
    running, service = server
    limits = service.limits
    heavy = HeavyClients(running.url, [2], per_host=limits.max_concurrent_per_client)
    try:
        scheduler = service.pool.scheduler
        wait_until(lambda: scheduler.running == limits.running_cap)
        # all its queries admitted (the others wait behind its own running one)
        wait_until(lambda: scheduler.queries("127.0.0.2") == limits.max_concurrent_per_client)
        with client_from(running.url, 2) as same:  # its own next query: over its cap
            r = same.get("/sparql", params={"query": CHEAP})
            assert r.status_code == 429 and r.headers["retry-after"].isdigit(), r.text
        with client_from(running.url, 3) as other:
            for _ in range(20):
                started = time.monotonic()
                r = other.get("/sparql", params={"query": CHEAP})
                elapsed = time.monotonic() - started
                assert r.status_code == 200 and r.json()["boolean"] is True, r.text
                assert elapsed < QUICK_S, elapsed
        # the heavy client never held more than its share of the workers
        assert scheduler.running == limits.running_cap == 1
    finally:
        heavy.end(service)


def test_twenty_heavy_clients_leave_cheap_queries_a_quick_answer(
    server: tuple[LiveServer, SparqlService],
) -> None:
    running, service = server
    heavy = HeavyClients(running.url, list(range(2, 22)), repeat=True)
    try:
        wait_until(lambda: service.pool.scheduler.running == service.limits.workers)
        with client_from(running.url, 200) as cheap:
            for _ in range(6):
                started = time.monotonic()
                r = cheap.get("/sparql", params={"query": CHEAP})
                elapsed = time.monotonic() - started
                assert r.status_code in (200, 503), r.text
                assert elapsed < QUICK_S, elapsed
                if r.status_code == 503:
                    assert r.headers["retry-after"].isdigit()
                    assert "busy" in r.text
    finally:
        heavy.end(service)
    assert 500 not in heavy.statuses


def test_the_last_worker_is_kept_for_short_queries_over_http(dist: Path) -> None:
    limits = {"timeout_s": TIME_LIMIT_S, "reserve_after_s": 1}
    with live_server(dist, workers=2, **limits) as (running, service):
        first = HeavyClients(running.url, [2])
        try:
            wait_until(lambda: service.pool.scheduler.long_running == 1)
            with client_from(running.url, 3) as second:
                started = time.monotonic()
                r = second.get("/sparql", params={"query": HEAVY})
                assert time.monotonic() - started < TIME_LIMIT_S / 2
                assert r.status_code == 503 and "kept for short queries" in r.text, r.text
                # one stop bars no one: retry when the long query must have ended
                assert 1 <= int(r.headers["retry-after"]) <= 20, r.headers
                assert "may not run queries" not in r.text
                wait_until(lambda: service.pool.scheduler.idle == 1)  # replaced
                assert second.get("/sparql", params={"query": CHEAP}).status_code == 200
            assert service.pool.scheduler.long_running == 1  # the first one runs on
            with client_from(running.url, 4) as cheap:
                wait_until(lambda: service.pool.scheduler.idle == 1)  # replaced
                r = cheap.get("/sparql", params={"query": CHEAP}, timeout=10)
                assert r.status_code == 200
        finally:
            first.end(service)


# --- bounded queries over HTTP ---------------------------------------------------------------


@pytest.fixture(scope="module")
def small_workers(dist: Path) -> Iterator[tuple[LiveServer, SparqlService]]:
    with live_server(dist, workers=2, timeout_s=TIME_LIMIT_S, worker_memory_mb=400) as running:
        yield running


def test_the_memory_bomb_is_503_then_its_client_waits_a_minute(
    small_workers: tuple[LiveServer, SparqlService],
) -> None:
    running, service = small_workers
    restarts = service.pool.restarts
    with client_from(running.url, 5) as bomber, client_from(running.url, 6) as other:
        r = bomber.get("/sparql", params={"query": BOMB})
        assert r.status_code == 503, r.text
        assert "needed more memory than a worker has (400 MB)" in r.text
        assert r.headers["retry-after"] == "60"
        assert service.pool.restarts == restarts + 1
        for _ in range(3):
            r = bomber.get("/sparql", params={"query": BOMB})
            assert r.status_code == 429, r.text
            assert "ended a query worker" in r.text and "needed more memory" in r.text
            assert 0 < int(r.headers["retry-after"]) <= 60
        assert service.pool.restarts == restarts + 1  # refused before any worker
        assert service.pool.scheduler.knows("127.0.0.5")  # barred: remembered
        # the cool-down is the bomber's alone
        wait_until(lambda: service.pool.scheduler.idle == service.limits.workers)
        assert other.get("/sparql", params={"query": CHEAP}).json()["boolean"] is True


def test_an_unknown_function_is_the_querys_error(
    small_workers: tuple[LiveServer, SparqlService],
) -> None:
    running, service = small_workers
    restarts = service.pool.restarts
    with client_from(running.url, 7) as c:
        r = c.get("/sparql", params={"query": UNKNOWN_FUNCTION})
        assert r.status_code == 400, r.text
        assert "<http://example.org/f> is not supported" in r.text
        # an error of the query ends no worker and bars no one
        assert c.get("/sparql", params={"query": CHEAP}).status_code == 200
    assert service.pool.restarts == restarts
    assert not service.pool.scheduler.knows("127.0.0.7")  # forgotten once it has no query


def test_a_query_that_overflows_the_engines_stack_is_named(
    small_workers: tuple[LiveServer, SparqlService],
) -> None:
    """Past the guard (which refuses deep nesting over HTTP), a worker that overflows its
    stack is told from one out of memory, and its client is barred all the same."""
    _, service = small_workers
    nested = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
    job = Job(nested, service.base, 10, "json", "json", "ttl")
    with pytest.raises(WorkerLost) as lost:
        service.pool.run(job, 20, client="deep")
    assert lost.value.cause == "stack"
    with pytest.raises(Cooldown) as barred:
        service.pool.run(job, 20, client="deep")
    assert "overflowed a worker's stack" in barred.value.why


# --- the policy, on the scheduler ------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_free_worker_goes_to_the_client_with_fewest_running() -> None:
    clock = Clock()
    scheduler = Scheduler(Limits(workers=3), clock)  # 2 running per client
    assert scheduler.limits.running_cap == 2
    first = scheduler.admit("a")
    scheduler.add_worker("w1")
    assert first.worker == "w1"
    clock.now += 1
    a_second = scheduler.admit("a")  # eligible first...
    clock.now += 1
    c_first = scheduler.admit("c")
    clock.now += 1
    b_first = scheduler.admit("b")
    scheduler.add_worker("w2")
    # ...but "c" and "b" have nothing running; of the two, "c" has waited longer
    assert (a_second.worker, c_first.worker, b_first.worker) == (None, "w2", None)
    scheduler.add_worker("w3")
    assert (a_second.worker, b_first.worker) == (None, "w3")
    scheduler.finish(c_first, "w2", None)
    assert a_second.worker == "w2"  # "a" (1 running) now ties with "b" (1) and waited longest


def test_caps_per_client() -> None:
    scheduler = Scheduler(Limits(workers=2, max_concurrent_per_client=3), Clock())
    tickets = [scheduler.admit("a") for _ in range(3)]
    scheduler.add_worker("w1")
    scheduler.add_worker("w2")
    assert [t.worker for t in tickets] == ["w1", None, None]  # ceil(2/2) = 1 running
    with pytest.raises(TooMany):
        scheduler.admit("a")
    assert scheduler.admit("b").worker == "w2"


def test_a_query_waits_for_other_clients_at_most_the_stated_bound() -> None:
    scheduler = Scheduler(Limits(workers=1, queue_wait_s=0.3))
    busy = scheduler.admit("a")
    scheduler.add_worker("w1")
    assert busy.worker == "w1"
    waiting = scheduler.admit("b")
    started = time.monotonic()
    with pytest.raises(Busy) as refused:
        scheduler.wait(waiting)
    assert 0.25 < time.monotonic() - started < 2
    assert refused.value.retry_after >= 1
    assert scheduler.clients == 1  # "b" is forgotten


def test_a_client_that_killed_a_worker_is_barred_then_forgotten() -> None:
    clock = Clock()
    scheduler = Scheduler(Limits(workers=2, max_concurrent_per_client=2), clock)
    scheduler.add_worker("w1")
    killer = scheduler.admit("a")
    queued = scheduler.admit("a")  # behind its own work
    scheduler.finish(killer, None, "a query from this address needed more memory")
    with pytest.raises(Cooldown) as barred:
        scheduler.wait(queued)  # refused too, before it reached a worker
    assert barred.value.seconds == 60
    clock.now += 59.5
    with pytest.raises(Cooldown) as barred:
        scheduler.admit("a")
    assert barred.value.seconds == 1 and "memory" in barred.value.why
    assert scheduler.clients == 1
    clock.now += 1
    scheduler.admit("b")  # any admission forgets the expired bar
    assert scheduler.clients == 1
    scheduler.admit("a")  # admitted again
    assert scheduler.clients == 2


def test_the_last_worker_is_kept_for_short_queries() -> None:
    scheduler = Scheduler(Limits(workers=2), Clock())
    scheduler.add_worker("w1")
    scheduler.add_worker("w2")
    first, second = scheduler.admit("a"), scheduler.admit("b")
    assert scheduler.may_run_long(first) is True
    assert scheduler.may_run_long(second) is False  # W-1 = 1 long query at once
    scheduler.finish(first, "w1", None)
    assert scheduler.may_run_long(second) is True
    assert Limits(workers=1).long_running_cap == 1  # one worker: nothing to keep


def test_default_worker_memory_shares_a_quarter_of_the_machine() -> None:
    assert default_worker_memory_mb(3 * 2**20, 2, 24 * 1024) == 3072
    assert default_worker_memory_mb(3 * 2**20, 8, 4 * 1024) == 542  # the store's floor
    assert default_worker_memory_mb(10 * 2**30, 2, 24 * 1024) == 512 + 10 * 10 * 1024
    assert default_worker_memory_mb(1, 2, None) == 4096


def test_a_worker_imports_only_what_it_runs() -> None:
    """Each worker's memory starts as a copy of its fork server's, which imports the
    worker's module: neither the server's side (asyncio, the scheduler, the web stack)
    nor what xml.sax.saxutils drags in (urllib.request: http, email, ssl)."""
    probe = "import sys, kg.web.endpoint.worker; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = set(done.stdout.split())
    assert "pyoxigraph" in modules
    heavy = {"asyncio", "ssl", "email", "http.client", "xml.sax", "starlette", "rdflib"}
    server_side = {"kg.web.endpoint.executor", "kg.web.endpoint.scheduler", "kg.web.server"}
    assert not modules & (heavy | server_side)


def test_time_limit_stops_bar_a_client_only_when_they_repeat() -> None:
    """A query stopped at its time limit ends its worker too, but a researcher trying a
    short limit is not locked out: the third stop within the cool-down bars."""
    clock = Clock()
    scheduler = Scheduler(Limits(workers=2), clock)
    scheduler.add_worker("w1")
    why = "a query from this address overran its time limit"

    def stop(client: str) -> bool:
        ticket = scheduler.admit(client)
        assert scheduler.wait(ticket) == "w1"
        barred = scheduler.finish(ticket, None, why, stopped=True)
        scheduler.add_worker("w1")  # its replacement
        return barred

    assert stop("a") is False
    clock.now += 20
    assert stop("a") is False
    assert scheduler.knows("a")  # remembered while its stops count
    clock.now += 41  # the first stop is 61 s old now: it no longer counts
    stop("a")
    stop("b")  # another client's stops are its own
    clock.now += 1
    fine = scheduler.admit("a")  # two stops within 60 s: still admitted
    assert scheduler.wait(fine) == "w1"
    assert scheduler.finish(fine, "w1", None) is False
    assert stop("a") is True
    with pytest.raises(Cooldown) as barred:
        scheduler.admit("a")
    assert "time limit (3 times within 60 s)" in barred.value.why
    assert barred.value.seconds == 60
    scheduler.admit("b")  # one stop: admitted
    clock.now += 121
    scheduler.admit("c")  # an admission sweeps the expired state
    assert not scheduler.knows("a")
