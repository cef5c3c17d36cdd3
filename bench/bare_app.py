"""The baseline: one bare Starlette route on the same server stack as the sandbox.

It reads the body and answers 201 with a small JSON object, like `POST /payviox/session` does,
so the ratio sandbox/bare measures what the sandbox adds on top of Starlette and uvicorn.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def session(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"session_id": "0123456789abcdefghijklmnopqrstuv"}, status_code=201)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/payviox/session", session, methods=["POST"]), Route("/_sandbox/health", health)])
