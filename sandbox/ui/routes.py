"""The dashboard's pages under `/_sandbox/ui/` (per namespace), its assets, and the landing page.

Every page is a GET that reads the sandbox (views.py) and renders a template (render.py); the
page's script (static/dashboard.js) refreshes its live regions when the SSE stream (events.py)
says the sandbox changed, and sends every change through the control API itself.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from sandbox.ui import views
from sandbox.ui.render import HERE, page, root_of, sandbox_of

STATIC = HERE / "static"
_ASSET = re.compile(r"[a-z][a-z0-9-]*\.(js|css|svg|ico)")
_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml", "ico": "image/x-icon"}
# The shipped scenarios (the repository's scenarios/ folder), when the package runs from a checkout.
SCENARIOS = HERE.parents[1] / "scenarios"
_SCENARIO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.yaml")


def _scenarios() -> list[str]:
    return sorted(path.name for path in SCENARIOS.glob("*.yaml")) if SCENARIOS.is_dir() else []


def _query(request: Request, name: str) -> str:
    return request.query_params.get(name, "")[:200]


async def home(request: Request) -> Response:
    return RedirectResponse(f"{root_of(request)}/_sandbox/ui/", 308)


async def overview(request: Request) -> Response:
    sandbox = sandbox_of(request)
    return page(request, "overview.html", current="overview", data=views.overview(sandbox), shipped=_scenarios())


async def sessions(request: Request) -> Response:
    sandbox = sandbox_of(request)
    sandbox.expire_due()
    provider, merchant, status = (_query(request, key) for key in ("provider", "merchant", "status"))
    rows, matched = views.sessions(sandbox, provider, merchant, status)
    return page(
        request, "sessions.html", current="sessions", rows=rows, matched=matched, providers=list(sandbox.providers),
        provider=provider, merchant=merchant, status=status,
    )  # fmt: skip


async def session(request: Request) -> Response:
    sandbox = sandbox_of(request)
    sandbox.expire_due()
    spec = sandbox.providers.get(request.path_params["provider"])
    record = sandbox.store.get(spec.name, request.path_params["session_id"]) if spec is not None else None
    if spec is None or record is None:
        return page(request, "missing.html", 404, current="sessions", what="session")
    detail = views.session_detail(sandbox, spec, record, root_of(request))
    return page(request, "session.html", current="sessions", detail=detail)


async def requests(request: Request) -> Response:
    sandbox = sandbox_of(request)
    chosen = {
        "provider": _query(request, "provider"),
        "status_class": _query(request, "status"),
        "path": _query(request, "path"),
    }
    rows, matched = views.requests(sandbox, **chosen)
    return page(
        request, "requests.html", current="requests", rows=rows, matched=matched, providers=list(sandbox.providers),
        provider=chosen["provider"], status=chosen["status_class"], path=chosen["path"],
    )  # fmt: skip


async def request_detail(request: Request) -> Response:
    text = request.path_params["entry_id"]
    entry = (
        sandbox_of(request).journal.find(int(text)) if text.isascii() and text.isdigit() and len(text) < 12 else None
    )
    if entry is None:
        return page(request, "missing.html", 404, current="requests", what="request")
    return page(request, "request.html", current="requests", detail=views.request_detail(entry))


async def webhooks(request: Request) -> Response:
    return page(request, "webhooks.html", current="webhooks", data=views.webhooks(sandbox_of(request)))


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    path = STATIC / name
    if not _ASSET.fullmatch(name) or not path.is_file():
        return JSONResponse({"error": "not_found", "message": f"no asset {name[:80]!r}"}, 404)
    kind = name.rsplit(".", 1)[1]
    return Response(path.read_bytes(), media_type=_TYPES[kind], headers={"Cache-Control": "public, max-age=3600"})


async def shipped_scenario(request: Request) -> Response:
    name = request.path_params["name"]
    if not _SCENARIO.fullmatch(name) or name not in _scenarios():
        return JSONResponse({"error": "not_found", "message": f"no shipped scenario {name[:80]!r}"}, 404)
    return PlainTextResponse((SCENARIOS / name).read_text(encoding="utf-8"), media_type="text/yaml")


async def favicon(request: Request) -> Response:
    return Response((STATIC / "favicon.ico").read_bytes(), media_type="image/x-icon",
                    headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip


def wants_html(request: Request) -> bool:
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")


async def landing(request: Request) -> Response:
    """`/` for a browser. The caller (app.py) answers API clients with its JSON 404 instead."""
    sandbox = sandbox_of(request)
    root = root_of(request)
    origin = f"{request.url.scheme}://{request.url.netloc}"
    providers = [
        {
            "name": spec.name,
            "title": spec.title,
            "base_url": f"{origin}{root}{spec.base_path}",
            "merchant": spec.test_merchant("demo"),
            "credentials": spec.test_credentials("demo"),
        }
        for spec in sandbox.providers.values()
    ]
    hosted = None
    cdp = sandbox.providers.get("cdp")
    if cdp is not None:
        newest = next(reversed(sandbox.store.of_provider("cdp")), None)
        if newest is not None:
            hosted = (cdp.describe(newest, root).get("sandbox") or {}).get("hosted_page")
    return page(
        request, "landing.html", current="landing", providers=providers, hosted=hosted, origin=origin,
        seed=sandbox.entropy.seed, scenario=sandbox.scenario.name, namespace_list=None,
    )  # fmt: skip
