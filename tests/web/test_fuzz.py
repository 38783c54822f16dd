"""Fuzzing: arbitrary bodies, headers, content types and sizes never give a 5xx or a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bridge.exceptions import VerificationError
from bridge.rules import RulesWatcher
from bridge.rules.model import Hook
from bridge.web.app import create_app
from bridge.web.bodies import BodyError, parse_body
from bridge.web.verify import verify_hook
from tests.web.conftest import make_settings

HOOKS = ["github", "stripe", "slack", "standard", "signed", "form", "basic", "open"]
HEADER_NAMES = [
    "X-Hub-Signature-256",
    "X-GitHub-Delivery",
    "Stripe-Signature",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "X-Signature",
    "Authorization",
    "Idempotency-Key",
    "X-Anything",
]
CONTENT_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain; charset=nope",
    "text/plain; charset=utf-16",
    "application/cloudevents+json",
    "application/octet-stream",
    "",
]
# Header values as a client can send them: visible latin-1, no CR/LF.
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=120,
).map(lambda text: text.strip().encode("latin-1"))
content_types = st.one_of(st.sampled_from(CONTENT_TYPES), header_values)
bodies = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda t: t.encode(), st.text(max_size=500)),
    st.sampled_from([b"{}", b"[]", b"null", b'{"id": "evt_1", "type": "x"}', b"a=1&b=2"]),
)
FUZZ_LIMIT = 2048


@pytest.fixture(scope="module")
def fuzz_url(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for every example: every hook, a small body limit to reach 413 cheaply."""
    from bridge.loopback.servers import serve_in_thread
    from tests.web.conftest import HOOKS_YAML

    path: Path = tmp_path_factory.mktemp("fuzz") / "hooks.yml"
    path.write_text(HOOKS_YAML)
    watcher = RulesWatcher(path, environ={})
    watcher.load_now()
    app = create_app(
        make_settings(path, max_body_bytes=FUZZ_LIMIT), redis_url=redis_url, rules=watcher
    )
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def http(fuzz_url: str) -> Iterator[httpx.Client]:
    """A keep-alive client on the fuzz server."""
    with httpx.Client(base_url=fuzz_url, timeout=20) as client:
        yield client


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hook=st.one_of(st.sampled_from(HOOKS), st.text(min_size=1, max_size=20)),
    body=bodies,
    content_type=content_types,
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=5),
    token=st.one_of(st.none(), st.text(max_size=20)),
)
def test_http_fuzz_never_5xx(
    http: httpx.Client,
    hook: str,
    body: bytes,
    content_type: bytes,
    headers: dict[str, bytes],
    token: str | None,
) -> None:
    """Any request gets a 4xx, or a 2xx only from the `none` hook; never a 5xx."""
    sent = {name.encode(): value for name, value in headers.items()}
    sent[b"Content-Type"] = content_type
    params = {"token": token} if token is not None else None
    response = http.post(
        f"/hooks/{quote(hook, safe='')}", content=body, headers=sent, params=params
    )
    assert response.status_code < 500, response.text
    if response.status_code < 300:
        assert hook == "open"
    else:
        assert "error" in response.json()
    if len(body) > FUZZ_LIMIT:
        assert response.status_code in (404, 413)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2000), content_type=st.one_of(st.none(), st.text(max_size=60)))
def test_parse_body_raises_only_body_errors(body: bytes, content_type: str | None) -> None:
    """parse_body either returns data or raises BodyError with a 4xx status."""
    try:
        parse_body(body, content_type)
    except BodyError as exc:
        assert 400 <= exc.status < 500


SCHEMES = ["github", "stripe", "slack", "standard", "hmac", "token", "basic"]


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(SCHEMES),
    body=st.binary(max_size=200),
    headers=st.dictionaries(
        st.sampled_from([name.lower() for name in HEADER_NAMES]),
        st.text(max_size=80),
        max_size=6,
    ),
    token=st.one_of(st.none(), st.text(max_size=20)),
)
def test_verify_raises_only_verification_errors(
    scheme: str, body: bytes, headers: dict[str, str], token: str | None
) -> None:
    """Garbage headers are refused with VerificationError, never another exception."""
    hook = Hook(
        name="h",
        verify=scheme,
        secret=SecretStr("whsec_MDEyMzQ1Njc4OWFiY2RlZg=="),
        username="u",
        header="X-Signature" if scheme == "hmac" else None,
    )
    query = {"token": token} if token is not None else {}
    with pytest.raises(VerificationError):
        verify_hook(hook, body, headers, query, 1_700_000_000.0)
