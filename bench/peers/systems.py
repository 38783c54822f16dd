"""The systems compared: n8n (default and queue mode), Node-RED, `bridge up`, web + worker.

Each one runs the same job: a webhook in (`POST <hook_url>` with `{"seq": ...}`), one HTTP
POST out to the shared receiver carrying the same `seq`. A `System` starts its processes
in a temporary folder, tells which processes are its own (for CPU and RSS from /proc) and
which one is its store (left alive when the system is killed), and can be SIGKILLed and
started again on the same data.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from redis import Redis

from bridge.loopback.processes import RestartableValkey, cpu_seconds, rss_bytes
from bridge.loopback.servers import free_port

N8N_WORKFLOW_ID = "PeersBench000001"


class Proc:
    """One OS process with a log file; signalled with its whole process group (n8n's task
    runner) unless `group` is off (`bridge up`, whose Valkey child must outlive a kill)."""

    def __init__(
        self, command: Sequence[str], env: Mapping[str, str], log: Path, *, group: bool = True
    ) -> None:
        self.group = group
        self.command = list(command)
        self.env = {**os.environ, **env}
        self.log_path = log
        self.popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Proc:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in wait()
        self.popen = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.log_path.parent,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int | None:
        alive = self.popen is not None and self.popen.poll() is None
        return self.popen.pid if alive and self.popen is not None else None

    def _signal(self, signum: int) -> None:
        if self.popen is None:
            return
        try:
            if self.group:
                os.killpg(self.popen.pid, signum)
            elif self.popen.poll() is None:
                self.popen.send_signal(signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        self._signal(signal.SIGKILL)
        self.wait()

    def stop(self, timeout: float = 20) -> None:
        if self.pid is not None:
            self._signal(signal.SIGTERM)
        self.wait(timeout)

    def wait(self, timeout: float = 20) -> None:
        if self.popen is not None:
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.popen.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def _children() -> dict[int, list[int]]:
    """ppid -> pids of every process now (Linux /proc)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(roots: Sequence[int]) -> list[int]:
    """`roots` and all their descendants."""
    tree = _children()
    seen: list[int] = []
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.append(pid)
            stack.extend(tree.get(pid, []))
    return seen


def valkey_pid(url: str) -> int | None:
    """The process id of the Valkey at `url` (INFO server), or None."""
    try:
        with Redis.from_url(url, socket_timeout=3) as client:
            info = client.info("server")
        return int(info["process_id"])
    except Exception:  # a store that is not up has no pid
        return None


class System:
    """A system under test; subclasses fill in `hook_url` and the process lists."""

    name = "system"
    hook_url = ""

    def __init__(self, root: Path, receiver: str) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.receiver = receiver
        self.target = f"{receiver}/{self.slug}"
        self.procs: list[Proc] = []

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.name.lower()).strip("-")

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def kill(self) -> None:
        """SIGKILL every process of the system except its store."""
        for proc in self.procs:
            proc.kill()

    def restart(self) -> None:
        for proc in self.procs:
            proc.start()

    def store_pids(self) -> list[int]:
        return []

    def pids(self) -> list[int]:
        """Every process of the system now, its store included."""
        roots = [p.pid for p in self.procs if p.pid is not None] + self.store_pids()
        return process_tree(roots)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) or 0.0 for pid in self.pids())

    def rss_bytes(self) -> int:
        return sum(rss_bytes(pid) or 0 for pid in self.pids())

    def logs(self) -> str:
        return "\n".join(f"--- {p.log_path.name}\n{p.log()}" for p in self.procs)


class NodeRed(System):
    """Node-RED: http in -> http request -> http response (no queue, retries or history)."""

    name = "Node-RED"

    def __init__(self, root: Path, receiver: str, cache: Path, node: Path) -> None:
        super().__init__(root, receiver)
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/load"
        flows = [
            {"id": "tab1", "type": "tab", "label": "bench"},
            {"id": "in1", "type": "http in", "z": "tab1", "url": "/load", "method": "post"}
            | {"upload": False, "swaggerDoc": "", "wires": [["req1"]]},
            {"id": "req1", "type": "http request", "z": "tab1", "method": "POST"}
            | {"ret": "txt", "paytoqs": "ignore", "url": self.target, "persist": True}
            | {"tls": "", "proxy": "", "authType": "", "senderr": False, "headers": []}
            | {"wires": [["chg1"]]},
            # The receiver's response headers must not become ours.
            {"id": "chg1", "type": "change", "z": "tab1", "wires": [["out1"]]}
            | {"rules": [{"t": "delete", "p": "headers", "pt": "msg"}]},
            {"id": "out1", "type": "http response", "z": "tab1", "statusCode": ""}
            | {"headers": {}, "wires": []},
        ]
        (root / "flows.json").write_text(json.dumps(flows))
        (root / "settings.js").write_text(
            "module.exports = {\n"
            f"  uiHost: '127.0.0.1', uiPort: {port}, flowFile: 'flows.json',\n"
            "  httpAdminRoot: false, httpNodeRoot: '/', credentialSecret: false,\n"
            "  diagnostics: {enabled: false}, logging: {console: {level: 'warn'}},\n"
            "};\n"
        )
        red = cache / "node-red" / "node_modules" / "node-red" / "red.js"
        command = [str(node), str(red), "--userDir", str(root), "--settings"]
        self.procs = [Proc([*command, str(root / "settings.js")], {}, root / "node-red.log")]

    def start(self) -> None:
        self.procs[0].start()


class N8n(System):
    """n8n 2.x with execution history on: a Webhook node -> an HTTP Request node."""

    name = "n8n"

    def __init__(
        self, root: Path, receiver: str, cache: Path, node: Path, *, queue: bool = False
    ) -> None:
        if queue:
            self.name = "n8n queue mode"
        super().__init__(root, receiver)
        self.node = node
        self.bin = cache / "n8n" / "node_modules" / "n8n" / "bin" / "n8n"
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/webhook/load"
        self.env = {
            "N8N_USER_FOLDER": str(root),
            "N8N_PORT": str(port),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_HOST": "127.0.0.1",
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_TEMPLATES_ENABLED": "false",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
            "N8N_SECURE_COOKIE": "false",
            "N8N_LOG_LEVEL": "warn",
            "N8N_RUNNERS_BROKER_PORT": str(free_port()),
            "EXECUTIONS_DATA_SAVE_ON_SUCCESS": "all",
            "EXECUTIONS_DATA_SAVE_ON_ERROR": "all",
            "DB_TYPE": "sqlite",
        }
        self.valkey: RestartableValkey | None = None
        main = Proc([str(node), str(self.bin), "start"], self.env, root / "n8n-main.log")
        self.procs = [main]
        if queue:
            self.valkey = RestartableValkey(root / "valkey", free_port())
            self.env |= {
                "EXECUTIONS_MODE": "queue",
                "QUEUE_BULL_REDIS_HOST": "127.0.0.1",
                "QUEUE_BULL_REDIS_PORT": str(self.valkey.port),
            }
            main.env |= self.env
            worker_env = self.env | {
                "N8N_RUNNERS_BROKER_PORT": str(free_port()),
                "QUEUE_HEALTH_CHECK_PORT": str(free_port()),
                "N8N_PORT": str(free_port()),
            }
            worker = [str(node), str(self.bin), "worker", "--concurrency=10"]
            self.procs.append(Proc(worker, worker_env, root / "n8n-worker.log"))

    def _cli(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.node), str(self.bin), *args],
            env={**os.environ, **self.env},
            cwd=self.root,
            capture_output=True,
            timeout=180,
            check=False,
        )
        if done.returncode:
            output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            raise RuntimeError(f"n8n {' '.join(args)} failed: {output}")

    def start(self) -> None:
        if self.valkey is not None:
            self.valkey.start()
        workflow = self.root / "workflow.json"
        workflow.write_text(json.dumps(n8n_workflow(self.target)))
        self._cli("import:workflow", f"--input={workflow}")
        self._cli("publish:workflow", f"--id={N8N_WORKFLOW_ID}")
        for proc in self.procs:
            proc.start()

    def stop(self) -> None:
        super().stop()
        if self.valkey is not None:
            self.valkey.stop()

    def store_pids(self) -> list[int]:
        pid = valkey_pid(self.valkey.url) if self.valkey is not None else None
        return [pid] if pid else []


def n8n_workflow(target: str) -> dict[str, object]:
    """Webhook (answers at once) -> HTTP Request POSTing `{"seq": body.seq}` to `target`."""
    return {
        "id": N8N_WORKFLOW_ID,
        "name": "peers bench",
        "active": False,
        "nodes": [
            {
                "id": "0f5c8a3e-0000-4000-8000-000000000001",
                "name": "Webhook",
                "type": "n8n-nodes-base.webhook",
                "typeVersion": 2,
                "position": [0, 0],
                "webhookId": "0f5c8a3e-0000-4000-8000-00000000000a",
                "parameters": {
                    "httpMethod": "POST",
                    "path": "load",
                    "responseMode": "onReceived",
                    "options": {},
                },
            },
            {
                "id": "0f5c8a3e-0000-4000-8000-000000000002",
                "name": "HTTP Request",
                "type": "n8n-nodes-base.httpRequest",
                "typeVersion": 4.2,
                "position": [220, 0],
                "parameters": {
                    "method": "POST",
                    "url": target,
                    "sendBody": True,
                    "specifyBody": "json",
                    "jsonBody": "={{ JSON.stringify({ seq: $json.body.seq }) }}",
                    "options": {},
                },
            },
        ],
        "connections": {
            "Webhook": {"main": [[{"node": "HTTP Request", "type": "main", "index": 0}]]}
        },
        "settings": {
            "executionOrder": "v1",
            "saveDataSuccessExecution": "all",
            "saveDataErrorExecution": "all",
        },
        "pinData": {},
    }


def bridge_rules(target: str) -> str:
    """Hook `load` (no signature, like the peers' webhooks) -> one webhook step."""
    return (
        "hooks:\n  - {name: load, verify: none}\nrules:\n"
        "  - name: peers\n    on: webhook.load\n    do:\n      - webhook:\n"
        f"          url: {target}\n"
        '          body: {seq: "{{ event.data.seq }}"}\n'
        "        retry: {attempts: 5, backoff: 0.5, max_delay: 2}\n"
    )


class Bridge(System):
    """perfex-bridge: `bridge up` (embedded Valkey) or `bridge web` + `bridge worker`."""

    def __init__(self, root: Path, receiver: str, *, split: bool) -> None:
        self.name = "bridge web + worker" if split else "bridge up"
        super().__init__(root, receiver)
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/hooks/load"
        rules = root / "rules.yml"
        rules.write_text(bridge_rules(self.target))
        env = {
            "BRIDGE_RULES": str(rules),
            "BRIDGE_DATA_DIR": str(root / "data"),
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_PORT": str(port),
            "BRIDGE_LOG_LEVEL": "WARNING",
        }
        self.valkey: RestartableValkey | None = None
        python = [sys.executable, "-m", "bridge"]
        if split:
            self.valkey = RestartableValkey(root / "valkey", free_port())
            env["BRIDGE_REDIS_URL"] = self.valkey.url
            self.procs = [
                Proc([*python, "web"], env, root / "web.log"),
                Proc([*python, "worker"], env, root / "worker.log"),
            ]
        else:
            self.procs = [Proc([*python, "up"], env, root / "up.log", group=False)]
            self.procs[0].env.pop("BRIDGE_REDIS_URL", None)
        self._embedded_pid: int | None = None

    def start(self) -> None:
        if self.valkey is not None:
            self.valkey.start()
        for proc in self.procs:
            proc.start()

    def kill(self) -> None:
        """SIGKILL the bridge's processes; the Valkey lives on (`bridge up` adopts its own)."""
        self._embedded_pid = self._find_embedded()
        super().kill()

    def _find_embedded(self) -> int | None:
        url_file = self.root / "data" / "valkey.url"
        return valkey_pid(url_file.read_text().strip()) if url_file.exists() else None

    def store_pids(self) -> list[int]:
        if self.valkey is not None:
            pid = valkey_pid(self.valkey.url)
            return [pid] if pid else []
        # `bridge up`'s Valkey is its child, in its tree, until a kill orphans it.
        return [self._embedded_pid] if self._embedded_pid else []

    def stop(self) -> None:
        super().stop()
        if self.valkey is not None:
            self.valkey.stop()
        elif self._embedded_pid:  # adopted and shut down by the restarted `bridge up`, or not
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._embedded_pid, signal.SIGTERM)
