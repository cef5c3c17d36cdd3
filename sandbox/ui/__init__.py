"""The live dashboard (`/_sandbox/ui/`) and the landing page (`/` for browsers).

`ROUTES` go under the control plane's `/_sandbox` mount (control/__init__.py); `landing` and
`favicon` are the app's own root routes (app.py). Modules: `routes` (pages and assets),
`views` (what each page shows, read from the sandbox), `render` (Jinja2, autoescaped),
`events` (the SSE stream, narration, change notification). Templates in `templates/`, the
script, style and icons in `static/`.
"""

from __future__ import annotations

from starlette.routing import Route

from sandbox.ui import events, routes
from sandbox.ui.events import close_streams, notifying
from sandbox.ui.routes import favicon, landing, wants_html

__all__ = ["ROUTES", "close_streams", "favicon", "landing", "notifying", "wants_html"]

ROUTES = [
    Route("/ui", routes.home, methods=["GET"]),
    Route("/ui/", routes.overview, methods=["GET"]),
    Route("/ui/sessions", routes.sessions, methods=["GET"]),
    Route("/ui/sessions/{provider}/{session_id}", routes.session, methods=["GET"]),
    Route("/ui/requests", routes.requests, methods=["GET"]),
    Route("/ui/requests/{entry_id}", routes.request_detail, methods=["GET"]),
    Route("/ui/webhooks", routes.webhooks, methods=["GET"]),
    Route("/ui/stream", events.Stream(), methods=["GET"]),
    Route("/ui/static/{name}", routes.asset, methods=["GET"]),
    Route("/ui/scenarios/{name}", routes.shipped_scenario, methods=["GET"]),
    Route("/narration", events.narration, methods=["POST"]),
]
