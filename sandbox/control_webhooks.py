"""The control plane's webhook routes: the delivery log, redelivery, endpoints and inboxes.

    GET  /_sandbox/webhooks[?provider=&session_id=&event=&state=&merchant=]   every delivery and attempt
    POST /_sandbox/webhooks/flush                     attempt everything due now (tests on the ASGI transport)
    POST /_sandbox/webhooks/{id}/redeliver            send the same body again, as a new delivery
    GET  /_sandbox/webhooks/endpoints                 where each merchant's webhooks go
    PUT  /_sandbox/webhooks/endpoints/{provider}/{merchant}   {"url", "secret", "events"}
    PUT  /_sandbox/inbox/{name}                       {"provider", "secret"}: what signature to expect
    POST /_sandbox/inbox/{name}                       receive a delivery (any provider's format)
    GET  /_sandbox/inbox/{name}                       what arrived, each marked verified or not

With no endpoint set, a merchant's webhooks go to the inbox named `{provider}-{merchant}`,
signed with the provider's default test secret, so a demo without a merchant backend still
shows every event.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import pipeline
from sandbox.control import _body, _error, _json, _sandbox
from sandbox.webhooks import Endpoint, WebhookSource


async def deliveries(request: Request) -> Response:
    return _json({"deliveries": _sandbox(request).webhooks.list(request.query_params)})


async def flush(request: Request) -> Response:
    sandbox = _sandbox(request)
    sandbox.expire_due()
    done = await sandbox.dispatcher.deliver_due(sandbox)
    return _json({"attempted": [delivery.id for delivery in done]})


async def redeliver(request: Request) -> Response:
    sandbox = _sandbox(request)
    original = sandbox.webhooks.get(request.path_params["delivery_id"])
    if original is None:
        return _error(404, "not_found", f"no delivery {request.path_params['delivery_id']!r}")
    copy = sandbox.webhooks.redeliver(original, sandbox.clock.now())
    await sandbox.dispatcher.deliver_due(sandbox)
    return _json(copy.public())


async def endpoints(request: Request) -> Response:
    """The control API's endpoints, then those made through a provider's own API (with their id)."""
    ledger = _sandbox(request).webhooks
    listed: list[dict[str, Any]] = [
        {
            "provider": provider,
            "merchant": merchant,
            "url": endpoint.url,
            "events": sorted(endpoint.events) if endpoint.events is not None else None,
        }
        for (provider, merchant), endpoint in ledger.endpoints.items()
    ]
    listed += [
        {
            "provider": provider,
            "merchant": merchant,
            "url": endpoint.url,
            "events": sorted(endpoint.events) if endpoint.events is not None else None,
            "subscription": endpoint.id,
            "enabled": endpoint.enabled,
        }
        for (provider, merchant), made in ledger.subscriptions.items()
        for endpoint in made.values()
    ]
    return _json({"endpoints": listed})


async def set_endpoint(request: Request) -> Response:
    sandbox = _sandbox(request)
    provider = sandbox.providers.get(request.path_params["provider"])
    if not isinstance(provider, WebhookSource):
        return _error(404, "not_found", f"{request.path_params['provider']!r} is not a provider that sends webhooks")
    body = await _body(request)
    merchant = request.path_params["merchant"]
    url, secret, events = (body or {}).get("url"), (body or {}).get("secret"), (body or {}).get("events")
    if body is None or not (url is None or isinstance(url, str)) or not (secret is None or isinstance(secret, str)):
        shape = 'body must be {"url": str or null, "secret": str, "events": [str] or null}'
        return _error(400, "invalid_request", shape)
    if events is not None and not (isinstance(events, list) and all(isinstance(item, str) for item in events)):
        return _error(
            400, "invalid_request", "events must be a list of event types, or null for the provider's default"
        )
    endpoint = Endpoint(url, secret or provider.webhook_secret(merchant), frozenset(events) if events else None)
    sandbox.webhooks.endpoints[(provider.name, merchant)] = endpoint
    return _json(
        {
            "provider": provider.name,
            "merchant": merchant,
            "url": url,
            "events": sorted(endpoint.events) if endpoint.events else None,
        }
    )


async def expect(request: Request) -> Response:
    sandbox = _sandbox(request)
    body = await _body(request) or {}
    provider = sandbox.providers.get(str(body.get("provider")))
    if not isinstance(provider, WebhookSource) or not isinstance(body.get("secret"), str):
        shape = 'body must be {"provider": <a provider that sends webhooks>, "secret": str}'
        return _error(400, "invalid_request", shape)
    sandbox.webhooks.expectations[request.path_params["name"]] = (provider.name, body["secret"])
    return _json({"inbox": request.path_params["name"], "provider": provider.name})


async def receive(request: Request) -> Response:
    """Accept a delivery; verify it if the inbox was told what to expect, or is a merchant's default."""
    sandbox = _sandbox(request)
    name = request.path_params["name"]
    raw = await pipeline.read_body(request, sandbox.settings.body_limit)  # over it: 413 (app.py)
    expected = sandbox.webhooks.expectation(name, sandbox.providers)
    verified = None
    if expected is not None:
        provider, secret = expected
        verified = provider.webhook_policy.verify(raw, request.headers, secret)
    entry = {"headers": dict(request.headers), "body": raw.decode(errors="replace"), "verified": verified}
    sandbox.webhooks.receive(name, entry)
    return _json({"received": True, "verified": verified})


async def inbox(request: Request) -> Response:
    entries = list(_sandbox(request).webhooks.inboxes.get(request.path_params["name"], []))
    return _json({"inbox": request.path_params["name"], "deliveries": entries})


def routes() -> list[Route]:
    return [
        Route("/webhooks", deliveries, methods=["GET"]),
        Route("/webhooks/flush", flush, methods=["POST"]),
        Route("/webhooks/endpoints", endpoints, methods=["GET"]),
        Route("/webhooks/endpoints/{provider}/{merchant}", set_endpoint, methods=["PUT"]),
        Route("/webhooks/{delivery_id}/redeliver", redeliver, methods=["POST"]),
        Route("/inbox/{name}", inbox, methods=["GET"]),
        Route("/inbox/{name}", receive, methods=["POST"]),
        Route("/inbox/{name}", expect, methods=["PUT"]),
    ]
