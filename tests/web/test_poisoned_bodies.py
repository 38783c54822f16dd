"""Bodies that parse but would poison the store: lone surrogates, infinite numbers, deep nesting."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from bridge import constants
from tests.web.conftest import stored_ids

POISONED = [
    (b'{"title": "\\ud800"}', "application/json", "lone surrogate"),
    (b'{"\\udfff": 1}', "application/json", "lone surrogate"),
    (b'["ok", {"a": ["\\ud83d"]}]', "application/json", "lone surrogate"),
    (b'{"n": 1e400}', "application/json", "finite"),
    (b'{"n": -1e999}', "application/json", "finite"),
    (b"+2AA-", "text/plain; charset=utf-7", "lone surrogate"),
    (b"\\ud800", "text/plain; charset=unicode_escape", "lone surrogate"),
]


@pytest.mark.parametrize(("body", "content_type", "words"), POISONED)
async def test_poisoned_json_is_refused_at_the_door(
    client: httpx.AsyncClient, redis: Redis, body: bytes, content_type: str, words: str
) -> None:
    """A body that parses to invalid Unicode or a non-finite number is a 400; nothing stored."""
    response = await client.post(
        "/hooks/open", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]
    assert await stored_ids(redis) == []


def _nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"[1]" + b"}" * (depth - 1)


async def test_json_nested_past_the_limit_is_refused(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Nesting deeper than MAX_NESTING is a 400 naming the limit; at the limit it is stored."""
    limit = constants.MAX_NESTING
    deep = await client.post(
        "/hooks/open", content=_nested(limit + 1), headers={"content-type": "application/json"}
    )
    assert deep.status_code == 400
    assert f"nested deeper than {limit} levels" in deep.json()["error"]
    very_deep = await client.post(
        "/hooks/open", content=_nested(900), headers={"content-type": "application/json"}
    )
    assert very_deep.status_code == 400
    assert await stored_ids(redis) == []
    ok = await client.post(
        "/hooks/open", content=_nested(limit), headers={"content-type": "application/json"}
    )
    assert ok.status_code == 202, ok.text


async def test_harmless_oddities_are_accepted(client: httpx.AsyncClient, redis: Redis) -> None:
    """NUL characters, paired surrogates (emoji), long integers and form fields are stored."""
    bodies = [
        (b'{"a": "\\u0000 \\ud83d\\ude00"}', "application/json"),
        (b'{"n": ' + b"9" * 4000 + b"}", "application/json"),
        (b"a%5Bb%5D%5Bc%5D=1&a=%F0%9F%98%80", "application/x-www-form-urlencoded"),
    ]
    for body, content_type in bodies:
        response = await client.post(
            "/hooks/open", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == 202, (body, response.text)
    assert len(await stored_ids(redis)) == 3
