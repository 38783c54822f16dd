"""Fixtures of the flow tests: the executor's receiver, settings and in-process worker."""

from __future__ import annotations

from tests.executor.conftest import receiver, settings, worker

__all__ = ["receiver", "settings", "worker"]
