"""CORS for the browser SDKs: the sandbox's headers are Starlette's CORSMiddleware's with `*`.

`sandbox.cors.CORS` is a cheaper rewrite of the simple-response path, so every case is compared
with what Starlette's own middleware answers on the same inner app, header for header and in
order, besides checking the headers a browser needs on the sandbox itself.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.cors import CORS

pytestmark = pytest.mark.anyio


async def plain(request: Request) -> Response:
    return JSONResponse({"ok": True}, 201)


async def varied(request: Request) -> Response:
    # a response that already varies on something, in two header lines
    return Response("x", headers={"Vary": "Accept-Encoding"}, media_type="text/plain")


async def varied_twice(request: Request) -> Response:
    response = Response("x", media_type="text/plain")
    response.raw_headers += [(b"vary", b"Accept"), (b"vary", b"Cookie")]
    return response


async def allows_origin(request: Request) -> Response:
    return Response("x", headers={"Access-Control-Allow-Origin": "http://one.test"})


ROUTES = [
    Route("/plain", plain, methods=["GET", "POST", "OPTIONS"]),
    Route("/varied", varied),
    Route("/varied-twice", varied_twice),
    Route("/allows-origin", allows_origin),
]
STARLETTE = Starlette(
    routes=ROUTES,
    middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])],
)
OURS = Starlette(routes=ROUTES, middleware=[Middleware(CORS)])

CASES = [
    ("GET", "/plain", {}),
    ("GET", "/plain", {"Origin": "http://shop.test"}),
    ("POST", "/plain", {"Origin": "http://shop.test", "Content-Type": "application/json"}),
    ("GET", "/varied", {}),
    ("GET", "/varied", {"Origin": "http://shop.test"}),
    ("GET", "/varied-twice", {"Origin": "http://shop.test"}),
    ("GET", "/allows-origin", {"Origin": "http://shop.test"}),
    ("GET", "/allows-origin", {}),
    ("GET", "/nowhere", {"Origin": "http://shop.test"}),
    ("OPTIONS", "/plain", {"Origin": "http://shop.test"}),  # no Access-Control-Request-Method: not a preflight
    ("OPTIONS", "/plain", {"Access-Control-Request-Method": "POST"}),  # no Origin: not a preflight
    (
        "OPTIONS",
        "/plain",
        {
            "Origin": "http://shop.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    ),
    ("OPTIONS", "/plain", {"Origin": "http://shop.test", "Access-Control-Request-Method": "BREW"}),
    (
        "OPTIONS",
        "/plain",
        {
            "Origin": "http://shop.test",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
    ),
]


async def answer(app: Starlette, method: str, path: str, headers: dict[str, str]) -> tuple[int, list, bytes]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.request(method, path, headers=headers)
    return response.status_code, response.headers.raw, response.content


@pytest.mark.parametrize(("method", "path", "headers"), CASES)
async def test_same_answer_as_starlettes_cors_middleware(method: str, path: str, headers: dict[str, str]) -> None:
    assert await answer(OURS, method, path, headers) == await answer(STARLETTE, method, path, headers)


async def test_sandbox_answers_a_cross_origin_call_with_the_headers_a_browser_needs(
    client: httpx.AsyncClient,
) -> None:
    cross = await client.get("/payviox/payment-methods", headers={"Origin": "http://shop.test"})
    assert cross.headers["access-control-allow-origin"] == "*"
    assert cross.headers["vary"] == "Origin"
    same = await client.get("/payviox/payment-methods")
    assert "access-control-allow-origin" not in same.headers
    assert same.headers["vary"] == "Origin"
    preflight = await client.options(
        "/cubepay/api/v1/payments",
        headers={"Origin": "http://shop.test", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
