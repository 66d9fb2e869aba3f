"""Which query gets the next free worker: fair between clients, bounded per client.

The policy (``Limits`` holds the numbers):

- a client (peer address) may have ``max_concurrent_per_client`` queries in the service
  (429 beyond), of which ``running_cap`` run; the rest wait in the client's own queue,
  behind its own work;
- a query at the head of its client's queue, with its client below the running cap, is
  *eligible*; an eligible query waits for other clients' work at most ``queue_wait_s``,
  then gets :class:`Busy` (503 + Retry-After);
- a free worker goes to the eligible query whose client has the fewest queries running
  (ties: the one eligible longest), not to the oldest request;
- at most ``long_running_cap`` (W-1) queries may run past ``reserve_after_s`` at once;
- a client whose query killed its worker (memory, stack) is barred for
  ``kill_cooldown_s``: its queries are refused (:class:`Cooldown`, 429) before they reach
  a worker, so one client kills at most one worker per cool-down; a query *stopped* at
  its time limit or the reserve limit (its worker ended by us) bars its client only at
  the ``stops_before_cooldown``-th such stop within ``kill_cooldown_s`` — a researcher
  trying a short time limit is not locked out, a loop of heavy queries is.

State per client lives only while the client has queries in the service or is barred;
then it is forgotten, so the server's memory does not grow with the clients it has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kg.web.endpoint.limits import Limits


class Busy(Exception):
    """No worker became free in time for this query; ``retry_after`` in seconds."""

    def __init__(self, waited: float, retry_after: int) -> None:
        super().__init__(f"no worker free within {waited:g} s")
        self.waited = waited
        self.retry_after = retry_after


class TooMany(Exception):
    """The client has its maximum of queries in the service."""


class Cooldown(Exception):
    """The client ended a worker recently: refused for ``seconds`` more; ``why`` says how."""

    def __init__(self, seconds: int, why: str) -> None:
        super().__init__(f"refused for {seconds} s: {why}")
        self.seconds = seconds
        self.why = why


def _nothing() -> None:
    return None


@dataclass(eq=False)
class Ticket:
    """One query's place in the scheduler, from admission to its end."""

    client: str
    admitted: float
    eligible_since: float | None = None
    worker: Any = None
    refusal: Exception | None = None
    started: float = 0.0
    deadline: float = 0.0  # when its time limit ends it (set by the pool when it starts)
    long: bool = False
    wake: Callable[[], None] = _nothing


@dataclass
class _Client:
    running: int = 0
    waiting: deque[Ticket] = field(default_factory=deque)
    barred_until: float = 0.0
    barred_why: str = ""
    stops: deque[float] = field(default_factory=deque)  # recent time-limit/reserve stops


class Scheduler:
    """The queue of queries and the free workers (any objects) of one pool."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._cond = threading.Condition()
        self._idle: list[Any] = []
        self._clients: dict[str, _Client] = {}
        self._running: set[Ticket] = set()
        self._closed = False
        self._next_sweep = 0.0

    # --- what the service asks -------------------------------------------------------

    def admit(self, client: str) -> Ticket:
        """Queue a query of ``client``; raises :class:`Cooldown` or :class:`TooMany`."""
        with self._cond:
            now = self.clock()
            if self._closed:
                raise Busy(0, 1)
            self._forget_expired(now)
            state = self._clients.get(client)
            if state is not None and state.barred_until > now:
                raise Cooldown(math.ceil(state.barred_until - now), state.barred_why)
            if state is not None and (
                state.running + len(state.waiting) >= self.limits.max_concurrent_per_client
            ):
                raise TooMany()
            state = self._clients.setdefault(client, _Client())
            ticket = Ticket(client, now)
            state.waiting.append(ticket)
            self._dispatch(now)
            return ticket

    def wait(self, ticket: Ticket) -> Any:
        """Block until ``ticket`` has a worker (returned); raises Busy or Cooldown."""
        with self._cond:
            while True:
                left = self._check(ticket)
                if left is None:
                    return ticket.worker
                self._cond.wait(left)

    async def wait_async(self, ticket: Ticket) -> Any:
        """As :meth:`wait`, without holding a thread while waiting."""
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(woken.set)

        ticket.wake = wake
        try:
            while True:
                with self._cond:
                    left = self._check(ticket)
                    if left is None:
                        return ticket.worker
                    woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), left)
        except asyncio.CancelledError:
            self.withdraw(ticket)
            raise

    def withdraw(self, ticket: Ticket) -> None:
        """The query will not run after all: give back its place or its worker."""
        with self._cond:
            state = self._clients.get(ticket.client)
            if ticket.worker is not None and ticket in self._running:
                self._finish_locked(ticket, ticket.worker, None)
                return
            if state is not None and ticket in state.waiting:
                state.waiting.remove(ticket)
                self._tidy(ticket.client, self.clock())
                self._dispatch(self.clock())

    # --- what the pool tells ---------------------------------------------------------

    def close(self) -> None:
        """The pool is stopping: no worker will come; every waiting query is refused."""
        with self._cond:
            self._closed = True
            self._idle.clear()
            now = self.clock()
            for state in self._clients.values():
                for ticket in state.waiting:
                    ticket.refusal = Busy(now - ticket.admitted, 1)
                    ticket.wake()
                state.waiting.clear()
            self._cond.notify_all()

    def add_worker(self, worker: Any) -> None:
        """``worker`` is free (new, or done with its query)."""
        with self._cond:
            if self._closed:
                return
            self._idle.append(worker)
            self._dispatch(self.clock())

    def may_run_long(self, ticket: Ticket) -> bool:
        """Whether ``ticket``'s query, past ``reserve_after_s``, may go on running."""
        with self._cond:
            long = sum(1 for t in self._running if t.long)
            if long >= self.limits.long_running_cap:
                return False
            ticket.long = True
            return True

    def finish(self, ticket: Ticket, worker: Any, ended: str | None, stopped: bool = False) -> bool:
        """``ticket``'s query is over; ``worker`` is free again (None: it was ended, and
        ``ended`` says why: the client is barred for the cool-down — at once when the
        query killed its worker, at the ``stops_before_cooldown``-th stop within the
        cool-down when we ``stopped`` it at a time limit). Whether the client is barred."""
        with self._cond:
            return self._finish_locked(ticket, worker, ended, stopped)

    def retry_after(self) -> int:
        """Seconds until a running query must have ended (at least 1)."""
        with self._cond:
            return self._retry_after(self.clock())

    @property
    def idle(self) -> int:
        """Workers free now."""
        with self._cond:
            return len(self._idle)

    @property
    def running(self) -> int:
        """Queries holding a worker now."""
        with self._cond:
            return len(self._running)

    @property
    def long_running(self) -> int:
        """Queries running past ``reserve_after_s`` now."""
        with self._cond:
            return sum(1 for t in self._running if t.long)

    def queries(self, client: str) -> int:
        """Queries of ``client`` in the service now (running or waiting)."""
        with self._cond:
            state = self._clients.get(client)
            return state.running + len(state.waiting) if state else 0

    def knows(self, client: str) -> bool:
        """Whether the scheduler keeps state for ``client``."""
        with self._cond:
            return client in self._clients

    @property
    def clients(self) -> int:
        """Clients the scheduler keeps state for (running, waiting or barred)."""
        with self._cond:
            return len(self._clients)

    # --- under the lock ----------------------------------------------------------------

    def _check(self, ticket: Ticket) -> float | None:
        """None when ``ticket`` has its worker; else seconds to wait before looking again.
        Raises its refusal, or Busy once it has waited its bound."""
        if ticket.worker is not None:
            return None
        if ticket.refusal is not None:
            raise ticket.refusal
        now = self.clock()
        if ticket.eligible_since is None:
            return self.limits.queue_wait_s  # behind its own work: no bound from others
        left = ticket.eligible_since + self.limits.queue_wait_s - now
        if left > 0:
            return left
        self._clients[ticket.client].waiting.remove(ticket)
        self._tidy(ticket.client, now)
        self._dispatch(now)  # the next of its client's queue is eligible now
        raise Busy(now - ticket.admitted, self._retry_after(now))

    def _retry_after(self, now: float) -> int:
        """Seconds until a running query must have ended (at least 1)."""
        ends = [t.deadline for t in self._running if t.deadline > now]
        return max(1, math.ceil(min(ends) - now)) if ends else 1

    def _finish_locked(self, ticket: Ticket, worker: Any, ended: str | None, stopped: bool) -> bool:
        now = self.clock()
        self._running.discard(ticket)
        state = self._clients[ticket.client]
        state.running -= 1
        if ended is not None and stopped:
            state.stops.append(now)
            while state.stops and state.stops[0] <= now - self.limits.kill_cooldown_s:
                state.stops.popleft()
            if len(state.stops) < self.limits.stops_before_cooldown:
                ended = None
            else:
                ended += f" ({len(state.stops)} times within {self.limits.kill_cooldown_s:g} s)"
        barred = ended is not None and self.limits.kill_cooldown_s > 0
        if barred:
            state.barred_until = now + self.limits.kill_cooldown_s
            state.barred_why = ended
            refusal = Cooldown(math.ceil(self.limits.kill_cooldown_s), ended)
            for waiting in state.waiting:
                waiting.refusal = refusal
                waiting.wake()
            state.waiting.clear()
            self._cond.notify_all()
        if worker is not None and not self._closed:
            self._idle.append(worker)
        self._tidy(ticket.client, now)
        self._dispatch(now)
        return barred

    def _dispatch(self, now: float) -> None:
        """Hand free workers to eligible queries: fewest running first, then longest
        eligible; mark the new heads of the queues eligible."""
        cap = self.limits.running_cap
        while self._idle:
            ready = [c for c in self._clients.values() if c.waiting and c.running < cap]
            if not ready:
                break
            state = min(ready, key=lambda c: (c.running, c.waiting[0].eligible_since or now))
            ticket = state.waiting.popleft()
            state.running += 1
            ticket.worker = self._idle.pop()
            ticket.started = now
            self._running.add(ticket)
            ticket.wake()
        for state in self._clients.values():
            if state.waiting and state.running < cap and state.waiting[0].eligible_since is None:
                state.waiting[0].eligible_since = now
                state.waiting[0].wake()
        self._cond.notify_all()

    def _tidy(self, client: str, now: float) -> None:
        state = self._clients.get(client)
        if state and self._forgettable(state, now):
            del self._clients[client]

    def _forgettable(self, state: _Client, now: float) -> bool:
        """Nothing running or waiting, no bar and no stop the cool-down still counts."""
        recent = state.stops and state.stops[-1] > now - self.limits.kill_cooldown_s
        return not (state.running or state.waiting or recent) and state.barred_until <= now

    def _forget_expired(self, now: float) -> None:
        """Forget the clients whose bar has expired (others are forgotten as they end);
        at most once a second, so that admission stays cheap with many clients."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        expired = [name for name, s in self._clients.items() if self._forgettable(s, now)]
        for name in expired:
            del self._clients[name]
