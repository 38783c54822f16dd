"""The bridge's own errors, in one tree so callers can catch at the depth they need.

    BridgeError
    ├── ConfigError               a setting is missing or malformed
    ├── StoreUnavailable          Redis/Valkey cannot be reached
    ├── EmbeddedValkeyError       the embedded Valkey could not start or be shared
    ├── RulesError                a rules file has problems (carries every one)
    ├── TemplateError             a template failed to render (undefined name, unsafe access)
    │   └── TemplateTooHeavy      it went over its render budget (time or output size)
    ├── UnknownAction             an action name that the catalogue does not have
    ├── PerfexError               a Perfex API call failed
    │   ├── PerfexUnavailable     network error, timeout, 5xx: worth retrying
    │   │   └── PerfexBusy        the shared Perfex limit did not admit the call in time
    │   ├── PerfexRateLimited     429: worth retrying after `retry_after`
    │   └── PerfexRejected        401, 404 "status": false, 409, other 4xx: not worth retrying
    │       ├── ListUnsupported   an older module has no list endpoint for a resource
    │       └── WebhooksUnsupported  an older module has no webhooks API
    ├── DeliveryError             an outbound webhook failed (`retryable` says whether to retry)
    │   └── TargetRefused         the SSRF guard refused the target address
    ├── VerificationError         an inbound webhook's signature or token did not verify
    ├── RunNotCancellable         a cancel asked of a run that is running or finished
    ├── UnknownEventType          an event type the bridge cannot produce
    ├── RuleFileConflict          a builder write that cannot happen (name, version, read-only)
    └── RuleInvalid               a rule the builder was given fails the checks (every one)

Every error's `str()` is a sentence a user can act on; none contains a secret.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""

    #: Whether trying the same operation again later may succeed.
    retryable: bool = False


class ConfigError(BridgeError):
    """A setting is missing or malformed; the message names it."""


class StoreUnavailable(BridgeError):
    """Redis/Valkey cannot be reached, so nothing can be stored or acknowledged."""

    retryable = True


class EmbeddedValkeyError(BridgeError):
    """The embedded Valkey server could not be started or shared."""


class RulesError(BridgeError):
    """A rules file (or directory) has problems; `problems` holds every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class TemplateError(BridgeError):
    """A template could not be rendered: an undefined name, a type error, unsafe access."""


class TemplateTooHeavy(TemplateError):
    """A template went over its render budget (time or output size); never retried."""


class UnknownAction(BridgeError):
    """An action name that is neither `webhook` nor in the Perfex operation catalogue."""


class PerfexError(BridgeError):
    """A call to the Perfex API failed.

    `status` is the HTTP status (None when no response came back) and `message` is
    Perfex's own message where it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        body: str = "",
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.body = body
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f" ({self.status})" if self.status is not None else ""
        prefix = f"Perfex {where}{status}: " if where else ""
        return f"{prefix}{self.message}"


class PerfexUnavailable(PerfexError):
    """Network error, timeout or 5xx: Perfex may answer later."""

    retryable = True


class PerfexBusy(PerfexUnavailable):
    """The shared `perfex` limit did not admit a call in time: busy, or its circuit is open."""

    def __init__(
        self, message: str, *, breaker_open: bool, method: str = "", path: str = ""
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.breaker_open = breaker_open


class PerfexRateLimited(PerfexError):
    """429 Too Many Requests; `retry_after` is the server's wait in seconds, if it gave one."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        method: str = "",
        path: str = "",
        body: str = "",
    ) -> None:
        super().__init__(message, status=status, method=method, path=path, body=body)
        self.retry_after = retry_after


class PerfexRejected(PerfexError):
    """Perfex refused the request (401, 404 with "status": false, 409, other 4xx)."""


class ListUnsupported(PerfexRejected):
    """An older API module answers 404 for a resource's list endpoint (GET /api/<res>)."""


class WebhooksUnsupported(PerfexRejected):
    """The API module has no webhooks API (404 on /api/webhooks): an older module."""


class DeliveryError(BridgeError):
    """An outbound webhook delivery failed."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class TargetRefused(DeliveryError):
    """The SSRF guard refused an outbound URL (private, loopback, metadata address)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class VerificationError(BridgeError):
    """An inbound webhook failed verification (bad or missing signature, stale timestamp)."""


class RunNotCancellable(BridgeError):
    """A cancel asked of a run that already finished or is running a step right now."""


class UnknownEventType(BridgeError):
    """An event type the bridge cannot produce (asked of the builder's samples)."""


class RuleFileConflict(BridgeError):
    """A builder write that cannot happen as asked: `kind` is "name" (the rule exists),
    "version" (the file changed since it was read; `current` holds its text now) or
    "read_only" (the rules live in a single file or a directory the bridge cannot write)."""

    def __init__(self, kind: str, message: str, current: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.current = current


class RuleInvalid(BridgeError):
    """A rule the builder was asked to save or test fails the checks of `bridge rules check`;
    `errors` holds every problem as `{"path": "do[0].perfex.tasks.create.startdate",
    "message": "required by POST /tasks"}`."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors
