"""Rules: YAML hooks and rules, checked at load, matched by event type, rendered per step.

The public surface, for the router, the executor, the inbound endpoint and the CLI:
`load`, `Ruleset`, `Rule`, `Step`, `Hook`, `make_context`, `render_step`,
`evaluate_condition`, `RulesWatcher`. See `bridge.rules.model` for a walk-through.
"""

from bridge.rules.loader import load
from bridge.rules.model import Hook, RetryOverride, Rule, Ruleset, Step, render_step
from bridge.rules.templates import evaluate_condition, make_context
from bridge.rules.watcher import RulesWatcher

__all__ = [
    "Hook",
    "RetryOverride",
    "Rule",
    "RulesWatcher",
    "Ruleset",
    "Step",
    "evaluate_condition",
    "load",
    "make_context",
    "render_step",
]
