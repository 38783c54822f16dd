"""Settings: the `BRIDGE_*` environment (or a `.env` file), validated once at start.

Every part receives a `Settings` instance; nothing reads the environment again. A missing
or malformed setting becomes one ConfigError line naming it (`load_settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bridge.exceptions import ConfigError

#: The resources the Perfex poll endpoint serves (`/api/zapier/poll/<resource>`).
POLL_RESOURCES = ("customers", "invoices", "leads", "tasks", "tickets")
#: Shortest BRIDGE_ADMIN_TOKEN accepted (it guards the dashboard and the admin API).
MIN_ADMIN_TOKEN = 32
#: Every resource with a list endpoint in a current (v3) API module: any can be polled.
LIST_RESOURCES = (
    "calendar", "contracts", "credit_notes", "customers", "estimates", "expenses", "invoices",
    "items", "leads", "milestones", "payments", "projects", "proposals", "staffs",
    "subscriptions", "tasks", "tickets", "timesheets",
)  # fmt: skip


class Settings(BaseSettings):
    """The public settings of design.md, each `BRIDGE_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="BRIDGE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    perfex_url: str | None = None
    perfex_token: SecretStr | None = None
    redis_url: str | None = None
    data_dir: Path = Path("./.bridge")
    rules: Path = Path("./rules")
    poll_interval: float = Field(default=15.0, gt=0)
    poll_resources: Annotated[tuple[str, ...], NoDecode] = POLL_RESOURCES
    reconcile_interval: float = Field(default=300.0, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    admin_token: SecretStr | None = None
    allow_private_targets: bool = False
    # Beyond design.md's table: tuning with safe defaults.
    #: Days that events and run history are kept.
    retention_days: float = Field(default=14.0, gt=0)
    #: Perfex requests in flight at once, across all workers (one small PHP server).
    perfex_concurrency: int = Field(default=4, ge=1)
    #: Perfex requests per second, across all workers.
    perfex_rate: float = Field(default=10.0, gt=0)
    #: Largest inbound webhook body accepted, in bytes (413 above it).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    #: Steps one worker process runs at once.
    worker_concurrency: int = Field(default=100, ge=1)
    #: Longest a run's job may take (s); a killed worker's jobs are retaken after a 10 s lease.
    job_timeout: float = Field(default=60.0, ge=5)
    #: Python logging level name.
    log_level: str = "INFO"
    #: Seconds one step's templates may take to render; over it the step fails for good.
    render_timeout: float = Field(default=1.0, gt=0, le=60)
    #: Characters one template render may produce (and any string or list it builds).
    render_max_size: int = Field(default=256 * 1024, ge=1024)
    # Inbound connection limits (bridge/web/protocol.py; SECURITY.md lists them all).
    #: Largest request line + headers in all, in bytes (431 above it).
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    #: Most request headers (431 above it).
    max_headers: int = Field(default=100, ge=8)
    #: Seconds a client has to send its headers (408 after it).
    header_timeout: float = Field(default=10.0, gt=0)
    #: Seconds a client has to send its body once its headers are in (408 after it).
    body_timeout: float = Field(default=30.0, gt=0)
    #: Connections held at once; one more cuts an idle or slow one (bridge/web/protocol.py).
    max_connections: int = Field(default=1000, ge=1)
    #: Seconds a body is remembered on hooks whose scheme signs only the body (github,
    #: hmac): the same body again is a duplicate, whatever its delivery id. 0: off.
    replay_window: float = Field(default=24 * 3600, ge=0)
    #: Proxies whose X-Forwarded-For/-Proto are believed (comma list of addresses or
    #: networks, "*" for any): then the client address the login throttle counts and the
    #: https that makes the session cookie Secure are the real client's. Unset: none.
    forwarded_allow_ips: str | None = None

    @field_validator("perfex_url")
    @classmethod
    def _perfex_url_is_http(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://crm.example.com/api")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://", "valkey://")):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value

    @field_validator("poll_resources", mode="before")
    @classmethod
    def _split_resources(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value)
        names = tuple(str(item).strip() for item in items if str(item).strip())
        unknown = [name for name in names if name not in LIST_RESOURCES]
        if unknown:
            raise ValueError(
                f"unknown resource {', '.join(unknown)}; choose from {','.join(LIST_RESOURCES)}"
            )
        return names

    @field_validator("admin_token", "perfex_token")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_ADMIN_TOKEN:
            raise ValueError(
                f"must be at least {MIN_ADMIN_TOKEN} characters; make one with: "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return value

    def require_perfex(self) -> tuple[str, str]:
        """The Perfex URL and token, or a ConfigError naming the missing one."""
        if not self.perfex_url:
            raise ConfigError("BRIDGE_PERFEX_URL is not set (the Perfex API base URL)")
        if self.perfex_token is None:
            raise ConfigError("BRIDGE_PERFEX_TOKEN is not set (the Perfex API token)")
        return self.perfex_url, self.perfex_token.get_secret_value()


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; a bad one becomes a ConfigError naming it."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "BRIDGE_" + str(error["loc"][0]).upper() if error["loc"] else "a setting"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {message}") from None
