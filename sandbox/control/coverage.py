"""Contract coverage of this sandbox (or namespace): what was exercised, and what never was.

`GET /_sandbox/coverage` is `Coverage.report()` (sandbox/coverage.py): every operation, lifecycle
transition, error kind, webhook event and fault kind of each provider with its counts, 0 where
nothing hit it. The counts outlive `POST /_sandbox/reset` and scenario loads, so a suite that
resets before every test reads its total once; `POST /_sandbox/coverage/reset` starts afresh.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sandbox.control._http import json_response, sandbox_of


async def show(request: Request) -> Response:
    return json_response(sandbox_of(request).coverage.report())


async def reset(request: Request) -> Response:
    sandbox_of(request).coverage.reset()
    return json_response({"status": "reset"})
