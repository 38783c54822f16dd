"""Hot reload: poll the rules files and swap in a new Ruleset when they change.

    watcher = RulesWatcher(settings.rules, on_reload=..., on_error=...)
    watcher.load_now()                 # first load, synchronously, at start
    async with watcher:                # polls every `interval` seconds in a task
        ruleset = watcher.current      # always a usable Ruleset (empty if nothing loaded)
        watcher.errors                 # [] when the files on disk loaded, else the problems

Every poll reads the files and hashes names and contents (rules files are small; no
file-watching dependency, and an edit within the same mtime tick is not missed). A
broken edit keeps the last good Ruleset and exposes the errors; fixing it clears them.
A rules path that does not exist gives an empty Ruleset plus an error, and is loaded
when it appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from types import TracebackType

from bridge.exceptions import RulesError
from bridge.rules.loader import Source, fingerprint, load_sources, read_sources
from bridge.rules.model import Ruleset

logger = logging.getLogger("bridge.rules.watcher")

OnReload = Callable[[Ruleset], object]
OnError = Callable[[list[str]], object]


class RulesWatcher:
    """Holds the current Ruleset of a rules path and reloads it when the files change."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        environ: Mapping[str, str] | None = None,
        interval: float = 1.0,
        on_reload: OnReload | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self.path = path
        self.environ = os.environ if environ is None else environ
        self.interval = interval
        self.on_reload = on_reload
        self.on_error = on_error
        #: The last Ruleset that loaded without errors (empty before the first).
        self.current = Ruleset()
        #: The problems of the files on disk now; [] when they loaded.
        self.errors: list[str] = []
        #: Unix time of the last successful load, None before it.
        self.loaded_at: float | None = None
        #: Counts successful loads: 1 after the first.
        self.generation = 0
        self._fingerprint: str | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def ok(self) -> bool:
        """Whether the files on disk are loaded (no pending errors)."""
        return self.generation > 0 and not self.errors

    def load_now(self) -> bool:
        """Read and load if the files changed; True when a new Ruleset was swapped in."""
        try:
            sources = read_sources(self.path)
        except (OSError, UnicodeDecodeError) as exc:
            return self._failed(f"missing:{exc}", [str(exc)])
        digest = fingerprint(sources)
        if digest == self._fingerprint:
            return False
        return self._apply(digest, sources)

    def _apply(self, digest: str, sources: list[Source]) -> bool:
        try:
            ruleset = load_sources(sources, self.environ)
        except RulesError as exc:
            return self._failed(digest, exc.problems)
        self._fingerprint = digest
        self.current, self.errors = ruleset, []
        self.loaded_at, self.generation = time.time(), self.generation + 1
        logger.info(
            "rules loaded (generation %d): %d rules, %d hooks from %s",
            self.generation,
            len(ruleset.rules),
            len(ruleset.hooks),
            self.path,
        )
        if self.on_reload is not None:
            self.on_reload(ruleset)
        return True

    def _failed(self, digest: str, problems: list[str]) -> bool:
        if digest == self._fingerprint:
            return False
        self._fingerprint = digest
        self.errors = problems
        kept = "keeping the last good rules" if self.generation else "no rules loaded"
        logger.error("rules from %s do not load (%s):\n%s", self.path, kept, "\n".join(problems))
        if self.on_error is not None:
            self.on_error(problems)
        return False

    async def check(self) -> bool:
        """One poll, off the event loop: True when a new Ruleset was swapped in."""
        return await asyncio.to_thread(self.load_now)

    async def run(self) -> None:
        """Poll forever (until cancelled)."""
        while True:
            try:
                await self.check()
            except Exception:  # a bug in a callback must not stop reloading
                logger.exception("rules watcher: reload failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Start polling in a background task of the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="rules-watcher")

    async def stop(self) -> None:
        """Stop polling and wait for the task to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> RulesWatcher:
        if self.generation == 0 and not self.errors:
            await self.check()
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
