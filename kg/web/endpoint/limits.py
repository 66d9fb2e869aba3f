"""The limits of the public SPARQL service (all configurable with ``govsm serve``)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

MB = 1024 * 1024
# A worker's address space before any query: the interpreter and pyoxigraph mapped,
# allocator arenas (VmPeak ≈ 90 MB with the review's store loaded); room for queries.
WORKER_BASE_MB = 512
# The in-memory store takes a few times its N-Quads size; queries need room beyond it.
STORE_FACTOR = 10
# A worker over the store on disk (kg.build.store): its address space right after opening
# it (VmSize ≈ 800 MB at 10^4 and 10^5 studies alike: RocksDB's threads' allocator
# arenas and stacks, reserved, not resident; the files are read, not mapped), then room
# for queries, which grows with the data: a few times the store's files.
DISK_WORKER_BASE_MB = 1024
DISK_STORE_FACTOR = 4
# Of the machine's physical memory, the share all workers together may take.
MACHINE_SHARE = 4


@dataclass(frozen=True)
class Limits:
    """What one server lets its clients do.

    - ``timeout_s``: the longest a query may run (seconds); a client may ask for less.
    - ``max_rows``: solutions (or triples, for graph results) returned at most; longer
      results are cut and say so in ``X-Result-Truncated``.
    - ``max_body_bytes``: the largest request body (413 beyond it).
    - ``max_concurrent_per_client``: queries one peer address may have in the service at
      once, running or waiting in its own queue (429 beyond).
    - ``running_per_client``: of those, how many may run at once (0: ceil(W/2), so that
      one client never holds every worker); the rest wait behind the client's own work.
    - ``workers``: worker processes evaluating queries in parallel (W).
    - ``worker_memory_mb``: address-space cap of a worker process (None: derived from
      the machine's memory and the store's size, :func:`default_worker_memory_mb`; 0:
      none); a query that needs more ends its worker, which is replaced (503).
    - ``queue_wait_s``: the longest a query waits for other clients' work to free a
      worker (503 + Retry-After after that).
    - ``reserve_after_s``: with W >= 2, at most W-1 queries may run longer than this at
      once; one that reaches it while W-1 others already have is stopped (503), so that a
      worker is always free for short queries within that time (0: no reserve).
    - ``kill_cooldown_s``: a client whose query killed a worker (memory, stack) may not
      run queries for this long (429 + Retry-After; 0: no cool-down).
    - ``stops_before_cooldown``: a query stopped at a time limit or the reserve limit
      bars its client for the cool-down only when it is the client's N-th stop within
      it (a researcher trying a short ``timeout=`` is not locked out, a loop is).
    """

    timeout_s: float = 30.0
    max_rows: int = 10_000
    max_body_bytes: int = 1_000_000
    max_concurrent_per_client: int = 4
    workers: int = 2
    worker_memory_mb: int | None = None
    running_per_client: int = 0
    queue_wait_s: float = 1.0
    reserve_after_s: float = 5.0
    kill_cooldown_s: float = 60.0
    stops_before_cooldown: int = 3

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout_s}")
        for name in (
            "max_rows",
            "max_body_bytes",
            "max_concurrent_per_client",
            "workers",
            "stops_before_cooldown",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.worker_memory_mb is not None and self.worker_memory_mb < 0:
            raise ValueError(f"worker memory must be >= 0 MB, got {self.worker_memory_mb}")
        if not self.queue_wait_s > 0:
            raise ValueError(f"queue_wait_s must be positive, got {self.queue_wait_s}")
        for name in ("running_per_client", "reserve_after_s", "kill_cooldown_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def clamp_timeout(self, asked: float | None) -> float:
        """The time limit for one query: the client's, never more than the server's."""
        if asked is None:
            return self.timeout_s
        return min(asked, self.timeout_s)

    @property
    def running_cap(self) -> int:
        """Queries one client may have running at once."""
        derived = self.running_per_client or max(1, math.ceil(self.workers / 2))
        return min(derived, self.max_concurrent_per_client, self.workers)

    @property
    def long_running_cap(self) -> int:
        """Queries that may run past ``reserve_after_s`` at once (W-1; W with no reserve)."""
        reserved = self.workers >= 2 and 0 < self.reserve_after_s < self.timeout_s
        return self.workers - 1 if reserved else self.workers


def physical_memory_mb() -> int | None:
    """The machine's physical memory in MB (None where the platform does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // MB
    except (AttributeError, ValueError, OSError):
        return None


def default_worker_memory_mb(
    store_bytes: int, workers: int, physical_mb: int | None, on_disk: bool = False
) -> int:
    """A worker's address-space cap: the W workers together take at most a quarter of
    the machine's memory, but each gets at least what the store needs: 512 MB + 10 x the
    N-Quads size (``store_bytes``) for a copy in memory; 1024 MB + 4 x the store's files
    (``store_bytes``, ``on_disk``) for a store on disk; 4096 MB where the machine's
    memory is unknown."""
    if on_disk:
        floor = DISK_WORKER_BASE_MB + DISK_STORE_FACTOR * math.ceil(store_bytes / MB)
    else:
        floor = WORKER_BASE_MB + STORE_FACTOR * math.ceil(store_bytes / MB)
    if physical_mb is None:
        return max(4096, floor)
    return max(floor, physical_mb // MACHINE_SHARE // max(workers, 1))
