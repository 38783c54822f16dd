"""Shared pieces of the benchmarks: the results table, percentiles, slopes, the machine.

A benchmark's figures are `Row`s: figure, value, unit, same-run baseline, ratio, target and
whether it is met. `print_table` prints them as one table; `write_json` writes them (and
the machine they ran on) for `bench/run.py` and for RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("bridge.bench.common")


@dataclass
class Row:
    """One figure of the table."""

    figure: str
    value: float | None
    unit: str
    baseline: float | None = None
    target: str = ""
    #: None when the figure has no target (shown for information).
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def check(value: float | None, test: Callable[[float], bool]) -> bool | None:
    """`test(value)`, or None when the value is missing."""
    return None if value is None else bool(test(value))


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` percentile (nearest rank) of `samples`; 0.0 for none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points; 0.0 with fewer than two."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    if not var:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Sequence[Row]) -> str:
    """The rows as one fixed-width table."""
    header = ("figure", "value", "unit", "baseline", "ratio", "target", "met?")
    cells = [
        (
            r.figure,
            _fmt(r.value),
            r.unit,
            _fmt(r.baseline),
            _fmt(r.ratio),
            r.target,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    right = {1, 3, 4}

    def line(cols: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cols, widths, strict=True))
        ).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(c) for c in cells]
    notes = [f"  {r.figure}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def print_table(rows: Sequence[Row]) -> None:
    print(format_table(rows), flush=True)


def machine() -> dict[str, Any]:
    """What the figures ran on: CPUs, CPU model, memory, Python."""
    model = ""
    memory_kib = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_json(path: str | Path, rows: Sequence[Row], **extra: Any) -> None:
    """Write the rows (and the machine, and `extra`) as JSON."""
    payload = {"machine": machine(), "figures": [r.to_dict() for r in rows], **extra}
    Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n")


def rows_from_json(data: Any) -> list[Row]:
    """Rows written by `write_json` (the `figures` list)."""
    rows = []
    for item in data.get("figures", []) if isinstance(data, dict) else []:
        rows.append(
            Row(
                figure=str(item.get("figure", "?")),
                value=item.get("value"),
                unit=str(item.get("unit", "")),
                baseline=item.get("baseline"),
                target=str(item.get("target", "")),
                met=item.get("met"),
                note=str(item.get("note", "")),
            )
        )
    return rows


class RawHttpConnection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, written by hand.

    A load generator on the same two cores as the system under test must cost as little
    CPU as it can: an httpx client spends about 2.5 ms per request here, this a tenth.
    Responses are read by Content-Length (the bridge and Starlette always send it).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body` to `path`; the response's status (its body is read and dropped).

        A kept-alive connection the server has since closed (uvicorn drops idle ones after
        5 s) is opened again and the request sent once more.
        """
        reused = self.writer is not None
        try:
            return await self._post(path, body, headers)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            if not reused:
                raise
            return await self._post(path, body, headers)

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}"
        self.writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        answer = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in answer.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return int(answer[9:12])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
