"""The template gallery: rules to start from, filled in except for ids and secrets.

Each `gallery/<id>.yml` is an ordinary rules file (`hooks:`, `rules:`) with one more
top-level key, `template:`, saying what it is and what the user must still give:

    template:
      title: A new customer gets a welcome call task
      description: ...
      needs:
        env: [CHAT_WEBHOOK_URL]                         # ${VAR}s the rule reads
        fields: [do[0].perfex.tasks.create.assignees]   # ids left empty (or to adjust)

    templates() -> [{"id", "title", "description", "rule", "hooks", "needs", "shipped",
                     "file", "yaml"}]

`shipped` marks the five examples that also live in the repository's rules/ folder.

`yaml` is the file's text without the `template:` block, comments kept, so a saved
template reads like a hand-written file. The files are package data, read once.
"""

from __future__ import annotations

import copy
import logging
import re
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

logger = logging.getLogger("bridge.builder.gallery")

_PACKAGE = "bridge.builder"
_FOLDER = "gallery"
_TEMPLATE_BLOCK = re.compile(r"^template:\n(?:[ \t]+.*\n|[ \t]*\n)*", re.MULTILINE)


class GalleryError(ValueError):
    """A gallery file that is not a valid template (caught by the tests, never by users)."""


def templates() -> list[dict[str, Any]]:
    """Every template, in title order; fresh copies the caller may change."""
    return copy.deepcopy(list(_load_all()))


def template(template_id: str) -> dict[str, Any] | None:
    """One template by id, or None."""
    for item in _load_all():
        if item["id"] == template_id:
            return copy.deepcopy(item)
    return None


@cache
def _load_all() -> tuple[dict[str, Any], ...]:
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    items = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yml", ".yaml")):
            items.append(parse_template(entry.name, entry.read_text(encoding="utf-8")))
    items.sort(key=lambda item: str(item["title"]))
    logger.debug("gallery: %d templates", len(items))
    return tuple(items)


def parse_template(file_name: str, text: str) -> dict[str, Any]:
    """One template from a gallery file's text; GalleryError when it is malformed."""
    doc = YAML(typ="safe", pure=True).load(text)
    if not isinstance(doc, dict):
        raise GalleryError(f"{file_name}: not a mapping")
    meta = doc.get("template")
    rules = doc.get("rules")
    if not isinstance(meta, dict) or not isinstance(rules, list) or len(rules) != 1:
        raise GalleryError(f"{file_name}: needs a `template:` block and exactly one rule")
    needs = meta.get("needs") or {}
    env = list(needs.get("env") or [])
    fields = list(needs.get("fields") or [])
    if not meta.get("title") or not meta.get("description"):
        raise GalleryError(f"{file_name}: the template needs a title and a description")
    body = _TEMPLATE_BLOCK.sub("", text, count=1).lstrip("\n")
    return {
        "id": file_name.rsplit(".", 1)[0],
        "title": str(meta["title"]),
        "description": str(meta["description"]),
        "rule": rules[0],
        "hooks": list(doc.get("hooks") or []),
        "needs": {"env": env, "fields": fields},
        "shipped": bool(meta.get("shipped")),
        "file": file_name,
        "yaml": body,
    }
