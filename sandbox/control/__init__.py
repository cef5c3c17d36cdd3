"""The control plane under `/_sandbox`: inspect and drive the sandbox from tests and demos.

One route table; each handler lives in the module of its subject. GETs have no side effects.
"""

from __future__ import annotations

from starlette.routing import Route

from sandbox import ui
from sandbox.control import clock, coverage, namespaces, scenario, sessions, snapshot, tables, webhooks

_ROUTES = [
    Route("/health", scenario.health, methods=["GET"]),
    Route("/reset", scenario.reset, methods=["POST"]),
    Route("/clock", clock.clock, methods=["GET"]),
    Route("/clock/advance", clock.advance, methods=["POST"]),
    Route("/clock/set", clock.set_clock, methods=["POST"]),
    Route("/requests", sessions.requests, methods=["GET"]),
    Route("/events", sessions.events, methods=["GET"]),
    Route("/scenario", scenario.show, methods=["GET"]),
    Route("/scenario", scenario.load, methods=["PUT"]),
    Route("/providers", sessions.providers, methods=["GET"]),
    Route("/snapshot", snapshot.download, methods=["GET"]),
    Route("/snapshot", snapshot.restore, methods=["PUT"]),
    Route("/namespaces", namespaces.listing, methods=["GET"]),
    Route("/namespaces/{name}", namespaces.drop, methods=["DELETE"]),
    Route("/{provider}/sessions", sessions.sessions, methods=["GET"]),
    Route("/{provider}/sessions/{session_id}", sessions.session, methods=["GET"]),
    Route("/{provider}/sessions/{session_id}/actions/{action}", sessions.action, methods=["POST"]),
    Route("/webhooks", webhooks.deliveries, methods=["GET"]),
    Route("/webhooks/flush", webhooks.flush, methods=["POST"]),
    Route("/webhooks/endpoints", webhooks.endpoints, methods=["GET"]),
    Route("/webhooks/endpoints/{provider}/{merchant}", webhooks.set_endpoint, methods=["PUT"]),
    Route("/webhooks/{delivery_id}/redeliver", webhooks.redeliver, methods=["POST"]),
    Route("/inbox/{name}", webhooks.inbox, methods=["GET"]),
    Route("/inbox/{name}", webhooks.receive, methods=["POST"]),
    Route("/inbox/{name}", webhooks.expect, methods=["PUT"]),
    Route("/coverage", coverage.show, methods=["GET"]),
    Route("/coverage/reset", coverage.reset, methods=["POST"]),
    *tables.routes("mandates"),  # CDP's (last: `/{provider}/mandates` must not shadow a fixed path)
]

# The dashboard's routes first (`/ui/sessions` is not a provider's sessions); every mutating route
# tells open dashboards that something changed (ui/events.py).
ROUTES = ui.ROUTES + ui.notifying(_ROUTES)
