"""The time half of the render budget: templates render off the event loop, within a deadline.

The size half lives in the sandbox (templates.py): every operator, filter and method call
refuses to build more than `LIMITS.max_chars`. Time cannot be checked that way: a nested
loop over ranges calls nothing the sandbox sees. So a render runs in a thread of a small
pool (`render_off_loop`), where it cannot block the event loop for longer than the
interpreter's switch interval (5 ms), and a loop timer raises `RenderExpired` inside that
thread once `LIMITS.seconds` have passed since the render started: the interpreter checks
for it between bytecodes, so no template, however it loops, runs past its deadline. The
render then fails with `TemplateTooHeavy`, a permanent step error.

A thread, not a subprocess, on purpose: a render costs tens of microseconds, the hop to a
thread about as much again, while a process would add a copy of the context and the
compiled rules per render (see the README section "Render budget" for the figures).
`render_within` is the same deadline for synchronous callers (`bridge rules test`).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bridge.exceptions import TemplateTooHeavy
from bridge.rules.templates import LIMITS

logger = logging.getLogger("bridge.rules.budget")

T = TypeVar("T")

#: Renders in parallel per process; more wait for a thread (their deadline starts later).
RENDER_THREADS = 4

_pool: ThreadPoolExecutor | None = None


class RenderExpired(BaseException):
    """Raised inside a render thread at its deadline (a BaseException: no `except
    Exception` in a filter can swallow it)."""


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Make `thread_id` raise `exc` at its next bytecode (None: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


class _Render:
    """One render: runs in a thread, can be expired from another."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> None:
        self.fn, self.args, self.seconds = fn, args, seconds
        self.lock = threading.Lock()
        self.thread_id: int | None = None
        self.started: float | None = None
        self.done = False
        self.expired = False

    def run(self) -> Any:
        with self.lock:
            self.thread_id, self.started = threading.get_ident(), time.monotonic()
        try:
            try:
                return self.fn(*self.args)
            finally:
                with self.lock:
                    self.done = True
                    if self.expired:
                        _raise_in(threading.get_ident(), None)  # not delivered yet: drop it
        except RenderExpired:
            raise TemplateTooHeavy(
                f"template rendering took longer than {self.seconds:g} s (render budget)"
            ) from None

    def remaining(self) -> float | None:
        """Seconds left before the deadline (all of them while queued), None once done."""
        with self.lock:
            if self.done:
                return None
            if self.started is None:
                return self.seconds
            return self.started + self.seconds - time.monotonic()

    def expire(self) -> None:
        with self.lock:
            if self.done or self.thread_id is None:
                return
            self.expired = True
            _raise_in(self.thread_id, RenderExpired)


def _threads() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="render")
    return _pool


async def render_off_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a render thread, within `LIMITS.seconds` (TemplateTooHeavy after)."""
    loop = asyncio.get_running_loop()
    seconds = LIMITS.seconds
    job = _Render(fn, args, seconds)

    def check() -> None:  # on the loop: no cross-thread wake-up per render
        remaining = job.remaining()
        if remaining is None:
            return
        if remaining > 0.001:
            loop.call_later(remaining, check)
        else:
            job.expire()

    loop.call_later(seconds, check)
    result: T = await loop.run_in_executor(_threads(), job.run)
    return result


def render_within(fn: Callable[..., T], *args: Any, seconds: float | None = None) -> T:
    """`fn(*args)` in this thread within `seconds` (default LIMITS.seconds)."""
    seconds = LIMITS.seconds if seconds is None else seconds
    job = _Render(fn, args, seconds)
    timer = threading.Timer(seconds, job.expire)
    timer.daemon = True
    timer.start()
    try:
        result: T = job.run()
        return result
    finally:
        timer.cancel()
