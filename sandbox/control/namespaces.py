"""The server's namespaces: list them, drop one and everything in it.

GET    /_sandbox/namespaces          name, seed, clock, scenario, sessions, requests, idle time
DELETE /_sandbox/namespaces/{name}   the namespace and all its state; its next use starts afresh
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sandbox.control._http import error, json_response
from sandbox.namespaces import InvalidName, Namespaces


def _namespaces(request: Request) -> Namespaces:
    found: Namespaces = request.app.state.namespaces
    return found


async def listing(request: Request) -> Response:
    namespaces = _namespaces(request)
    limits = namespaces.limits
    return json_response(
        {
            "namespaces": namespaces.list(),
            "max_namespaces": limits.max_namespaces,
            "idle_seconds": limits.idle_seconds,
        }
    )


async def drop(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        dropped = _namespaces(request).drop(name)
    except InvalidName as problem:
        return error(400, "invalid_namespace", str(problem))
    if not dropped:
        return error(404, "not_found", f"no namespace {name!r}")
    return json_response({"dropped": name})
