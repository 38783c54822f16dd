"""The overview's throughput chart: inline SVG drawn on the server, no script needed.

Bars are events per hour over the last day; a red bar on top of each shows the runs
that failed or went to the dead-letter queue in that hour.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from markupsafe import Markup, escape

logger = logging.getLogger("bridge.dashboard.charts")

WIDTH = 720
HEIGHT = 160
PAD_LEFT = 36
PAD_BOTTOM = 22
PAD_TOP = 10


def throughput_svg(events: list[int], failures: list[int], now: float) -> Markup:
    """An SVG bar chart of `events` (and `failures` over them), oldest bucket first."""
    count = len(events)
    peak = max([1, *events, *(f for f in failures)])
    plot_w = WIDTH - PAD_LEFT - 4
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(count, 1)
    bar = max(slot * 0.72, 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Events and failures per hour, last 24 hours">'
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = PAD_TOP + plot_h * (1 - fraction)
        label = escape(_tick(peak * fraction))
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" class="axis" '
            f'text-anchor="end">{label}</text>'
        )
    for index, value in enumerate(events):
        failed = failures[index] if index < len(failures) else 0
        x = PAD_LEFT + index * slot + (slot - bar) / 2
        height = plot_h * value / peak
        fail_h = plot_h * failed / peak
        base = PAD_TOP + plot_h
        title = f"{value} events, {failed} failed"
        parts.append(
            f"<g><title>{escape(title)}</title>"
            f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{bar:.1f}" '
            f'height="{height:.1f}" rx="2" class="bar"/>'
            f'<rect x="{x:.1f}" y="{base - fail_h:.1f}" width="{bar:.1f}" '
            f'height="{fail_h:.1f}" rx="2" class="bar-bad"/></g>'
        )
    for index in range(0, count, 6):
        hours_back = count - index
        stamp = datetime.fromtimestamp(now - hours_back * 3600, UTC).strftime("%H:%M")
        x = PAD_LEFT + index * slot
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 6}" class="axis">{stamp}</text>')
    parts.append(
        f'<text x="{WIDTH - 4}" y="{HEIGHT - 6}" class="axis" text-anchor="end">now</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from numbers and escaped labels only


def _tick(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
