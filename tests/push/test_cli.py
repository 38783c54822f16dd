"""`bridge perfex webhooks register|list|remove` against the sandbox's webhooks API."""

from __future__ import annotations

import httpx
import pytest

from bridge.cli import run
from tests.poller.conftest import CONTROL, TOKEN


@pytest.fixture
def perfex_env(sandbox_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """BRIDGE_PERFEX_URL/TOKEN pointing at the test sandbox."""
    monkeypatch.setenv("BRIDGE_PERFEX_URL", sandbox_url + "/api")
    monkeypatch.setenv("BRIDGE_PERFEX_TOKEN", TOKEN)
    return sandbox_url


def _hooks(sandbox: str) -> list[dict[str, object]]:
    response = httpx.get(sandbox + "/api/webhooks", headers={"authtoken": TOKEN})
    rows: list[dict[str, object]] = response.json()["data"]
    return rows


def test_register_creates_then_updates_with_a_fresh_secret(
    perfex_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """register creates the webhook and prints its secret once; again, it updates it."""
    url = "http://127.0.0.1:8000/hooks/perfex"
    assert (
        run(
            [
                "perfex",
                "webhooks",
                "register",
                "--url",
                url,
                "--events",
                "lead_created,invoice_paid",
            ]
        )
        == 0
    )
    first = capsys.readouterr().out
    assert "created webhook 1" in first
    secret = first.split("secret (shown once): ")[1].split()[0]
    assert len(secret) >= 32
    [hook] = _hooks(perfex_env)
    assert hook["url"] == url and hook["events"] == ["lead_created", "invoice_paid"]
    assert hook["has_secret"] is True and secret not in str(hook)
    assert run(["perfex", "webhooks", "register", "--url", url]) == 0
    second = capsys.readouterr().out
    assert "updated webhook 1" in second
    assert second.split("secret (shown once): ")[1].split()[0] != secret
    [hook] = _hooks(perfex_env)
    assert hook["events"] == ["*"]


def test_list_and_remove(perfex_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    """list shows each webhook on a line; remove deletes the bridge's own by default."""
    run(["perfex", "webhooks", "register", "--url", "https://bridge.example.com/hooks/perfex"])
    capsys.readouterr()
    assert run(["perfex", "webhooks", "list"]) == 0
    out = capsys.readouterr().out
    assert "perfex-bridge" in out and "https://bridge.example.com/hooks/perfex" in out
    assert "secret" not in out
    assert run(["perfex", "webhooks", "remove"]) == 0
    assert _hooks(perfex_env) == []
    assert run(["perfex", "webhooks", "remove"]) == 1
    assert run(["perfex", "webhooks", "list"]) == 0
    assert "no webhooks" in capsys.readouterr().out


def test_unknown_event_is_refused(perfex_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An event name outside the module's catalogue is refused before anything is created."""
    code = run(
        ["perfex", "webhooks", "register", "--url", "http://x/hooks/p", "--events", "lead_exploded"]
    )
    assert code == 1
    assert "unknown Perfex event lead_exploded" in capsys.readouterr().err
    assert _hooks(perfex_env) == []


def test_older_module_says_so_in_one_line_and_exits_1(
    perfex_env: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A module without /api/webhooks (404): one line on stderr, exit 1."""
    httpx.post(
        perfex_env + "/_sandbox/module",
        json={"version": "legacy"},
        headers={"x-sandbox-token": CONTROL},
    ).raise_for_status()
    for argv in (["register", "--url", "http://x/hooks/p"], ["list"], ["remove", "3"]):
        with pytest.raises(SystemExit) as exit_info:
            from bridge.cli import main

            main(["perfex", "webhooks", *argv])
        assert exit_info.value.code == 1
        err = capfd.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert "no webhooks API" in err
