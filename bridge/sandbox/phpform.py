"""PHP-style form keys: `newitems[0][qty]`, `assignees[]`, `custom_fields[invoice][1]`.

PHP turns such keys into nested arrays before Perfex sees them; the sandbox does the same
so a form built for real Perfex lands in the same shape. Arrays whose keys are exactly
0..n-1 become lists; any other array stays a dict with string keys.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

logger = logging.getLogger("bridge.sandbox.phpform")

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    """`a[b][]` -> ["a", "b", ""]; a key without brackets is one segment."""
    head, bracket, rest = key.partition("[")
    if not bracket or not head:
        return [key]
    rest = "[" + rest
    segments = [head]
    pos = 0
    for match in _SEGMENT.finditer(rest):
        if match.start() != pos:
            break
        segments.append(match.group(1))
        pos = match.end()
    if pos == 0:
        return [key]
    return segments


def _next_index(node: dict[str, Any]) -> str:
    numbers = [int(k) for k in node if k.lstrip("-").isdigit()]
    return str(max(numbers) + 1 if numbers else 0)


def parse_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Nest (key, value) pairs the way PHP fills `$_POST`; later keys win, like PHP."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        segments = split_key(key)
        node = root
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1
            name = _next_index(node) if segment == "" else segment
            if last:
                node[name] = value
            else:
                child = node.get(name)
                if not isinstance(child, dict):
                    child = {}
                    node[name] = child
                node = child
    nested: dict[str, Any] = _listify(root)
    return nested


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and list(converted) == [str(i) for i in range(len(converted))]:
        return list(converted.values())
    return converted


async def read_fields(request: Request) -> dict[str, Any]:
    """The request body as PHP would see it: urlencoded, multipart or JSON.

    The parsed fields are also left on `request.state` so the call log can record them.
    """
    content_type = request.headers.get("content-type", "")
    fields: dict[str, Any]
    if content_type.startswith("application/json"):
        raw = await request.body()
        try:
            decoded = json.loads(raw) if raw else {}
        except ValueError:
            decoded = {}
        fields = decoded if isinstance(decoded, dict) else {}
    elif content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        pairs: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                pairs.append((key, value.filename or ""))
            else:
                pairs.append((key, value))
        await form.close()
        fields = parse_pairs(pairs)
    else:
        fields = {}
    request.state.sandbox_fields = fields
    return fields
