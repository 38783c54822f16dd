"""A receiver's answer nested absurdly deep or holding lone surrogates feeds later steps safely."""

from __future__ import annotations

from bridge import constants
from bridge.executor.webhook import WebhookResponse
from bridge.payloads import problem


def _answer(content: bytes) -> WebhookResponse:
    return WebhookResponse(status=200, content=content, elapsed_ms=1.0)


def test_deep_json_answer_is_cut_at_the_nesting_limit() -> None:
    """900 levels (parses) and 100,000 levels (RecursionError) both become bounded outputs."""
    for depth in (900, 100_000):
        output = _answer(b'{"a":' * depth + b"1" + b"}" * depth).output()
        assert problem(output["body"], constants.MAX_NESTING) is None
        assert output["status"] == 200


def test_lone_surrogate_in_an_answer_becomes_a_replacement_character() -> None:
    """`"\\ud800"` in a JSON answer is kept as U+FFFD, so the run history can store and show it."""
    output = _answer(b'{"text": "a\\ud800b"}').output()
    assert output["body"] == {"text": "a\ufffdb"}
