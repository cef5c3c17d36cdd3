"""What every control route shares: JSON answers, the sandbox's own error envelope, bodies.

Errors on the control plane are the sandbox's own (`{"error": code, "message"}`), except the
session actions, which answer in the provider's envelope (sessions.py).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import jsonwire, pipeline
from sandbox.contract import ProviderSpec
from sandbox.state import Sandbox


def json_response(body: Any, status: int = 200) -> Response:
    return Response(jsonwire.dumps(body), status, media_type="application/json")


def error(status: int, code: str, message: str) -> Response:
    return json_response({"error": code, "message": message}, status)


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox of the request's namespace (app.NamespaceRouter put it in the scope)."""
    found: Sandbox = request.scope["sandbox"]
    return found


def provider_of(request: Request) -> ProviderSpec | None:
    """The provider the path names (`{provider}`), or None."""
    return sandbox_of(request).providers.get(request.path_params["provider"])


def no_provider(request: Request) -> Response:
    return error(404, "not_found", f"no provider {request.path_params['provider']!r}")


async def read_object(request: Request) -> dict[str, Any] | None:
    """The JSON object body ({} when empty); None when it is not one. Over the size cap: 413 (app.py)."""
    raw = await pipeline.read_body(request, sandbox_of(request).body_limit)
    if not raw.strip():
        return {}
    try:
        value = jsonwire.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
