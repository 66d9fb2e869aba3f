"""Work started early and collected later: a daemon thread behind a Future.

Used for stages that run mostly inside pyoxigraph, which releases the GIL (bulk
loading, dumping): on a machine with more than one core they overlap the stages
before them. A daemon thread, unlike a ThreadPoolExecutor's, does not hold up the exit
of a process whose build failed meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def in_background(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
    """Start ``fn(*args, **kwargs)`` in a daemon thread; its result (or exception) in
    the returned Future."""
    future: Future[T] = Future()
    future.set_running_or_notify_cancel()

    def run() -> None:
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            future.set_exception(exc)

    threading.Thread(target=run, name=f"govsm-{fn.__name__}", daemon=True).start()
    return future
