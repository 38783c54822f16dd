"""Every benchmark in one command, one table: `python bench/run.py [--quick] [--json PATH]`.

Runs bench_rules, bench_poller, bench_executor, bench_inbound, bench_system, bench_triggers
and bench_http as
subprocesses (one after the other, so they do not share the cores), each with
`--json <tmp>`, turns each one's JSON into rows (figure, value, unit, same-run baseline,
ratio, target, met?) and prints them as one table; `--json PATH` writes it with the
machine description (and each benchmark's `details`, such as Redis commands per step by
command). bench_system runs `--signed` (GitHub HMAC in, Standard Webhooks out: issue 15's
setting). `--soak MINUTES` runs the soak instead: bench_system --soak MINUTES
--soak-rate 300 --signed (issue 15: 300 steps/s for 3 minutes, memory flat, p99 steady).
A benchmark that fails or writes no JSON shows as a row with no value, and the exit
status is 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Row,
    check,
    format_table,
    machine,
    print_table,
    rows_from_json,
    write_json,
)

HERE = Path(__file__).resolve().parent


def _get(data: Any, *path: str | int) -> Any:
    """data[path...] or None."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def rules_rows(data: Any) -> list[Row]:
    """bench_rules: a list per rule count; the 1,000-rule entry is the target."""
    biggest = max(data, key=lambda r: r.get("rules", 0)) if isinstance(data, list) else None
    route = _num(_get(biggest, "route_us", 0))
    base = _num(_get(biggest, "baseline_us", 0))
    render = _num(_get(biggest, "render_us", 0))
    rules = _get(biggest, "rules")
    return [
        Row(
            f"routing per event, {rules} rules (median)",
            route,
            "us",
            base,
            "< 100",
            check(route, lambda v: v < 100),
            note="baseline: a bare dict lookup",
        ),
        Row(f"rendering matched steps, {rules} rules (median)", render, "us", None, "", None),
    ]


def poller_rows(data: Any) -> list[Row]:
    page = _num(_get(data, "new_page_ms"))
    records = _get(data, "page_records") or 500
    return [
        Row(
            f"poll page of {records} new records",
            page,
            "ms",
            _num(_get(data, "parse_ms")),
            "< 50",
            check(page, lambda v: v < 50),
            note="baseline: json.loads of the page",
        ),
        Row("poll page already seen", _num(_get(data, "seen_page_ms")), "ms", None, "", None),
        Row(
            "whole poll over HTTP (sandbox)",
            _num(_get(data, "whole_poll_http_ms")),
            "ms",
            None,
            "",
            None,
        ),
        Row(
            "Redis per seen record id",
            _num(_get(data, "seen_bytes_per_id")),
            "bytes",
            None,
            "",
            None,
        ),
    ]


def executor_rows(data: Any) -> list[Row]:
    steps = _num(_get(data, "steps_per_second"))
    base = _num(_get(data, "baseline_per_second"))
    p50, p99 = _num(_get(data, "p50_ms")), _num(_get(data, "p99_ms"))
    rate = _get(data, "paced_rate") or 500
    return [
        Row(
            "executor steps/s (store -> delivery)",
            steps,
            "steps/s",
            base,
            ">= 1000, >= 0.4x httpx",
            check(steps, lambda v: v >= 1000 and base is not None and v >= 0.4 * base),
        ),
        Row(
            f"executor store->delivery p50 @ {rate:.0f}/s",
            p50,
            "ms",
            None,
            "< 50",
            check(p50, lambda v: v < 50),
        ),
        Row(
            f"executor store->delivery p99 @ {rate:.0f}/s",
            p99,
            "ms",
            None,
            "< 250",
            check(p99, lambda v: v < 250),
        ),
    ]


def inbound_rows(data: Any) -> list[Row]:
    """bench_inbound: the bridge's hook against a bare Starlette endpoint that does one
    Redis write (the fair baseline) and one that does no I/O at all."""
    results = _get(data, "results")
    bridge, fair, bare = (_get(results, name) for name in ("bridge", "bare_redis", "bare"))
    per_s = _num(_get(bridge, "per_second"))
    fair_s, bare_s = _num(_get(fair, "per_second")), _num(_get(bare, "per_second"))
    rate = _get(data, "config", "rate") or 500
    p50, p99 = _num(_get(bridge, "p50_ms")), _num(_get(bridge, "p99_ms"))
    return [
        Row(
            "inbound webhooks accepted",
            per_s,
            "req/s",
            fair_s,
            ">= 0.5x bare Starlette + 1 Redis write",
            check(per_s, lambda v: fair_s is not None and v >= 0.5 * fair_s),
            note="verified (GitHub HMAC), parsed, stored; baseline: a bare Starlette 202 "
            "after one Redis SET of the body (the fair baseline)",
        ),
        Row(
            "inbound webhooks accepted, against no I/O",
            per_s,
            "req/s",
            bare_s,
            "",
            None,
            note="baseline: a bare Starlette 202 that touches nothing",
        ),
        Row(
            "inbound web CPU per accepted webhook",
            _num(_get(bridge, "cpu_ms")),
            "ms",
            _num(_get(fair, "cpu_ms")),
            "",
            None,
            note="the server process, from /proc; baseline: the fair baseline's",
        ),
        Row(f"inbound p50 @ {rate:.0f} req/s", p50, "ms", _num(_get(bare, "p50_ms")), "", None),
        Row(
            f"inbound p99 @ {rate:.0f} req/s",
            p99,
            "ms",
            _num(_get(bare, "p99_ms")),
            "< 50",
            check(p99, lambda v: v < 50),
        ),
    ]


def triggers_rows(data: Any) -> list[Row]:
    """bench_triggers: reconcile with fields=/sort= against the plain read; push vs poll."""
    rec, push, poll = _get(data, "reconcile"), _get(data, "push"), _get(data, "poll")
    records = _get(rec, "records") or 10_000
    fast, plain = _num(_get(rec, "fields_per_s")), _num(_get(rec, "plain_per_s"))
    p99 = _num(_get(push, "p99_ms"))
    interval = _get(poll, "interval_s") or 15
    poll_p50 = _num(_get(poll, "p50_ms"))
    return [
        Row(
            f"reconcile of {records:,} records, fields= + sort=",
            fast,
            "records/s",
            plain,
            "",
            None,
            note="baseline: the plain full read of whole rows",
        ),
        Row(
            "reconcile requests per pass (fields= / plain)",
            _num(_get(rec, "fields_requests")),
            "requests",
            _num(_get(rec, "plain_requests")),
            "",
            None,
        ),
        Row(
            "reconcile bytes per pass (fields= / plain)",
            _num(_get(rec, "fields_bytes")),
            "bytes",
            _num(_get(rec, "plain_bytes")),
            "",
            None,
        ),
        Row("change -> event, pushed, p50", _num(_get(push, "p50_ms")), "ms", None, "", None),
        Row(
            "change -> event, pushed, p99",
            p99,
            "ms",
            poll_p50,
            "< 1000",
            check(p99, lambda v: v < 1000),
            note=f"baseline: the poll's p50 at {interval:.0f} s",
        ),
        Row(
            f"change -> event, polled every {interval:.0f} s, max",
            _num(_get(poll, "max_ms")),
            "ms",
            None,
            "",
            None,
        ),
    ]


#: name, script, extra args (full, quick), how its JSON becomes rows.
Bench = tuple[str, str, list[str], list[str], Callable[[Any], list[Row]]]

BENCHES: list[Bench] = [
    ("rules", "bench_rules.py", [], ["--events", "1000"], rules_rows),
    ("poller", "bench_poller.py", [], ["--runs", "5"], poller_rows),
    ("executor", "bench_executor.py", [], ["--events", "1000", "--seconds", "3"], executor_rows),
    ("inbound", "bench_inbound.py", [], ["--seconds", "2"], inbound_rows),
    ("system", "bench_system.py", ["--signed"], ["--quick", "--signed"], rows_from_json),
    (
        "triggers",
        "bench_triggers.py",
        [],
        ["--records", "2000", "--pushes", "50", "--polls", "2"],
        triggers_rows,
    ),
    ("http", "bench_http.py", [], ["--requests", "1000", "--rounds", "1"], rows_from_json),
]


def run_one(script: str, args: list[str], out: Path, timeout: float) -> tuple[Any, str]:
    """Run one benchmark; (its JSON or None, a one-line problem or "")."""
    command = [sys.executable, str(HERE / script), *args, "--json", str(out)]
    print(f"\n=== {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(command, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    print(f"=== {script}: exit {done.returncode} in {time.monotonic() - started:.0f} s")
    if not out.exists():
        return None, f"exit {done.returncode}, no JSON written"
    try:
        return json.loads(
            out.read_text()
        ), "" if done.returncode == 0 else f"exit {done.returncode}"
    except ValueError as exc:
        return None, f"unreadable JSON: {exc}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs of every benchmark")
    parser.add_argument("--json", metavar="PATH", help="write the table as JSON here")
    parser.add_argument(
        "--soak",
        type=float,
        nargs="?",
        const=3.0,
        metavar="MINUTES",
        help="run the soak at 300/s, signed, instead (default 3 minutes)",
    )
    parser.add_argument("--only", action="append", help="run only these (rules, poller, ...)")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    parser.add_argument("--timeout", type=float, default=900.0, help="per benchmark, seconds")
    args = parser.parse_args()
    benches: list[Bench]
    if args.soak is not None:
        soak_args = ["--soak", str(args.soak), "--soak-rate", "300", "--signed"]
        benches = [("soak", "bench_system.py", soak_args, soak_args, rows_from_json)]
        args.timeout = max(args.timeout, args.soak * 60 + 420)
    else:
        benches = [b for b in BENCHES if not args.only or b[0] in args.only]
    rows: list[Row] = []
    details: dict[str, Any] = {}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, script, full, quick, to_rows in benches:
            extra = quick if args.quick else full
            data, problem = run_one(script, extra, Path(tmp) / f"{name}.json", args.timeout)
            made = to_rows(data) if data is not None else []
            if isinstance(data, dict) and data.get("details"):
                details[name] = data["details"]
            if problem or not made:
                failed = True
                rows.append(Row(f"{name}: benchmark failed", None, "", note=problem or "no rows"))
            rows += made
    print("\n" + "=" * 20 + " perfex-bridge benchmarks " + "=" * 20)
    info = machine()
    described = (
        f"{info['nproc']} CPUs (nproc), {info['cpu_model']}, {info['memory_gib']} GiB memory, "
        f"Python {info['python']}{', quick run' if args.quick else ''}"
    )
    print(described + "\n")
    print_table(rows)
    if args.markdown:
        command = " ".join(["python bench/run.py", *sys.argv[1:]])
        Path(args.markdown).write_text(
            f"# Benchmark results\n\nMachine: {described}.\n\nCommand: `{command}`\n\n"
            f"```\n{format_table(rows)}\n```\n"
        )
    if args.json:
        write_json(args.json, rows, quick=args.quick, soak=args.soak, details=details)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
