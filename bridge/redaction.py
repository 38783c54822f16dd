"""Secrets out of everything the bridge stores, logs or shows.

Two rules: a field whose *name* says it holds a secret (token, password, authorization,
api key, signature, ...) is masked whatever its value; and every *known* secret value (the
Perfex token, a webhook's signing secret, each `${VAR}` a rules file reads from the
environment) is cut out of any string it appears in, such as a URL's query.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
#: Shorter values are not cut out of text: masking every "1" or "yes" would say nothing.
MIN_SECRET_LENGTH = 4
_SECRET_NAME = re.compile(
    r"token|secret|password|passwd|authorization|api[-_]?key|apikey|signature|cookie|"
    r"credential|private[-_]?key",
    re.IGNORECASE,
)


def is_secret_name(name: object) -> bool:
    """Whether a field or header name says its value is a secret."""
    return _SECRET_NAME.search(str(name)) is not None


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy with secret-named fields masked and known secret values cut out of strings."""
    secrets = tuple(secrets)
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_name(k) else redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """The text with every known secret value replaced."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_values(value: Any, secrets: Iterable[str]) -> Any:
    """A copy with known secret values cut out of every string, field names left alone.

    For data later steps read (a receiver's answer): a field named `token` in a response
    is the receiver's business, but a secret of ours echoed back must not be stored.
    """
    secrets = tuple(secrets)
    if not secrets:
        return value
    if isinstance(value, dict):
        return {k: redact_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


# -- URLs -------------------------------------------------------------------------------

_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#\"'<>]+@")
_URL_QUERY = re.compile(r"(?P<base>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#\"'<>]*)\?[^\s#\"'<>]+")


def redact_urls(text: str) -> str:
    """The text with every URL's credentials (`user:pass@`) and query string masked."""
    if "://" not in text:
        return text
    text = _URL_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    return _URL_QUERY.sub(lambda m: m.group("base") + "?" + REDACTED, text)


def url_secrets(url: str) -> tuple[str, ...]:
    """The secret parts of a URL: its password and the values of secret-named query keys."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
        found = [parts.password] if parts.password else []
    except ValueError:
        return ()
    found += [v for k, v in parse_qsl(parts.query) if v and is_secret_name(k)]
    return tuple(found)


def header_secrets(headers: dict[str, Any]) -> tuple[str, ...]:
    """Values of secret-named headers, and the credential after a scheme (`Bearer x`)."""
    found: list[str] = []
    for name, value in headers.items():
        if is_secret_name(name) and value:
            text = str(value)
            found.append(text)
            _, _, credential = text.partition(" ")
            if credential.strip():
                found.append(credential.strip())
    return tuple(found)


# -- logs -------------------------------------------------------------------------------

_KNOWN: set[str] = set()
_KNOWN_ORDERED: tuple[str, ...] = ()


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values (tokens, `${VAR}` values) to cut out of every log line."""
    global _KNOWN_ORDERED
    new = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH} - _KNOWN
    if new:
        _KNOWN.update(new)
        # longest first, so a URL holding a token goes whole before the token alone
        _KNOWN_ORDERED = tuple(sorted(_KNOWN, key=len, reverse=True))


def redact_log_text(text: str) -> str:
    """A log line's text with URL credentials/queries and every registered secret masked."""
    return redact_urls(redact_text(text, _KNOWN_ORDERED))


def _redact_arg(arg: Any) -> Any:
    if arg is None or isinstance(arg, bool | int | float):
        return arg  # keeps %d and %.1f working
    text = str(arg)
    cleaned = redact_log_text(text)
    return arg if cleaned == text else cleaned


def scrub_record(record: logging.LogRecord) -> None:
    """Redact a log record in place: message, arguments and traceback text."""
    if isinstance(record.msg, str):
        record.msg = redact_log_text(record.msg)
    if isinstance(record.args, dict):
        record.args = {k: _redact_arg(v) for k, v in record.args.items()}
    elif record.args:
        record.args = tuple(_redact_arg(a) for a in record.args)
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact_log_text(logging.Formatter().formatException(record.exc_info))


#: Libraries whose INFO lines carry full request URLs (httpx: "HTTP Request: POST <url>").
QUIET_LOGGERS = ("httpx", "httpcore")


def install_log_redaction(secrets: Iterable[str | None] = ()) -> None:
    """Make every log record of this process, any library's, pass through the redaction.

    A log-record factory (not a handler filter) so that no handler added later, and no
    logger that does not propagate, can write a secret. httpx's per-request INFO line is
    silenced too: a URL can carry a token in its path, where no pattern can see it.
    """
    register_secrets(secrets)
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    current = logging.getLogRecordFactory()
    if getattr(current, "_bridge_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            scrub_record(record)
        except Exception:  # a broken record must still be logged, never crash the caller
            record.msg, record.args = "[unloggable record redacted]", None
        return record

    factory._bridge_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
