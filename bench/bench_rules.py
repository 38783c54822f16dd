"""Routing and rendering cost per event with 10, 100 and 1,000 rules.

    python bench/bench_rules.py [--json PATH] [--events N]

Rules mix exact types, `perfex.<resource>.*` globs and `webhook.<hook>*` globs, each
with an `if:`. Per event it times `Ruleset.match` (index + `if:` of candidates) and the
rendering of every step of the matched rules; a bare dict lookup is the same-run
baseline. Target: routing under 100 us per event with 1,000 rules.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.rules import load, make_context, render_step

RESOURCES = ["leads", "tasks", "tickets", "invoices", "customers"]


def hook_count(rules: int) -> int:
    """Hooks grow with the rules, as in a real install: about 4 rules per event type."""
    return max(5, rules // 4)


def write_rules(root: Path, count: int) -> Path:
    hooks = hook_count(count)
    lines = ["hooks:"] + [
        f"  - {{name: h{i}, verify: token, secret: s, event: '{{{{ body.kind }}}}'}}"
        for i in range(hooks)
    ]
    lines.append("rules:")
    for i in range(count):
        on = (
            [
                f"perfex.{RESOURCES[i % 5]}.created",
                f"perfex.{RESOURCES[i % 5]}.*",
                f"webhook.h{i % hooks}",
                f"webhook.h{i % hooks}.*",
            ][i % 4]
            if i < 40
            else [f"webhook.h{i % hooks}", f"webhook.h{i % hooks}.*"][i % 2]
        )
        lines += [
            f"  - name: r{i}",
            f"    on: {on}",
            "    if: event.data.amount > 10",
            "    do:",
            "      - perfex.tasks.create:",
            "          name: 'Lead {{ event.data.name }} ({{ event.data.amount }})'",
            "          startdate: \"{{ now.strftime('%Y-%m-%d') }}\"",
            "          rel_type: lead",
            "          rel_id: '{{ event.data.id }}'",
        ]
    path = root / f"rules-{count}.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e6, p99 * 1e6


def bench(count: int, events: int, root: Path) -> dict[str, Any]:
    ruleset = load(write_rules(root, count), {})
    hooks = hook_count(count)
    types = [f"perfex.{r}.created" for r in RESOURCES]
    types += [f"webhook.h{i}.push" for i in range(hooks)] + [f"webhook.h{i}" for i in range(hooks)]
    baseline_map: dict[str, list[int]] = {t: [] for t in types}
    route: list[float] = []
    index: list[float] = []
    render: list[float] = []
    base: list[float] = []
    matched_total = 0
    for n in range(events):
        event: dict[str, Any] = {
            "id": str(n),
            "type": types[n % len(types)],
            "source": "bench",
            "data": {"id": n, "name": "Ada", "amount": 50},
        }
        t0 = time.perf_counter()
        baseline_map.get(event["type"])
        t1 = time.perf_counter()
        ruleset.candidates(event["type"])
        index.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        matched = ruleset.match(event)
        t2 = time.perf_counter()
        context = make_context(event)
        for rule in matched:
            for step in rule.steps:
                render_step(step, context)
        t3 = time.perf_counter()
        base.append(t1 - t0)
        route.append(t2 - t1)
        render.append(t3 - t2)
        matched_total += len(matched)
    return {
        "rules": count,
        "events": events,
        "event_types": len(types),
        "matched_per_event": matched_total / events,
        "baseline_us": percentiles(base),
        "index_us": percentiles(index),
        "route_us": percentiles(route),
        "render_us": percentiles(render),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results as JSON to this path")
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench(count, args.events, Path(tmp)) for count in (10, 100, 1000)]
    header = (
        f"{'rules':>6} {'matched':>8} {'baseline med/p99':>18} {'index med/p99':>18} "
        f"{'route med/p99 us':>18} {'render med/p99 us':>19}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        b, ix, ro, re_ = r["baseline_us"], r["index_us"], r["route_us"], r["render_us"]
        print(
            f"{r['rules']:>6} {r['matched_per_event']:>8.1f} {b[0]:>8.2f}/{b[1]:<9.2f} "
            f"{ix[0]:>8.2f}/{ix[1]:<9.2f} "
            f"{ro[0]:>8.1f}/{ro[1]:<9.1f} {re_[0]:>8.1f}/{re_[1]:<10.1f}"
        )
    worst = results[-1]["route_us"][0]
    print(f"\nrouting with 1,000 rules: median {worst:.1f} us (target < 100 us)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
