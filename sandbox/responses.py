"""A handler's `Reply` as the Starlette `Response` that goes on the wire."""

from __future__ import annotations

from starlette.responses import Response

from sandbox import jsonwire
from sandbox.contract import Reply


def to_response(reply: Reply) -> Response:
    if reply.html is not None:
        return Response(reply.html, reply.status, reply.headers, media_type="text/html; charset=utf-8")
    if reply.encoded is not None:
        return Response(reply.encoded, reply.status, reply.headers, media_type="application/json")
    if reply.body is None:
        return Response(None, reply.status, reply.headers)
    return Response(jsonwire.dumps(reply.body), reply.status, reply.headers, media_type="application/json")
