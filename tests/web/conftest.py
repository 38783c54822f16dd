"""Fixtures: a rules file with one hook per scheme, and the web app served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.rules import RulesWatcher
from bridge.settings import Settings
from bridge.web.app import create_app
from tests.web import signing

HOOKS_YAML = f"""
hooks:
  - name: github
    verify: github
    secret: "{signing.GITHUB_SECRET}"
    event: "{{{{ headers['x-github-event'] }}}}"
  - name: stripe
    verify: stripe
    secret: "{signing.STRIPE_SECRET}"
    event: "{{{{ body.type }}}}"
  - name: slack
    verify: slack
    secret: "{signing.SLACK_SECRET}"
  - name: standard
    verify: standard
    secret: "{signing.STANDARD_SECRET}"
    tolerance: 60
  - name: signed
    verify: hmac
    secret: "{signing.HMAC_SECRET}"
    header: X-Signature
    algorithm: sha512
    encoding: base64
    prefix: "sha512="
  - name: form
    verify: token
    secret: "{signing.TOKEN}"
  - name: basic
    verify: basic
    username: "{signing.BASIC_USER}"
    secret: "{signing.BASIC_PASSWORD}"
  - name: open
    verify: none
"""


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    """A rules file with one hook per verification scheme."""
    path = tmp_path / "hooks.yml"
    path.write_text(HOOKS_YAML)
    return path


@pytest.fixture
def watcher(rules_file: Path) -> RulesWatcher:
    """A loaded RulesWatcher over the hooks file."""
    rules = RulesWatcher(rules_file, environ={})
    rules.load_now()
    assert rules.errors == [], rules.errors
    return rules


def make_settings(rules: Path, *, max_body_bytes: int = 1024 * 1024) -> Settings:
    """Settings for a test app (never read from the environment's BRIDGE_* values)."""
    return Settings(_env_file=None, rules=rules, max_body_bytes=max_body_bytes)


@pytest.fixture
def app_url(
    redis_url: str,
    redis: Redis,
    rules_file: Path,
    watcher: RulesWatcher,
    serve: Callable[..., AbstractContextManager[str]],
) -> Iterator[str]:
    """The web app on 127.0.0.1, on the (flushed) test Valkey, with the hooks file loaded."""
    settings = make_settings(rules_file, max_body_bytes=64 * 1024)
    with serve(create_app(settings, redis_url=redis_url, rules=watcher)) as url:
        yield url


@pytest.fixture
async def client(app_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the served app."""
    async with httpx.AsyncClient(base_url=app_url, timeout=10) as http:
        yield http


async def stored_ids(redis: Redis) -> list[str]:
    """The ids of every stored event, from the time index."""
    return sorted(m.decode() for m in await redis.zrange(constants.EVENTS_BY_TIME, 0, -1))
