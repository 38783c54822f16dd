"""The render budget: no template escapes its size or time limit (issue 14 item 6)."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest

from bridge.exceptions import TemplateError, TemplateTooHeavy
from bridge.rules import budget, templates
from bridge.rules.templates import compile_text, make_context

CONTEXT = make_context({"id": "e1", "type": "t", "source": "s", "data": {"name": "Ada", "n": 3}})

ATTACKS = {
    "center": "{{ ''|center(10**8) }}",
    "replace": "{{ ('x' * 1000)|replace('x', 'y' * 1000) }}",
    "format filter": "{{ '%99999999s'|format('x') }}",
    "percent": "{{ '%99999999s' % 'x' }}",
    "percent star": "{{ '%*s' % (10**8, 'x') }}",
    "string times": "{{ 'ab' * 10**7 }}",
    "list times": "{{ [1, 2] * 10**7 }}",
    "join huge range": "{{ range(100000)|join('x' * 100) }}",
    "join range": "{{ range(100000)|join(',') }}",
    "indent": "{{ 'a\nb'|indent(10**8) }}",
    "str center": "{{ 'x'.center(10**8) }}",
    "str format": "{{ '{:>99999999}'.format('x') }}",
    "str format nested": "{{ '{:>{w}}'.format('x', w=10**8) }}",
    "str replace": "{{ ('x' * 1000).replace('x', 'y' * 1000) }}",
    "str join": "{{ ('x' * 100000).join(['a', 'b', 'c', 'd']) }}",
    "nested loops": (
        "{% for i in range(100000) %}{% for j in range(1000) %}xx{% endfor %}{% endfor %}"
    ),
    "tilde doubling": (
        "{% set ns = namespace(s='x' * 1000) %}"
        "{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
    "plus doubling": (
        "{% set ns = namespace(s='x' * 1000) %}"
        "{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
}


@pytest.mark.parametrize("source", ATTACKS.values(), ids=list(ATTACKS))
def test_filters_and_operators_cannot_build_past_the_size_budget(source: str) -> None:
    """Every amplifying filter, operator and method is refused before it builds a huge value,
    and memory stays far below what the attack asks for."""
    node = compile_text(source, "rules.yml:3: body")
    tracemalloc.start()
    try:
        with pytest.raises(TemplateTooHeavy, match="render budget"):
            budget.render_within(node.render, CONTEXT, seconds=5.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes"


def test_ordinary_templates_still_render() -> None:
    """Widths, joins, concatenation and loops within the budget work as before."""
    source = (
        "{{ event.data.name|upper|center(9) }}|{{ '%5s'|format('x') }}|{{ ['a', 'b']|join(',') }}"
        "|{{ 'a' ~ event.data.n }}|{{ 'ab' * 3 }}|{{ '{:>4}'.format(event.data.n) }}"
        "|{% for i in range(3) %}{{ i }}{% endfor %}"
    )
    out = budget.render_within(compile_text(source, "t").render, CONTEXT)
    assert out == "   ADA   |    x|a,b|a3|ababab|   3|012"


def test_a_long_loop_is_cut_at_the_time_budget() -> None:
    """A loop that would run far longer than 11 s stops at the time budget with a clear error."""
    source = "{% for i in range(100000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    node = compile_text(source, "rules.yml:9: body")
    started = time.monotonic()
    with pytest.raises(TemplateTooHeavy, match=r"longer than 0\.5 s"):
        budget.render_within(node.render, CONTEXT, seconds=0.5)
    assert time.monotonic() - started < 2.0


async def test_off_loop_render_keeps_the_event_loop_free() -> None:
    """While a heavy template renders, the event loop keeps ticking every few ms, and the
    render is cut at the budget; the next render works."""
    source = "{% for i in range(100000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    node = compile_text(source, "t")
    budget.configure(seconds=1.5)
    try:
        render = asyncio.create_task(budget.render_off_loop(node.render, CONTEXT))
        gaps: list[float] = []
        last = time.monotonic()
        while not render.done():
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now
        with pytest.raises(TemplateTooHeavy):
            await render
    finally:
        budget.configure(seconds=1.0)
    assert len(gaps) > 20
    assert sorted(gaps)[len(gaps) // 2] < 0.05, "the loop was starved"
    light = compile_text("{{ event.data.name }}!", "t")
    assert await budget.render_off_loop(light.render, CONTEXT) == "Ada!"


def test_a_template_error_is_still_a_template_error() -> None:
    """A failing template raises the ordinary TemplateError, not a budget error."""
    with pytest.raises(TemplateError) as caught:
        budget.render_within(compile_text("{{ event.data.nope }}", "t").render, CONTEXT)
    assert not isinstance(caught.value, TemplateTooHeavy)


def test_a_template_rendered_directly_is_still_cut_at_the_deadline() -> None:
    """No caller can skip the time budget: a node rendered on its own (a rule's `if:`, a
    hook's `event:`) is watched too."""
    condition = templates.compile_condition("range(1000)|select|list|length > 10", "t")
    assert condition.render(CONTEXT) is True  # ordinary work fits easily
    loop = compile_text(
        "{% for i in range(100000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", "t"
    )
    budget.configure(seconds=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(TemplateTooHeavy, match="render budget"):
            loop.render(CONTEXT)
    finally:
        budget.configure(seconds=1.0)
    assert time.monotonic() - started < 1.5
