"""Where a py-spy profile's samples go: `python bench/profile_summary.py STACKS.txt`.

Reads py-spy's raw format (collapsed stacks: `frame;frame;... count` per line, as written
by `bench_system.py --profile X.svg`, which keeps X.txt beside the flame graph) and prints,
per part (a library or a bridge module), the share of samples whose stack passes through
it (inclusive; a sample counts once per part) and the share spent in its own frames (self,
the leaf frame), then the top functions by self share.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

#: Parts by the path of a frame's file; the first match names the part.
PARTS: list[tuple[str, str]] = [
    ("httpx", "/httpx/"),
    ("httpcore", "/httpcore/"),
    ("h11", "/h11/"),
    ("anyio", "/anyio/"),
    ("arq", "/arq/"),
    ("redis-py", "/redis/"),
    ("pydantic", "/pydantic"),
    ("jinja2", "/jinja2/"),
    ("json", "/json/"),
    ("asyncio", "asyncio/"),
    ("ssl/socket", "ssl.py"),
    ("logging", "logging/"),
    ("bridge/executor/webhook.py", "bridge/executor/webhook.py"),
    ("bridge/executor/ssrf.py", "bridge/executor/ssrf.py"),
    ("bridge/executor/runner.py", "bridge/executor/runner.py"),
    ("bridge/executor/records.py", "bridge/executor/records.py"),
    ("bridge/executor/history.py", "bridge/executor/history.py"),
    ("bridge/executor/limits.py", "bridge/executor/limits.py"),
    ("bridge/executor/router.py", "bridge/executor/router.py"),
    ("bridge/executor/jobs.py", "bridge/executor/jobs.py"),
    ("bridge/executor/actions.py", "bridge/executor/actions.py"),
    ("bridge/executor (other)", "bridge/executor/"),
    ("bridge/rules", "bridge/rules/"),
    ("bridge/redaction.py", "bridge/redaction.py"),
    ("workers", "workers/"),
]

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def part_of(frame: str) -> str | None:
    match = _FRAME.match(frame)
    file = match.group("file") if match else frame
    for name, marker in PARTS:
        # py-spy shortens site-packages paths to `httpx/_client.py`.
        if marker in file or (marker.startswith("/") and file.startswith(marker[1:])):
            return name
    return None


def read_stacks(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def summarise(stacks: Counter[tuple[str, ...]], top: int = 25) -> str:
    total = sum(stacks.values()) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, count in stacks.items():
        parts = {p for p in map(part_of, frames) if p}
        for part in parts:
            inclusive[part] += count
        own[part_of(frames[-1]) or "other"] += count
        leaves[frames[-1]] += count
    lines = [f"{total} samples", "", f"{'part':<32} {'inclusive':>9} {'self':>6}"]
    for part, count in inclusive.most_common():
        lines.append(f"{part:<32} {100 * count / total:>8.1f}% {100 * own[part] / total:>5.1f}%")
    lines.append(f"{'other':<32} {'':>9} {100 * own['other'] / total:>5.1f}%")
    lines += ["", f"top {top} functions by self samples:"]
    for frame, count in leaves.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", type=Path, help="py-spy raw output (collapsed stacks)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarise(read_stacks(args.stacks), args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
