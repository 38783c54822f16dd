"""Secrets out of everything the bridge stores, logs or shows.

Two rules: a field whose *name* says it holds a secret (token, password, authorization,
api key, signature, ...) is masked whatever its value; and every *known* secret value (the
Perfex token, a webhook's signing secret, each `${VAR}` a rules file reads from the
environment) is cut out of any string it appears in, such as a URL's query.
"""

from __future__ import annotations

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
