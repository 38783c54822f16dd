"""Routing an event type to the rules whose `on:` can match it, without trying them all.

`on:` holds exact types (`perfex.leads.created`) and globs where `*` matches any run of
characters, dots included (`perfex.leads.*`, `perfex.*.created`, `webhook.github*`).
Exact types sit in a dict; globs sit in a trie keyed by their literal leading segments
(`perfex.*.created` under `perfex`), so an event only meets the globs that share its
leading segments and then one compiled regex each. Results keep file order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from fnmatch import translate
from typing import Generic, Protocol, TypeVar

from bridge.perfex.catalogue import OPERATIONS
from bridge.push.mapping import push_event_types


class Routable(Protocol):
    """What the index needs of a rule: its `on:` patterns and its place in file order."""

    @property
    def on(self) -> tuple[str, ...]: ...

    @property
    def order(self) -> int: ...


RuleT = TypeVar("RuleT", bound=Routable)

logger = logging.getLogger("bridge.rules.matching")

#: Perfex resources named in the design; the catalogue's resources are added to these.
PERFEX_RESOURCES = frozenset(
    [
        "customers",
        "contacts",
        "leads",
        "tasks",
        "tickets",
        "invoices",
        "estimates",
        "contracts",
        "credit_notes",
        "expenses",
        "items",
        "milestones",
        "payments",
        "projects",
        "proposals",
        "staffs",
        "subscriptions",
        "timesheets",
        "calendar",
        "customtable",
    ]
)
PERFEX_CHANGES = ("created", "updated", "deleted")
#: Event types the bridge itself emits.
BRIDGE_EVENT_TYPES = frozenset(
    {
        "bridge.poller.gap",  #: a poll page was full: records may have been missed
        "bridge.poller.failed",  #: a poller could not reach Perfex for a while
        "bridge.run.failed",  #: a rule's run gave up and went to the dead-letter queue
        "bridge.rules.reloaded",  #: the rules were reloaded
        "bridge.run.dead_lettered",  #: a run moved to the dead-letter queue (executor)
        "bridge.poller.stopped",  #: a poller stopped for good or failed > 10 min (poller)
    }
)
_PATTERN = re.compile(r"^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$")


def pattern_problem(pattern: str) -> str | None:
    """Why an `on:` pattern is malformed, or None."""
    if not _PATTERN.match(pattern):
        return (
            f"on: {pattern!r} is not an event type: dot-separated words of letters, "
            "digits, '_' and '-', with '*' as the only wildcard"
        )
    return None


def perfex_resources() -> frozenset[str]:
    """Every Perfex resource an event can be about (the design's list plus the catalogue's)."""
    from_catalogue = {op.name.split(".")[1] for op in OPERATIONS.values() if op.method == "POST"}
    from_catalogue -= {"zapier", "common"}
    return PERFEX_RESOURCES | from_catalogue


def known_types(hook_names: Iterable[str]) -> set[str]:
    """Every concrete event type that can occur, except webhook sub-types."""
    types = {f"perfex.{r}.{c}" for r in perfex_resources() for c in PERFEX_CHANGES}
    types |= BRIDGE_EVENT_TYPES
    types |= push_event_types()  # what Perfex pushes: perfex.invoices.paid, ...
    types |= {f"webhook.{name}" for name in hook_names}
    return types


def can_match(pattern: str, types: set[str], sub_typed_hooks: Iterable[str]) -> bool:
    """Whether some event type can ever match `pattern`.

    `types` are the concrete types; for hooks with an `event:` template any sub-type can
    occur, so a sample `webhook.<hook>.<x>` is built from the pattern's last segment.
    """
    regex = _compile(pattern)
    if any(regex.match(t) for t in types):
        return True
    tail = pattern.rsplit(".", 1)[-1].replace("*", "x") or "x"
    for hook in sub_typed_hooks:
        prefix = f"webhook.{hook}."
        if pattern.startswith(prefix) or regex.match(prefix + tail):
            return True
    return False


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(translate(pattern))


def _literal_prefix(pattern: str) -> tuple[str, ...]:
    """The leading dot-segments with no wildcard: ("perfex",) for perfex.*.created."""
    segments = pattern.split(".")
    out: list[str] = []
    for segment in segments[:-1]:
        if "*" in segment:
            break
        out.append(segment)
    return tuple(out)


class _Node(Generic[RuleT]):
    __slots__ = ("children", "globs")

    def __init__(self) -> None:
        self.children: dict[str, _Node[RuleT]] = {}
        self.globs: list[tuple[re.Pattern[str], RuleT]] = []


class RuleIndex(Generic[RuleT]):
    """Exact types in a dict, globs in a trie of literal leading segments."""

    def __init__(self, rules: Iterable[RuleT]) -> None:
        self.exact: dict[str, list[RuleT]] = {}
        self._root: _Node[RuleT] = _Node()
        self._globs = 0
        for rule in rules:
            for pattern in dict.fromkeys(rule.on):
                if "*" in pattern:
                    self._add_glob(pattern, rule)
                else:
                    self.exact.setdefault(pattern, []).append(rule)

    def _add_glob(self, pattern: str, rule: RuleT) -> None:
        node = self._root
        for segment in _literal_prefix(pattern):
            node = node.children.setdefault(segment, _Node[RuleT]())
        node.globs.append((_compile(pattern), rule))
        self._globs += 1

    def glob_candidates(self, event_type: str) -> int:
        """How many globs an event of this type is tried against (introspection)."""
        count, node = len(self._root.globs), self._root
        for segment in event_type.split("."):
            child = node.children.get(segment)
            if child is None:
                break
            node = child
            count += len(node.globs)
        return count

    def lookup(self, event_type: str) -> list[RuleT]:
        """Rules whose `on:` matches the type, in file order, each once."""
        found = self.exact.get(event_type)
        node: _Node[RuleT] | None = self._root
        globbed: list[RuleT] = []
        segments = event_type.split(".")
        depth = 0
        while node is not None:
            for regex, rule in node.globs:
                if regex.match(event_type):
                    globbed.append(rule)
            if depth >= len(segments):
                break
            node = node.children.get(segments[depth])
            depth += 1
        if not globbed:
            return list(found) if found else []
        merged = {id(rule): rule for rule in [*(found or ()), *globbed]}
        return sorted(merged.values(), key=lambda rule: rule.order)
