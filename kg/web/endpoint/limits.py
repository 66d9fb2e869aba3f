"""The limits of the public SPARQL service (all configurable with ``govsm serve``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one server lets its clients do.

    - ``timeout_s``: the longest a query may run (seconds); a client may ask for less.
    - ``max_rows``: solutions (or triples, for graph results) returned at most; longer
      results are cut and say so in ``X-Result-Truncated``.
    - ``max_body_bytes``: the largest request body (413 beyond it).
    - ``max_concurrent_per_client``: queries one peer address may have running (429).
    - ``workers``: worker processes evaluating queries in parallel.
    - ``worker_memory_mb``: address-space cap of a worker process (0: none); a query
      that needs more ends its worker, which is replaced.
    """

    timeout_s: float = 30.0
    max_rows: int = 10_000
    max_body_bytes: int = 1_000_000
    max_concurrent_per_client: int = 4
    workers: int = 2
    worker_memory_mb: int = 4096

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout_s}")
        for name in ("max_rows", "max_body_bytes", "max_concurrent_per_client", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.worker_memory_mb < 0:
            raise ValueError(f"worker_memory_mb must be >= 0, got {self.worker_memory_mb}")

    def clamp_timeout(self, asked: float | None) -> float:
        """The time limit for one query: the client's, never more than the server's."""
        if asked is None:
            return self.timeout_s
        return min(asked, self.timeout_s)
