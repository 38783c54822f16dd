"""The loaded rules as the executor, the router and the inbound endpoint use them.

    ruleset = bridge.rules.load("rules/")           # RulesError(problems) if anything is wrong
    hook = ruleset.hooks["github"]                    # Hook: verify scheme, secret, event template
    sub = hook.render_event_type(headers, body)       # "issues" -> event type webhook.github.issues
    for rule in ruleset.match(event):                 # `on:` through the index, then `if:`
        context = make_context(event, steps=outputs)  # event / steps / now
        for step in rule.steps:
            if evaluate_condition(step.condition, context):
                params = render_step(step, context)   # {"name": "GitHub: ...", "rel_id": 3}

`Hook` and `RetryOverride` are pydantic models (they are validated straight from YAML).
`Rule`, `Step` and `Ruleset` are frozen dataclasses the loader builds after validation:
they hold compiled templates. Secrets never show in `repr()`: a hook's `secret` is a
`SecretStr`, a step's `params` are left out of its repr.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from bridge.events import Event
from bridge.exceptions import TemplateError
from bridge.perfex.catalogue import Operation
from bridge.rules import templates
from bridge.rules.matching import RuleIndex

logger = logging.getLogger("bridge.rules.model")

VerifyScheme = Literal[
    "none", "token", "basic", "hmac", "github", "stripe", "slack", "standard", "perfex"
]
#: Schemes that sign a timestamp, so `tolerance` applies.
TIMESTAMPED = frozenset({"stripe", "slack", "standard", "perfex"})
_SUB_TYPE_MAX = 100


class RetryOverride(BaseModel):
    """A step's `retry:`: overrides the executor's default policy for that step."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Total attempts, the first one included.
    attempts: int = Field(ge=1, le=100)
    #: Base delay in seconds of the exponential backoff (executor default when None).
    backoff: float | None = Field(default=None, gt=0)
    #: Ceiling of one delay in seconds (executor default when None).
    max_delay: float | None = Field(default=None, gt=0)


class WebhookParams(BaseModel):
    """The fields of a `webhook:` step (checked at load; the values may be templates)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    method: Literal["POST", "PUT", "PATCH", "DELETE", "GET"] = "POST"
    headers: dict[str, Any] | None = None
    body: Any = None
    #: Signs the request with Standard Webhooks headers when set.
    secret: str | None = None
    timeout: float | None = Field(default=None, gt=0, le=300)


class Hook(BaseModel):
    """An inbound webhook endpoint, POST /hooks/<name>, and how its sender is verified."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    verify: VerifyScheme
    secret: SecretStr | None = None
    #: For `verify: basic`.
    username: str | None = None
    #: For `verify: hmac`: the header carrying the signature.
    header: str | None = None
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""
    #: Seconds a signed timestamp may be old (stripe, slack, standard).
    tolerance: int = Field(default=300, ge=1)
    #: Template over `headers` (lower-cased names) and `body` giving the event sub-type.
    event: str | None = None
    description: str | None = None

    _event_node: templates.Text | templates.Native | None = PrivateAttr(default=None)
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """`file:line` where the hook is defined."""
        return self._source

    @property
    def event_type_prefix(self) -> str:
        return f"webhook.{self.name}"

    def render_event_type(self, headers: Mapping[str, str], body: Any) -> str | None:
        """The sub-type from the `event:` template, or None (no template, empty result).

        Characters outside `[A-Za-z0-9_.-]` become `_`, so the type stays a clean string.
        Raises TemplateError when the template fails (e.g. a header that is missing).
        """
        if self._event_node is None:
            return None
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = self._event_node.render({"headers": lowered, "body": body})
        text = "" if value is None else str(value).strip()
        cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_" for c in text)
        return cleaned.strip(".")[:_SUB_TYPE_MAX] or None

    def event_type(self, headers: Mapping[str, str], body: Any) -> str:
        """The full event type: `webhook.<hook>` or `webhook.<hook>.<sub>`."""
        sub = self.render_event_type(headers, body)
        return f"{self.event_type_prefix}.{sub}" if sub else self.event_type_prefix


@dataclass(frozen=True, slots=True)
class Step:
    """One action of a rule: `webhook` or a Perfex operation, with compiled fields."""

    #: The `id:` given in the rule (later steps read `steps.<id>`), or None.
    id: str | None
    #: Position in the rule, from 0.
    index: int
    #: "webhook" or "perfex.<resource>.<verb>".
    action: str
    #: The compiled fields; render them with `render_step(step, context)`.
    params: templates.MapNode = field(repr=False)
    condition: templates.Native | None = field(default=None, repr=False)
    retry: RetryOverride | None = None
    #: The Perfex operation for a perfex.* action, None for `webhook`.
    operation: Operation | None = field(default=None, repr=False)
    file: str = ""
    line: int = 0
    #: For `delay`, `delay_until` and `for_each` steps: a `bridge.rules.flow` Delay/ForEach.
    flow: Any = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """A name unique within the rule, for checkpoints: the id, else the index."""
        return self.id if self.id is not None else str(self.index)

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Rule:
    """`on:` event types or globs, an optional `if:`, and its steps in order."""

    name: str
    on: tuple[str, ...]
    steps: tuple[Step, ...]
    condition: templates.Native | None = field(default=None, repr=False)
    #: The `if:` text as written, for display.
    condition_source: str | None = None
    description: str | None = None
    file: str = ""
    line: int = 0
    #: Position among all loaded rules (file order): results keep this order.
    order: int = 0
    #: For `on: schedule`: a `bridge.scheduler.spec.Schedule` (`on` is then
    #: `schedule.<name>`, the type of its tick events).
    schedule: Any = None
    #: `enabled: false` keeps the rule loaded and checked, but it never matches.
    enabled: bool = True

    @property
    def source(self) -> str:
        """`file:line` where the rule is defined."""
        return f"{self.file}:{self.line}"

    def applies(self, context: Mapping[str, Any]) -> bool:
        """Whether the rule's `if:` holds for this context (TemplateError on failure)."""
        return templates.evaluate_condition(self.condition, context)


def render_step(step: Step, context: Mapping[str, Any]) -> dict[str, Any]:
    """A step's action fields, fully rendered for this context (TemplateError on failure)."""
    rendered: dict[str, Any] = step.params.render(context)
    return rendered


@dataclass(slots=True)
class Ruleset:
    """Everything loaded from BRIDGE_RULES, indexed by event type."""

    rules: list[Rule] = field(default_factory=list)
    hooks: dict[str, Hook] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    #: `file:line: message` for things that load but deserve attention (`verify: none`).
    warnings: list[str] = field(default_factory=list)
    #: Every value a `${VAR}` read from the environment: masked wherever the bridge shows
    #: or stores what it rendered (run history, dry runs), since such values are secrets.
    env_values: frozenset[str] = field(default_factory=frozenset, repr=False)
    index: RuleIndex[Rule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = RuleIndex(rule for rule in self.rules if rule.enabled)

    def candidates(self, event_type: str) -> list[Rule]:
        """Rules whose `on:` matches the type, in file order; no `if:` evaluated."""
        return self.index.lookup(event_type)

    def match(self, event: Event | Mapping[str, Any], now: datetime | None = None) -> list[Rule]:
        """Rules whose `on:` matches and whose `if:` holds, in file order.

        A rule whose `if:` fails to evaluate is left out and logged; use `match_detailed`
        to get those errors.
        """
        matched, failed = self.match_detailed(event, now)
        for rule, error in failed:
            logger.warning("rule %s (%s): if: failed: %s", rule.name, rule.source, error)
        return matched

    def match_detailed(
        self, event: Event | Mapping[str, Any], now: datetime | None = None
    ) -> tuple[list[Rule], list[tuple[Rule, TemplateError]]]:
        """Matching rules, and the rules whose `if:` raised (with the error)."""
        context = templates.make_context(event, now=now)
        matched: list[Rule] = []
        failed: list[tuple[Rule, TemplateError]] = []
        for rule in self.index.lookup(context["event"]["type"]):
            try:
                if rule.applies(context):
                    matched.append(rule)
            except TemplateError as exc:
                failed.append((rule, exc))
        return matched, failed

    def rule(self, name: str) -> Rule | None:
        """The rule with that name, or None."""
        return next((rule for rule in self.rules if rule.name == name), None)
