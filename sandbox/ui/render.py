"""Jinja2 rendering for the dashboard and the landing page: autoescaped, loaded on first use.

Autoescape is on for every template (merchant metadata, item names and webhook bodies are
attacker-controlled). The environment is built on the first page asked for, so `sandbox serve`
does not pay Jinja2's import before its first API answer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from sandbox import __version__
from sandbox.state import Sandbox

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).parent


@cache
def environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def sandbox_of(request: Request) -> Sandbox:
    found: Sandbox = request.scope["sandbox"]
    return found


def root_of(request: Request) -> str:
    """The namespace's prefix ("" for the default), inside or outside the /_sandbox mount."""
    scope = request.scope
    return str(scope.get("app_root_path", scope.get("root_path", "")))


def page(request: Request, template: str, code: int = 200, **context: Any) -> HTMLResponse:
    sandbox = sandbox_of(request)
    root = root_of(request)
    namespace = root.rsplit("/", 1)[-1] if root else "default"
    html = (
        environment()
        .get_template(template)
        .render(
            root=root,
            ui=f"{root}/_sandbox/ui",
            namespace=namespace,
            version=__version__,
            narration=sandbox.changes.narration,
            now=sandbox.clock.describe(),
            **context,
        )
    )
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return HTMLResponse(html, code, headers=headers)
