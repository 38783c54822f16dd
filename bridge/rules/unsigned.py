"""Which request headers a hook's `event:` template reads that its sender does not sign.

An event type taken from an unsigned header (GitHub's `X-GitHub-Event`) can be changed by
whoever replays a captured request: the signature still matches the body. Within
BRIDGE_REPLAY_WINDOW such a replay is a duplicate of the stored delivery (same signed
body), but after it a relabelled copy would be a new event. `rules check` says so, with
the remedy, for the schemes where that can happen (github, hmac).
"""

from __future__ import annotations

import logging

import jinja2
from jinja2 import nodes

logger = logging.getLogger("bridge.rules.unsigned")

#: Headers the signature covers, for schemes that sign the body but no id or timestamp.
#: (Stripe, Slack and Standard Webhooks sign a timestamp and an id: a relabelled replay
#: is a duplicate within their tolerance and refused after it. `token` and `basic` send
#: the credential itself, which covers every header as much as the body; `none` has its
#: own warning.)
SIGNED_HEADERS: dict[str, frozenset[str]] = {"github": frozenset(), "hmac": frozenset()}
#: A header read by a computed name (`headers[x]`, `headers.items()`): cannot be named.
ANY = "*"


def headers_read(source: str) -> set[str]:
    """Lower-cased header names the template reads; ANY when it reads them by other means."""
    try:
        tree = jinja2.Environment(autoescape=True).parse(source)
    except jinja2.TemplateSyntaxError:
        return set()  # reported as a template error elsewhere
    named: set[str] = set()
    uses = sum(1 for name in tree.find_all(nodes.Name) if name.name == "headers")
    matched = 0
    for node in tree.find_all(nodes.Getitem):
        if _is_headers(node.node) and isinstance(node.arg, nodes.Const):
            named.add(str(node.arg.value).lower())
            matched += 1
    for call in tree.find_all(nodes.Call):
        target = call.node
        if (
            isinstance(target, nodes.Getattr)
            and target.attr == "get"
            and _is_headers(target.node)
            and call.args
            and isinstance(call.args[0], nodes.Const)
        ):
            named.add(str(call.args[0].value).lower())
            matched += 1
    for attr in tree.find_all(nodes.Getattr):
        if _is_headers(attr.node) and attr.attr != "get":
            named.add(attr.attr.lower().replace("_", "-"))
            matched += 1
    if uses > matched:
        named.add(ANY)
    return named


def _is_headers(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "headers"


def unsigned_warning(label: str, scheme: str, source: str) -> str | None:
    """The `rules check` warning for an `event:` template reading unsigned headers, or None."""
    signed = SIGNED_HEADERS.get(scheme)
    if signed is None:
        return None
    unsigned = sorted(headers_read(source) - signed)
    if not unsigned:
        return None
    names = ", ".join("headers read by a computed name" if h == ANY else h for h in unsigned)
    return (
        f"{label}: event: reads {names}, which verify: {scheme} does not sign; a replayed "
        "request can change it (within BRIDGE_REPLAY_WINDOW the same body is a duplicate, "
        "after it a new event under the new name). Derive the type from the body instead "
        '(e.g. event: "{{ body.action }}"), or match rules on body fields'
    )
