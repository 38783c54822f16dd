"""The `bridge` command: one sub-command per part of design.md.

Each sub-command imports its part only when run, so `bridge --help` and `bridge rules
check` stay fast and a part that fails to import cannot break the others.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from redis.exceptions import RedisError

from bridge import __version__
from bridge.exceptions import BridgeError, ConfigError
from bridge.settings import Settings, load_settings

logger = logging.getLogger("bridge.cli")


def _duration(text: str) -> float:
    """Seconds from `90`, `90s`, `15m`, `2h` or `1d`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 15m, 2h, 1d)") from None


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bridge",
        description="perfex-bridge: Perfex CRM events and webhooks in, rules, steps out.",
    )
    parser.add_argument("--version", action="version", version=f"perfex-bridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    up = commands.add_parser("up", help="web + worker + poller in one process")
    up.add_argument(
        "--backfill",
        type=_duration,
        metavar="DURATION",
        help="fire for records of this window on first start",
    )
    commands.add_parser("web", help="the HTTP part: /hooks, admin API, dashboard, metrics")
    commands.add_parser("worker", help="run steps from the queue (arq)")
    poller = commands.add_parser("poller", help="poll Perfex and store events")
    poller.add_argument(
        "--backfill",
        type=_duration,
        metavar="DURATION",
        help="fire for records of this window on first start",
    )

    rules = commands.add_parser("rules", help="check and dry-run rules")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = rules_commands.add_parser("check", help="validate rules; exit 1 on any problem")
    check.add_argument("path", nargs="?", help="a rules file or directory (default BRIDGE_RULES)")
    test = rules_commands.add_parser("test", help="dry run an event through the rules")
    test.add_argument("--event", required=True, metavar="FILE", help="an event as JSON")
    test.add_argument(
        "--rules", metavar="PATH", help="a rules file or directory (default BRIDGE_RULES)"
    )

    sandbox = commands.add_parser("sandbox", help="run the Perfex API sandbox")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8080)
    sandbox.add_argument("--db", metavar="PATH", help="keep state in this SQLite file")
    sandbox.add_argument("--seed", action="store_true", help="start with sample records")
    sandbox.add_argument("--token", default="sandbox-token", help="the API token it accepts")
    sandbox.add_argument(
        "--control-token", help="token of the /_sandbox/ control API (default: --token)"
    )

    commands.add_parser("demo", help="sandbox + Valkey + bridge + example rules, seeded")

    dlq = commands.add_parser("dlq", help="the dead-letter queue")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    dlq_commands.add_parser("list", help="list dead letters")
    replay = dlq_commands.add_parser("replay", help="send dead letters back to the queue")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="a dead letter's id")
    which.add_argument("--all", action="store_true", help="every dead letter")

    events = commands.add_parser("events", help="stored events")
    events_commands = events.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    event_replay = events_commands.add_parser(
        "replay", help="run an event through the current rules again"
    )
    event_replay.add_argument("event_id")

    perfex = commands.add_parser("perfex", help="the Perfex install: its webhooks")
    perfex_commands = perfex.add_subparsers(dest="perfex_command", metavar="AREA", required=True)
    hooks = perfex_commands.add_parser("webhooks", help="the webhook Perfex pushes events with")
    hooks_commands = hooks.add_subparsers(dest="webhooks_command", metavar="ACTION", required=True)
    register = hooks_commands.add_parser("register", help="create or update, fresh secret")
    register.add_argument("--url", required=True, help="the bridge's /hooks/<name> URL")
    register.add_argument("--events", help="comma list of module events (default: *)")
    hooks_commands.add_parser("list", help="every webhook of the install")
    remove = hooks_commands.add_parser("remove", help="delete a webhook (default: the bridge's)")
    remove.add_argument("id", nargs="?", type=int, help="webhook id")
    return parser


def _call(target: str, *args: Any, **kwargs: Any) -> int:
    """Import `module:function` and run it; a part not built yet says so plainly."""
    module_name, function_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            print(f"bridge: {module_name} is not built yet", file=sys.stderr)
            return 2
        raise
    function: Callable[..., int | None] = getattr(module, function_name)
    return function(*args, **kwargs) or 0


def _settings() -> Settings:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _redact_logs(settings)
    from bridge.rules.budget import configure

    configure(settings.render_timeout, settings.render_max_size)
    return settings


def _redact_logs(settings: Settings) -> None:
    """No log line of this process, a library's included, may carry a secret."""
    from bridge.redaction import install_log_redaction

    tokens = (settings.perfex_token, settings.admin_token)
    install_log_redaction(token.get_secret_value() for token in tokens if token is not None)


def run(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the chosen command; returns the exit code."""
    args = _build_parser().parse_args(argv)
    match args.command:
        case "rules" if args.rules_command == "check":
            return _call("bridge.rules.cli:check", args.path)
        case "rules":
            return _call("bridge.rules.cli:test", args.event, args.rules)
        case "sandbox":
            logging.basicConfig(level=logging.INFO)
            return _call(
                "bridge.sandbox.server:run",
                host=args.host,
                port=args.port,
                db_path=args.db,
                seed=args.seed,
                token=args.token,
                control_token=args.control_token,
            )
        case "demo":
            return _call("bridge.demo:run_demo")
        case "web":
            return _call("bridge.web.server:run_web", _settings())
        case "worker":
            return _call("workers.worker:run_worker", _settings())
        case "poller":
            settings = _settings()
            settings.require_perfex()
            return _call("workers.poller:run_poller", settings, backfill=args.backfill)
        case "up":
            return _call("bridge.up:run_up", _settings(), backfill=args.backfill)
        case "dlq" if args.dlq_command == "list":
            return _call("bridge.executor.admin_cli:dlq_list", _settings())
        case "dlq":
            return _call("bridge.executor.admin_cli:dlq_replay", _settings(), args.id, args.all)
        case "events":
            return _call("bridge.executor.admin_cli:event_replay", _settings(), args.event_id)
        case "perfex" if args.webhooks_command == "register":
            return _call("bridge.perfex.webhooks_cli:register", _settings(), args.url, args.events)
        case "perfex" if args.webhooks_command == "list":
            return _call("bridge.perfex.webhooks_cli:list_", _settings())
        case "perfex":
            return _call("bridge.perfex.webhooks_cli:remove", _settings(), args.id)
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: a bridge error is one line on stderr and a non-zero exit."""
    try:
        code = run(argv)
    except ConfigError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        code = 2
    except BridgeError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        code = 1
    except RedisError as exc:  # unreachable at start: one line, not a traceback
        print(f"bridge: Redis is unavailable: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # `bridge rules test ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
