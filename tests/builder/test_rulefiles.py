"""Rules files through the builder: exact round trips, comments kept, atomic versioned writes."""

from __future__ import annotations

import difflib
import multiprocessing
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.builder import rulefiles
from bridge.exceptions import RuleFileConflict
from tests.builder.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "rules").glob("*.yml"))


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_unchanged_rule_rewrites_byte_for_byte(path: Path) -> None:
    """Writing back a shipped example's rule unchanged gives the file exactly as it was."""
    text = path.read_text(encoding="utf-8")
    rule = rulefiles.rule_of(text, 0)
    assert rulefiles.replaced_text(text, 0, rule) == text


def test_edit_keeps_comments_and_layout() -> None:
    """Changing one field changes that line only, a new key is one added line; every
    comment and the other rule stay."""
    rule = rulefiles.rule_of(SHARED, 1)
    rule["do"][0]["perfex.tasks.create"]["rel_id"] = 7
    rule["description"] = "Orders become tasks"
    text = rulefiles.replaced_text(SHARED, 1, rule)
    assert _comments(text) == _comments(SHARED)
    diff = [
        line for line in difflib.ndiff(SHARED.splitlines(), text.splitlines()) if line[:1] in "+-"
    ]
    assert diff == [
        "-           rel_id: 3",
        "+           rel_id: 7",
        "+     description: Orders become tasks",
    ]
    assert rulefiles.rule_of(text, 1) == rule
    assert rulefiles.rule_of(text, 0) == rulefiles.rule_of(SHARED, 0)


def test_removing_a_key_and_adding_a_step() -> None:
    """A key the edit drops goes, a new step is added in block style, comments elsewhere stay."""
    rule = rulefiles.rule_of(SHARED, 0)
    del rule["if"]
    rule["do"].append(
        {"webhook": {"url": "https://b.example", "body": {"n": "{{ event.data.id }}"}}}
    )
    text = rulefiles.replaced_text(SHARED, 0, rule)
    assert 'only "Contacted"' not in text
    assert "# the sales channel" in text and "# Keep these comments!" in text
    assert rulefiles.rule_of(text, 0) == rule
    assert '            n: "{{ event.data.id }}"' in text


def test_delete_from_a_shared_file_keeps_the_rest() -> None:
    """Removing one rule of a shared file keeps the other rule, the hook and their comments."""
    text = rulefiles.removed_text(SHARED, 0)
    assert text is not None
    assert "lead-to-chat" not in text
    assert "# Keep these comments!" in text and "# set in the environment" in text
    assert "# fixed start" in text
    assert [r["name"] for r in [rulefiles.rule_of(text, 0)]] == ["order-task"]
    assert rulefiles.hooks_of(text) == rulefiles.hooks_of(SHARED)


def test_delete_of_the_only_rule_leaves_nothing() -> None:
    """A file whose only content was the rule is to be removed (None)."""
    text = rulefiles.new_file_text({"name": "a", "on": "perfex.leads.created", "do": []})
    assert rulefiles.removed_text(text, 0) is None


def test_enabled_is_written_after_on_then_toggled() -> None:
    """`enabled:` goes after `on:` the first time, and is flipped in place after."""
    off = rulefiles.enabled_text(SHARED, 0, False)
    lines = off.splitlines()
    assert lines[lines.index("    on: perfex.leads.created") + 1] == "    enabled: false"
    on = rulefiles.enabled_text(off, 0, True)
    assert "    enabled: true" in on.splitlines() and "enabled: false" not in on
    assert _comments(on) == _comments(SHARED)


def test_new_file_has_header_naming_variables() -> None:
    """A new file says it came from the builder and lists the ${VAR}s it reads."""
    text = rulefiles.new_file_text(
        {"name": "x", "on": "perfex.leads.created", "do": [{"webhook": {"url": "${CHAT_URL}"}}]},
        [{"name": "h", "verify": "token", "secret": "${H_TOKEN}"}],
    )
    assert text.startswith("# x: made with the rule builder")
    assert "# Environment variables this file needs: CHAT_URL, H_TOKEN" in text
    assert rulefiles.hooks_of(text) == [{"name": "h", "verify": "token", "secret": "${H_TOKEN}"}]


def test_find_rule_skips_unparseable_files(tmp_path: Path) -> None:
    """A broken file beside the others does not hide a rule (the loader reports it)."""
    (tmp_path / "a.yml").write_text("rules: [\n")
    (tmp_path / "b.yml").write_text(SHARED)
    entry = rulefiles.find_rule(tmp_path, "order-task")
    assert entry is not None and entry.file == tmp_path / "b.yml" and entry.index == 1
    assert rulefiles.find_rule(tmp_path, "nope") is None
    assert rulefiles.find_rule(tmp_path / "missing", "nope") is None


def test_write_atomic_checks_versions(tmp_path: Path) -> None:
    """A new file must not exist; an edit must name the version on disk; no temp file stays."""
    path = tmp_path / "r.yml"
    rulefiles.write_atomic(path, "rules: []\n", expected=None)
    path.chmod(0o600)
    with pytest.raises(RuleFileConflict) as taken:
        rulefiles.write_atomic(path, "x", expected=None)
    assert taken.value.kind == "name"
    with pytest.raises(RuleFileConflict) as stale:
        rulefiles.write_atomic(path, "x", expected=rulefiles.version_of("other"))
    assert stale.value.kind == "version" and stale.value.current == "rules: []\n"
    rulefiles.write_atomic(path, "rules: [1]\n", expected=rulefiles.version_of("rules: []\n"))
    assert path.read_text() == "rules: [1]\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yml"]
    rulefiles.delete_file(path, rulefiles.version_of("rules: [1]\n"))
    assert not path.exists()


@pytest.fixture
def immutable_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may create files in, even root (chattr +i), removed after."""
    root = tmp_path / "ro"
    root.mkdir()
    (root / "shared.yml").write_text(SHARED)
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(root)], check=False).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield root
    finally:
        subprocess.run([chattr, "-i", str(root)], check=False)


def test_writable_probes_for_real(tmp_path: Path, immutable_dir: Path) -> None:
    """A directory is writable when a file can be made in it; a single file never is."""
    assert rulefiles.writable(tmp_path)
    assert not rulefiles.writable(immutable_dir)
    assert not rulefiles.writable(immutable_dir / "shared.yml")
    with pytest.raises(RuleFileConflict) as refused:
        rulefiles.write_atomic(immutable_dir / "new.yml", "rules: []\n", expected=None)
    assert refused.value.kind == "read_only"
    assert os.listdir(immutable_dir) == ["shared.yml"]


def test_unquoted_date_reads_as_text_and_is_kept() -> None:
    """A hand-written `startdate: 2026-01-01` (a YAML date) reads as its text, and writing
    the rule back unchanged leaves the line as it was."""
    text = (
        "rules:\n"
        "  - name: a\n"
        "    on: perfex.leads.created\n"
        "    do:\n"
        "      - perfex.tasks.create: {name: x, startdate: 2026-01-01, rel_type: lead, rel_id: 1}\n"
    )
    rule = rulefiles.rule_of(text, 0)
    assert rule["do"][0]["perfex.tasks.create"]["startdate"] == "2026-01-01"
    assert rulefiles.replaced_text(text, 0, rule) == text


def _write_once(args: tuple[str, str, str]) -> str:
    """In another process: one versioned write; its outcome."""
    path, text, expected = args
    try:
        rulefiles.write_atomic(Path(path), text, expected=expected)
    except RuleFileConflict as exc:
        return exc.kind
    return "written"


def test_concurrent_writers_one_wins(tmp_path: Path) -> None:
    """Eight forked processes (no shared thread lock: only the directory's flock) write
    the same version at once: exactly one wins, the others get a version conflict, and the
    file holds the winner's text whole."""
    path = tmp_path / "r.yml"
    path.write_text("rules: []\n")
    version = rulefiles.version_of("rules: []\n")
    texts = [f"rules: []\n# writer {i}\n" + "x" * 100_000 + "\n" for i in range(8)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(8) as pool:
        outcomes = pool.map(_write_once, [(str(path), t, version) for t in texts])
    assert sorted(outcomes) == ["version"] * 7 + ["written"]
    assert path.read_text() == texts[outcomes.index("written")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yml"]
