"""Connection hygiene for ``govsm serve``: read timeouts, a connection cap, a head limit.

uvicorn's h11 protocol closes a kept-alive connection after a keep-alive timeout, but
nothing else: a connection that never sends its request (or sends it a byte at a time,
or stops half-way through its body) is held forever, and enough of them exhaust the
descriptors, after which asyncio's accept loop fails and logs on every retry. The
:func:`protocol_class` subclass of uvicorn's ``H11Protocol`` adds, per connection:

- a **header timeout**: the request line and headers must arrive within
  ``header_timeout`` seconds of the connection opening, or of the first byte after a
  kept-alive pause (a partial head gets ``408``; a connection that sent nothing is
  closed);
- a **body timeout**: a request body must arrive whole within ``body_timeout`` seconds
  of its head (``408`` if no answer was started, then closed);
- a **head limit**: a request line over :data:`MAX_REQUEST_LINE` bytes is ``414``, a
  head over :data:`MAX_HEAD` bytes ``431``, both with a message — checked on what has
  arrived, so the answer does not depend on how the bytes were split;

and, for the server, a **cap on open connections** below the descriptor limit, enforced
where connections are accepted (:class:`CappedListener`): past it, the connection that
has waited longest without a request in progress (idle, or else still sending its head)
is closed to make room, so a new client is still served; when every connection is busy
the new one gets ``503`` and is closed. Errors of ``accept()``
(EMFILE, ENFILE, ...) are logged at most once per :data:`ACCEPT_LOG_INTERVAL` seconds
with their count (asyncio itself pauses accepting for a second after each).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import re
import resource
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_REQUEST_LINE = 64 * 1024
MAX_HEAD = MAX_REQUEST_LINE + 16 * 1024
# Descriptors kept free of connections: the listening socket, the workers' pipes, the
# store and templates, logs. Each connection may also hold one open file while its
# response streams, hence the halving in `derived_cap`.
DESCRIPTOR_RESERVE = 128
ACCEPT_LOG_INTERVAL = 10.0
ACCEPT_BATCH = 64  # connections accepted past the cap while closed ones release theirs
_RESOURCE_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_END_OF_HEAD = re.compile(rb"\n\r?\n")  # as h11 finds it (bare LF accepted)

log = logging.getLogger("uvicorn.error")


def descriptor_limit() -> int:
    """The process's soft limit on open descriptors (RLIMIT_NOFILE)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def derived_cap(nofile: int | None = None) -> int:
    """The default connection cap: half of what the reserve leaves of ``nofile``."""
    nofile = descriptor_limit() if nofile is None else nofile
    spare = nofile - DESCRIPTOR_RESERVE
    return max(1, min(spare // 2, spare - ACCEPT_BATCH))


def trusted_proxies(text: str) -> tuple[str, ...]:
    """The addresses/CIDRs of a comma-separated ``--forwarded-allow`` list (ValueError
    naming the one that is neither)."""
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
    return items


@dataclass(frozen=True)
class ConnectionLimits:
    """Per-connection timeouts (seconds), the open-connection cap (0: :func:`derived_cap`)
    and the proxies whose ``X-Forwarded-For`` is trusted (none by default)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: float = 5.0
    max_connections: int = 0
    forwarded_allow: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "keep_alive"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name.replace('_', '-')} must be positive")
        nofile = descriptor_limit()
        ceiling = max(1, nofile - DESCRIPTOR_RESERVE - ACCEPT_BATCH)
        if self.max_connections != 0 and not 1 <= self.max_connections <= ceiling:
            raise ValueError(
                f"max-connections must be between 1 and {ceiling} (the descriptor limit "
                f"{nofile} less {nofile - ceiling} kept free), or 0 for the default "
                f"{derived_cap(nofile)}"
            )
        trusted_proxies(",".join(self.forwarded_allow))

    @property
    def cap(self) -> int:
        """The open-connection cap in force."""
        return self.max_connections or derived_cap()


class AcceptErrorLog:
    """A loop exception handler that logs accept() failures at most once per
    ``interval`` seconds with how many there were, and passes anything else on."""

    def __init__(self, interval: float = ACCEPT_LOG_INTERVAL) -> None:
        self.interval = interval
        self.count = 0
        self.last = float("-inf")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS):
            loop.default_exception_handler(context)
            return
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.interval:
            log.warning(
                "accept() failed %d time(s) since the last report: %s",
                self.count,
                exc.strerror or exc,
            )
            self.count, self.last = 0, now


class Registry:
    """A server's open connections, admitted at ``accept()`` within the cap, and those
    that could be closed to make room, oldest first: those without a request in
    progress that sent nothing yet (``idle``), then those still sending their request
    head (``heads``)."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.cap = limits.cap
        self.open = 0  # accepted, not yet lost (their descriptors are held)
        self.pending = 0  # of which not yet set up (connection_made)
        self.closing = 0  # of which closed to make room, descriptor not yet released
        self.idle: dict[GuardedH11Protocol, None] = {}
        self.heads: dict[GuardedH11Protocol, None] = {}
        self.refused = 0
        self.last_refusal_log = float("-inf")

    def saturated(self) -> bool:
        """Whether the descriptors of connections closed to make room must be released
        (on the loop's next turn) before another is accepted."""
        return self.open >= self.cap + ACCEPT_BATCH

    def admit(self) -> bool:
        """Count a just-accepted connection in, closing the oldest idle (else
        head-sending) one if the cap is reached; False (refuse it) if none can be.
        Connections accepted in the same turn of the loop are not yet filed as idle: while
        some are pending, the newcomer is let in and :meth:`made` decides."""
        if self.open - self.closing >= self.cap and not self.evict() and not self.pending:
            self.note_refusal()
            return False
        self.open += 1
        self.pending += 1
        return True

    def made(self) -> bool:
        """A connection admitted at accept() is set up: False if it is over the cap and
        no other can be closed to make room (then it is refused)."""
        self.pending -= 1
        if self.open - self.closing > self.cap and not self.evict():
            self.note_refusal()
            return False
        return True

    def lost(self, conn: GuardedH11Protocol) -> None:
        """``conn`` is closed and its descriptor released."""
        self.place(conn, None)
        self.open -= 1
        if conn.evicted:
            self.closing -= 1

    def place(self, conn: GuardedH11Protocol, group: dict | None) -> None:
        """Move ``conn`` to the end of ``group`` (None: neither)."""
        for other in (self.idle, self.heads):
            if other is not group:
                other.pop(conn, None)
        if group is not None and conn not in group:
            group[conn] = None

    def evict(self) -> bool:
        """Close the oldest idle (else head-sending) connection; False if there is none."""
        for group in (self.idle, self.heads):
            while group:
                victim = next(iter(group))
                del group[victim]
                if not victim.transport.is_closing():
                    victim.close_for_room()
                    self.closing += 1
                    return True
        return False

    def note_refusal(self) -> None:
        """Count a connection refused at the cap; log the count at most once per interval."""
        self.refused += 1
        now = time.monotonic()
        if now - self.last_refusal_log >= ACCEPT_LOG_INTERVAL:
            log.warning(
                "%d connection(s) refused: all %d open connections have a request in progress",
                self.refused,
                self.cap,
            )
            self.refused, self.last_refusal_log = 0, now


class CappedListener(socket.socket):
    """A listening socket whose ``accept()`` (called by asyncio's accept loop) admits
    connections within its registry's cap: closing an idle one to make room, or
    refusing the new one with 503 when every open connection is busy. A connection
    closed to make room releases its descriptor on the loop's next turn, so at most
    :data:`ACCEPT_BATCH` are accepted beyond the cap meanwhile: accept() never fails
    for want of descriptors."""

    registry: Registry | None = None

    def accept(self) -> tuple[socket.socket, Any]:
        registry = self.registry
        while True:
            if registry is not None and registry.saturated():
                raise BlockingIOError(errno.EAGAIN, "waiting for closed connections")
            conn, address = super().accept()
            if registry is None or registry.admit():
                return conn, address
            conn.setblocking(False)
            with contextlib.suppress(OSError):
                conn.send(BUSY)
            conn.close()


def raw_response(status: int, reason: str, message: str, extra: str = "") -> bytes:
    """A complete ``Connection: close`` plain-text response, for answers given before
    (or instead of) h11 parsing a request."""
    body = message.encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
        f"x-content-type-options: nosniff\r\n{extra}\r\n"
    )
    return head.encode("ascii") + body


BUSY = raw_response(
    503, "Service Unavailable", "Too many connections; retry later.\n", "retry-after: 1\r\n"
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body timeouts, the head limit and the
    connection cap (``registry`` is set per server by :func:`protocol_class`)."""

    registry: Registry

    evicted = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._timer: asyncio.TimerHandle | None = None
        self._timer_kind: str | None = None
        super().connection_made(transport)
        if not self.registry.made():
            self._refuse(503, "Service Unavailable", "Too many connections; retry later.\n")
            return
        self._update()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_too_long(data):
            return
        super().data_received(data)
        self._update()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._update()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None)
        self.registry.lost(self)
        super().connection_lost(exc)

    # --- state --------------------------------------------------------------------------

    def _waiting(self) -> bool:
        """Whether no request is in progress (between requests, or before the first)."""
        active = self.cycle is not None and not self.cycle.response_complete
        return not active and self.conn.their_state is not h11.SEND_BODY

    def _update(self) -> None:
        """Re-arm the timer and re-file the connection for its current state."""
        if self.transport.is_closing():
            self._arm(None)
            self.registry.place(self, None)
            return
        partial = bool(self.conn.trailing_data[0])
        if not self._waiting():
            self._arm("body" if self.conn.their_state is h11.SEND_BODY else None)
            self.registry.place(self, None)
        elif self.timeout_keep_alive_task is not None and not partial:
            self._arm(None)  # kept alive: uvicorn's keep-alive timer runs
            self.registry.place(self, self.registry.idle)
        else:
            if partial:  # the next request has begun (pipelined): its head has the timeout
                self._unset_keepalive_if_required()
            self._arm("head")
            self.registry.place(self, self.registry.heads if partial else self.registry.idle)

    def _arm(self, kind: str | None) -> None:
        """Run the ``kind`` timer ("head", "body"; None: none), keeping a running one."""
        if kind == self._timer_kind:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_kind = None, kind
        if kind is not None:
            limits = self.registry.limits
            delay = limits.header_timeout if kind == "head" else limits.body_timeout
            self._timer = self.loop.call_later(delay, self._expired, kind)

    def _expired(self, kind: str) -> None:
        """A read timeout: 408 if a request was begun and no answer started, then close."""
        self._timer, self._timer_kind = None, None
        if self.transport.is_closing():
            return
        limits = self.registry.limits
        if kind == "head":
            if not self.conn.trailing_data[0]:
                self.transport.close()  # sent nothing: nothing to answer
                return
            self._refuse(
                408,
                "Request Timeout",
                f"Request Timeout: the request line and headers must arrive within "
                f"{limits.header_timeout:g} s.\n",
            )
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # the application's answer, if any, is dropped
            cycle.message_event.set()
            self.transport.write(
                raw_response(
                    408,
                    "Request Timeout",
                    f"Request Timeout: the request body must arrive within "
                    f"{limits.body_timeout:g} s of its headers.\n",
                )
            )
        self.transport.close()

    def _head_too_long(self, data: bytes) -> bool:
        """Refuse (414, 431) a request line or head over the limit; True if refused."""
        buffered = self.conn.trailing_data[0] + data
        line = buffered.find(b"\n")
        if (line if line >= 0 else len(buffered)) > MAX_REQUEST_LINE:
            self._refuse(
                414,
                "URI Too Long",
                f"URI Too Long: the request line is over {MAX_REQUEST_LINE} bytes; "
                "send a long SPARQL query by POST.\n",
            )
            return True
        end = _END_OF_HEAD.search(buffered)
        if (end.start() if end else len(buffered)) > MAX_HEAD:
            self._refuse(
                431,
                "Request Header Fields Too Large",
                f"Request Header Fields Too Large: the request head is over {MAX_HEAD} bytes.\n",
            )
            return True
        return False

    def _refuse(self, status: int, reason: str, message: str) -> None:
        """Answer ``status`` before any request is parsed, and close."""
        extra = "retry-after: 1\r\n" if status == 503 else ""
        self.transport.write(raw_response(status, reason, message, extra))
        self.transport.close()
        self._arm(None)
        self.registry.place(self, None)

    def close_for_room(self) -> None:
        """Close this connection (idle or head-sending) to make room for a new one."""
        self.evicted = True
        self._arm(None)
        self.transport.close()


def protocol_class(limits: ConnectionLimits) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` for one server, with its own registry."""
    return type("ServerH11Protocol", (GuardedH11Protocol,), {"registry": Registry(limits)})
