"""A webhook receiver for tests, benchmarks and the demo: records every delivery.

It answers `POST /<anything>` with 200, or with the failure it was told to give:
`POST /_control` with JSON {"fail_next": N, "fail_status": 500, "fail_ratio": 0.5,
"delay": 0.2, "retry_after": 3} changes that; `GET /_deliveries` lists what arrived (with
the Standard Webhooks headers; `?count=1` only counts them) and `DELETE /_deliveries`
forgets it. `python -m bridge.loopback.receiver --port N` runs one in a process of its own.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Delivery:
    """One request the receiver got."""

    path: str
    webhook_id: str | None
    headers: dict[str, str]
    body: bytes
    received_at: float
    status: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "webhook_id": self.webhook_id,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "received_at": self.received_at,
            "status": self.status,
        }


@dataclass
class ReceiverState:
    """What the receiver does next, and what it has seen."""

    fail_next: int = 0
    fail_status: int = 500
    fail_ratio: float = 0.0
    delay: float = 0.0
    retry_after: float | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def next_status(self) -> int:
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fail_status
        if self.fail_ratio and random.random() < self.fail_ratio:
            return self.fail_status
        return 200

    def delivered(self, ok_only: bool = True) -> list[Delivery]:
        return [d for d in self.deliveries if not ok_only or d.status < 300]


async def _receive(request: Request) -> Response:
    state: ReceiverState = request.app.state.receiver
    body = await request.body()
    if state.delay:
        await asyncio.sleep(state.delay)
    status = state.next_status()
    state.deliveries.append(
        Delivery(
            path=request.url.path,
            webhook_id=request.headers.get("webhook-id"),
            headers=dict(request.headers),
            body=body,
            received_at=time.time(),
            status=status,
        )
    )
    headers = {}
    if status == 429 and state.retry_after is not None:
        headers["Retry-After"] = str(state.retry_after)
    return JSONResponse({"ok": status < 300}, status_code=status, headers=headers)


async def _control(request: Request) -> Response:
    state: ReceiverState = request.app.state.receiver
    changes = await request.json()
    for name in ("fail_next", "fail_status", "fail_ratio", "delay", "retry_after"):
        if name in changes:
            setattr(state, name, changes[name])
    return JSONResponse({"ok": True})


async def _deliveries(request: Request) -> Response:
    state: ReceiverState = request.app.state.receiver
    if request.method == "DELETE":
        state.deliveries.clear()
        return JSONResponse({"ok": True})
    if request.query_params.get("count"):
        return JSONResponse({"count": len(state.deliveries), "ok": len(state.delivered())})
    return JSONResponse([d.to_dict() for d in state.deliveries])


def create_receiver() -> Starlette:
    """A fresh receiver app; its state is `app.state.receiver`."""
    app = Starlette(
        routes=[
            Route("/_control", _control, methods=["POST"]),
            Route("/_deliveries", _deliveries, methods=["GET", "DELETE"]),
            Route("/{path:path}", _receive, methods=["POST", "PUT", "PATCH", "DELETE"]),
        ]
    )
    app.state.receiver = ReceiverState()
    return app


def main(argv: list[str] | None = None) -> int:
    """`python -m bridge.loopback.receiver --port N`: a receiver in a process of its own.

    Benchmarks run it apart from their load generator, so the two do not share one GIL.
    """
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(prog="bridge.loopback.receiver", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_receiver(), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
