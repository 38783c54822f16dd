"""Settings: the BRIDGE_* names, .env support, one clear line for a bad setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.exceptions import ConfigError
from bridge.settings import POLL_RESOURCES, load_settings


def test_defaults_match_the_design() -> None:
    """Unset settings take design.md's defaults."""
    settings = load_settings(_env_file=None)
    assert settings.perfex_url is None
    assert settings.redis_url is None
    assert settings.data_dir == Path(".bridge")
    assert settings.rules == Path("rules")
    assert settings.poll_interval == 15
    assert settings.poll_resources == POLL_RESOURCES
    assert settings.reconcile_interval == 300
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.admin_token is None
    assert settings.allow_private_targets is False


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every documented BRIDGE_* variable is read."""
    env = {
        "BRIDGE_PERFEX_URL": "https://crm.example.com/api/",
        "BRIDGE_PERFEX_TOKEN": "tok",
        "BRIDGE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "BRIDGE_DATA_DIR": "/var/lib/bridge",
        "BRIDGE_RULES": "/etc/bridge/rules.yml",
        "BRIDGE_POLL_INTERVAL": "5",
        "BRIDGE_POLL_RESOURCES": "leads, tickets",
        "BRIDGE_RECONCILE_INTERVAL": "60",
        "BRIDGE_HOST": "0.0.0.0",
        "BRIDGE_PORT": "9000",
        "BRIDGE_ADMIN_TOKEN": "admin-token-of-at-least-32-chars",
        "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    assert settings.perfex_url == "https://crm.example.com/api"
    assert settings.require_perfex() == ("https://crm.example.com/api", "tok")
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.data_dir == Path("/var/lib/bridge")
    assert settings.rules == Path("/etc/bridge/rules.yml")
    assert settings.poll_interval == 5
    assert settings.poll_resources == ("leads", "tickets")
    assert settings.reconcile_interval == 60
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "admin-token-of-at-least-32-chars"
    assert settings.allow_private_targets is True


def test_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .env file in the working directory is read."""
    (tmp_path / ".env").write_text("BRIDGE_POLL_INTERVAL=7\nBRIDGE_PORT=8123\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.poll_interval == 7
    assert settings.port == 8123


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BRIDGE_POLL_INTERVAL", "soon", "BRIDGE_POLL_INTERVAL is invalid"),
        ("BRIDGE_POLL_INTERVAL", "0", "BRIDGE_POLL_INTERVAL is invalid"),
        ("BRIDGE_PORT", "70000", "BRIDGE_PORT is invalid"),
        ("BRIDGE_POLL_RESOURCES", "leads,widgets", "unknown resource widgets"),
        ("BRIDGE_PERFEX_URL", "crm.example.com", "BRIDGE_PERFEX_URL is invalid"),
        ("BRIDGE_REDIS_URL", "localhost:6379", "BRIDGE_REDIS_URL is invalid"),
        ("BRIDGE_ALLOW_PRIVATE_TARGETS", "perhaps", "BRIDGE_ALLOW_PRIVATE_TARGETS is invalid"),
    ],
)
def test_malformed_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    """A malformed value is one ConfigError line that names the setting."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_perfex_token_is_named() -> None:
    """Perfex URL without a token names BRIDGE_PERFEX_TOKEN."""
    settings = load_settings(_env_file=None, perfex_url="https://crm.example.com/api")
    with pytest.raises(ConfigError, match="BRIDGE_PERFEX_TOKEN"):
        settings.require_perfex()


def test_token_is_not_shown_in_repr() -> None:
    """Secrets stay out of the settings' repr (and so out of logs)."""
    admin = "adm1n-" + "x" * 32
    settings = load_settings(_env_file=None, perfex_token="s3cr3t-token", admin_token=admin)
    assert "s3cr3t-token" not in repr(settings)
    assert admin not in repr(settings)


def _bridge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_help_lists_every_command(tmp_path: Path) -> None:
    """`bridge --help` lists the commands of design.md."""
    result = _bridge("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("up", "web", "worker", "poller", "rules", "sandbox", "demo", "dlq", "events"):
        assert f"    {command}" in result.stdout


def test_poller_without_perfex_url_is_one_line(tmp_path: Path) -> None:
    """`bridge poller` with no BRIDGE_PERFEX_URL prints one line naming it, exits non-zero."""
    result = _bridge("poller", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == "bridge: BRIDGE_PERFEX_URL is not set (the Perfex API base URL)"


def test_malformed_setting_stops_the_cli(tmp_path: Path) -> None:
    """A malformed setting stops any command at start with one line."""
    (tmp_path / ".env").write_text("BRIDGE_PORT=eighty\n")
    result = _bridge("web", cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bridge: BRIDGE_PORT is invalid")


def test_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    """`bridge worker` with Redis unreachable says so in one line and exits non-zero."""
    (tmp_path / ".env").write_text("BRIDGE_REDIS_URL=redis://127.0.0.1:1/0\n")
    result = _bridge("worker", cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("bridge: Redis is unavailable:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("token", ["a", "x" * 31])
def test_short_admin_token_is_refused_with_how_to_make_one(token: str) -> None:
    """An admin token under 32 characters stops the start with one line saying how to make one."""
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, admin_token=token)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("BRIDGE_ADMIN_TOKEN is invalid: must be at least 32 characters")
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in message
    assert load_settings(_env_file=None, admin_token="x" * 32).admin_token is not None
