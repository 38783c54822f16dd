"""The loopback receiver with one more route for long runs: `POST /_take`.

    python -m bench.receiver --port N      (from the repository's root)

`bridge.loopback.receiver` keeps every delivery (headers and body) until `DELETE
/_deliveries`, and a `GET` then a `DELETE` forgets whatever arrived between the two. A
soak at 300 steps/s for 3 minutes is 54,000 deliveries, so the bench takes them instead:
`POST /_take` answers the deliveries so far, `[[path, body, received_at, status], ...]`,
and forgets them in the same step (one event loop, no await in between: none is lost or
seen twice). The receiver keeps at most one sampling window's deliveries.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge.loopback.receiver import ReceiverState, create_receiver


async def _take(request: Request) -> Response:
    state: ReceiverState = request.app.state.receiver
    taken, state.deliveries = state.deliveries, []
    return JSONResponse(
        [[d.path, d.body.decode("utf-8", "replace"), d.received_at, d.status] for d in taken]
    )


def create_bench_receiver() -> Starlette:
    """`bridge.loopback.receiver`'s app with `POST /_take` ahead of its catch-all route."""
    app = create_receiver()
    app.router.routes.insert(0, Route("/_take", _take, methods=["POST"]))
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.receiver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_bench_receiver(),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
