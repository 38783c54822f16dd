"""The render budget: how long a template may take and how much it may produce.

The size half is enforced by the sandbox (templates.py): every operator, filter and method
call refuses to build more than `LIMITS.max_chars`, and rendered text stops at it. Time
cannot be checked that way (a nested loop over ranges calls nothing the sandbox sees), so:

- every top-level render is watched (`within_budget`; the template nodes call it, so no
  caller can forget): a watchdog thread raises `RenderExpired` inside the rendering thread
  once `LIMITS.seconds` have passed. The interpreter delivers it between bytecodes, so no
  template, however it loops, runs past its deadline; it becomes `TemplateTooHeavy`, a
  permanent step error. Watching costs a dict entry, not a thread or timer per render.
- a worker's step renders run in a small thread pool (`render_off_loop`), not on the event
  loop, which then waits at most the interpreter's switch interval (5 ms) at a time: in
  `bridge up`, inbound hooks keep answering while a worker renders.

Threads rather than a subprocess: a step render costs tens of microseconds and the hop to a
thread about 100 more, while a process would also need the context and the compiled rules
copied per render (README, "Hardening", has the figures).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from bridge.exceptions import TemplateTooHeavy

logger = logging.getLogger("bridge.rules.budget")

T = TypeVar("T")


@dataclass(slots=True)
class Limits:
    """The render budget (BRIDGE_RENDER_TIMEOUT, BRIDGE_RENDER_MAX_SIZE)."""

    #: Seconds one render (a step's fields and `if:`) may take.
    seconds: float = 1.0
    #: Characters one render may produce, and the largest string, list or repetition any
    #: operator, filter or method inside a template may build.
    max_chars: int = 256 * 1024


#: The process's limits; `configure` sets them from the settings at start-up.
LIMITS = Limits()

#: Renders in parallel per worker process; more wait for a thread (their clock starts later).
RENDER_THREADS = 4
#: How often the watchdog looks for renders past their deadline (its precision).
TICK = 0.02


def configure(seconds: float | None = None, max_chars: int | None = None) -> Limits:
    """Set the render budget of this process; returns it."""
    if seconds is not None:
        LIMITS.seconds = seconds
    if max_chars is not None:
        LIMITS.max_chars = max_chars
    return LIMITS


class RenderExpired(BaseException):
    """Raised inside a rendering thread at its deadline (a BaseException, so no `except
    Exception` on the way can swallow it)."""


@dataclass(slots=True)
class _Watch:
    thread_id: int
    deadline: float
    expired: bool = False


_lock = threading.Lock()
_watched: dict[int, _Watch] = {}  # by thread: one top-level render per thread at a time
_local = threading.local()
_watchdog: threading.Thread | None = None
_pool: ThreadPoolExecutor | None = None


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Make `thread_id` raise `exc` at its next bytecode (None: drop a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


def _watch_forever() -> None:
    while True:
        time.sleep(TICK)
        now = time.monotonic()
        with _lock:
            for watch in _watched.values():
                if not watch.expired and now >= watch.deadline:
                    watch.expired = True
                    _raise_in(watch.thread_id, RenderExpired)


def _start_watchdog() -> None:
    global _watchdog
    with _lock:
        if _watchdog is None:
            _watchdog = threading.Thread(target=_watch_forever, name="render-watchdog")
            _watchdog.daemon = True
            _watchdog.start()


def _unwatch(thread_id: int, watch: _Watch) -> None:
    with _lock:
        _watched.pop(thread_id, None)
        if watch.expired:
            _raise_in(thread_id, None)  # not delivered yet, and no longer wanted
    _local.active = False


def within_budget(fn: Callable[..., T], *args: Any, seconds: float | None = None) -> T:
    """`fn(*args)` in this thread, stopped after `seconds` (default LIMITS.seconds) with
    TemplateTooHeavy. Inside another budgeted call it just calls: the outer deadline rules."""
    if getattr(_local, "active", False):
        return fn(*args)
    if _watchdog is None:
        _start_watchdog()
    seconds = LIMITS.seconds if seconds is None else seconds
    thread_id = threading.get_ident()
    watch = _Watch(thread_id, time.monotonic() + seconds)
    _local.active = True
    try:
        with _lock:
            _watched[thread_id] = watch
        return fn(*args)
    except RenderExpired:
        raise TemplateTooHeavy(
            f"template rendering took longer than {seconds:g} s (render budget)"
        ) from None
    finally:
        while True:  # a late RenderExpired may land here, once: then unwatch again
            try:
                _unwatch(thread_id, watch)
                break
            except RenderExpired:
                continue


def _threads() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="render")
    return _pool


async def render_off_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a render thread, within the budget (TemplateTooHeavy past it)."""
    loop = asyncio.get_running_loop()
    result: T = await loop.run_in_executor(_threads(), within_budget, fn, *args)
    return result


def render_within(fn: Callable[..., T], *args: Any, seconds: float | None = None) -> T:
    """`fn(*args)` in this thread within the budget (for synchronous callers)."""
    return within_budget(fn, *args, seconds=seconds)
