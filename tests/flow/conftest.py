"""Fixtures of the flow tests: the executor's receiver, settings and in-process worker,
and the admin tests' web app."""

from __future__ import annotations

from tests.admin.conftest import rules_dir, serve_app
from tests.executor.conftest import receiver, settings, worker

__all__ = ["receiver", "rules_dir", "serve_app", "settings", "worker"]
