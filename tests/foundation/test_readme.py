"""The README's first rule works as written, beside the shipped examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bridge.rules import load

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "GITHUB_WEBHOOK_SECRET": "readme-secret",
    "CHAT_SIGNING_SECRET": "whsec_cmVhZG1lLXNpZ25pbmctc2VjcmV0",
    "CHAT_WEBHOOK_URL": "https://chat.example.com/hook",
    "CONTACT_FORM_TOKEN": "form-token",
    "STRIPE_WEBHOOK_SECRET": "whsec_stripe",
    "PERFEX_WEBHOOK_SECRET": "perfex-secret",
}


def test_first_rule_loads_beside_the_examples(tmp_path: Path) -> None:
    """Saved as rules/first.yml next to the examples, the README's rule passes the check."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first rule", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README shows the first rule as a yaml block"
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "first.yml").write_text(block[1])
    ruleset = load(rules, environ=ENV)
    assert ruleset.hooks["gh"].verify == "github"
    [rule] = ruleset.candidates("webhook.gh.issues")
    assert [step.action for step in rule.steps] == ["perfex.tasks.create", "webhook"]
