"""CORS for the browser SDKs (Payviox with a pk_ key, CubePay's modal call the API cross-origin).

The headers are exactly those of Starlette's `CORSMiddleware(allow_origins=["*"],
allow_methods=["*"], allow_headers=["*"])`, which this subclasses: a preflight (OPTIONS with
`Origin` and `Access-Control-Request-Method`) is still answered by Starlette's own code. Every
other response gets `Vary: Origin` (merged into a `Vary` it already has) and, when the request
has an `Origin`, `Access-Control-Allow-Origin: *`. Starlette builds two header objects per
request for that and looks `Origin` up twice (a miss raises and catches a KeyError each time);
scanning the raw ASGI headers instead saves ~24k instructions of the ~640k a
`POST /payviox/session` cost (callgrind, in-process).
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import rawheaders


class CORS(CORSMiddleware):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = scope["headers"]
        origin = rawheaders.first(request_headers, b"origin")
        if (
            origin is not None
            and scope["method"] == "OPTIONS"
            and rawheaders.first(request_headers, b"access-control-request-method") is not None
        ):
            await super().__call__(scope, receive, send)  # the preflight: Starlette answers it
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ()))
                decorate(origin, message["headers"])
            await send(message)

        await self.app(scope, receive, send_with_cors)


def decorate(origin: bytes | None, headers: rawheaders.Raw) -> None:
    """What the layer adds to an answer that is not a preflight, in place: `Vary: Origin`, and
    `Access-Control-Allow-Origin: *` when the request has an `Origin`. The provider operations
    `pipeline.Table` matches skip the layer (a wrapped `send` per request) and call this instead."""
    if origin is not None:
        rawheaders.put(headers, b"access-control-allow-origin", b"*")
    vary = [value for key, value in headers if key == b"vary"]
    rawheaders.put(headers, b"vary", b", ".join([*vary, b"Origin"]))
