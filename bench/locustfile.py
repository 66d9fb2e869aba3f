"""The locust scenario of ``make bench-load`` (``python -m bench.load``), run headless.

Each locust user is one keep-alive client (geventhttpclient, ``FastHttpUser``) that asks
without pause for the next request of the shared round-robin: the named-query catalogue
at ``/api/queries/NAME`` with the parameters of ``tests/expected/cq/NAME.params.json``
(``GOVSM_LOAD_SCENARIO=api``), or one static document of the site (``static``). The run
is bounded in count (``GOVSM_LOAD_REQUESTS``: the runner quits once that many requests
were sent) and in time (locust's ``--run-time``). Every answer's status and wall time
(body read) is written as JSON to ``GOVSM_LOAD_OUT`` when locust quits, so that
bench/load.py computes the same nearest-rank percentiles for every scenario.

Only 127.0.0.1 is allowed as ``--host`` (bench/load.py starts the server there).
"""

from __future__ import annotations

import json
import os
import time
from itertools import count
from urllib.parse import urlsplit

import gevent
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from bench.load import JSON_RESULTS, STATIC_PATH, api_path, catalogue

WORK = catalogue()
TOTAL = int(os.environ.get("GOVSM_LOAD_REQUESTS", "1000"))
SCENARIO = os.environ.get("GOVSM_LOAD_SCENARIO", "api")
ENCODING = os.environ.get("GOVSM_LOAD_ACCEPT_ENCODING", "identity")
_next = count()
_records: list[tuple[str, str, float, float]] = []  # (label, status, start, seconds)


@events.init.add_listener
def _only_loopback(environment, **_kwargs) -> None:  # noqa: ANN001 (locust's signature)
    host = urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"bench/locustfile.py runs against 127.0.0.1 only, not {host!r}")


@events.quitting.add_listener
def _write(environment, **_kwargs) -> None:  # noqa: ANN001
    with open(os.environ["GOVSM_LOAD_OUT"], "w", encoding="utf-8") as out:
        json.dump(_records, out)


class CatalogueClient(FastHttpUser):
    """One client: the next request of the shared sequence, again and again."""

    network_timeout = 120.0
    connection_timeout = 30.0

    def wait_time(self) -> float:
        return 0.0

    @task
    def next_request(self) -> None:
        i = next(_next)
        if i >= TOTAL:
            if i == TOTAL:  # in a greenlet of its own: quit() kills this user's
                gevent.spawn_later(0, self.environment.runner.quit)
            raise StopUser()
        if SCENARIO == "static":
            label, path, accept = STATIC_PATH, STATIC_PATH, "text/turtle"
        else:
            label, params = WORK[i % len(WORK)]
            path, accept = api_path(label, params), JSON_RESULTS
        headers = {"Accept": accept, "Accept-Encoding": ENCODING}
        start = time.perf_counter()
        with self.client.get(path, headers=headers, name=label, catch_response=True) as answer:
            status = str(answer.status_code or type(answer.error).__name__)
            _records.append((label, status, start, time.perf_counter() - start))
            if answer.status_code == 200:
                answer.success()
            else:
                answer.failure(f"HTTP {status}")
