"""The control plane's webhook routes: the delivery log, redelivery, endpoints and inboxes.

    GET  /_sandbox/webhooks[?provider=&session_id=&event=&state=&merchant=]   every delivery and attempt
    POST /_sandbox/webhooks/flush                     attempt every pending delivery now, whatever its backoff
    POST /_sandbox/webhooks/{id}/redeliver            send the same body again now, as a new delivery
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

from sandbox import pipeline
from sandbox.contract import ProviderSpec, Webhooking
from sandbox.control._http import error, json_response, read_object, sandbox_of
from sandbox.state import Sandbox
from sandbox.webhooks import Endpoint


def _sender(sandbox: Sandbox, name: str) -> tuple[ProviderSpec, Webhooking] | None:
    """The provider called `name` and its webhooks, if it sends any."""
    provider = sandbox.providers.get(name)
    if provider is None or provider.webhooks is None:
        return None
    return provider, provider.webhooks


async def deliveries(request: Request) -> Response:
    return json_response({"deliveries": sandbox_of(request).webhooks.list(request.query_params)})


async def flush(request: Request) -> Response:
    sandbox = sandbox_of(request)
    sandbox.expire_due()
    done = await sandbox.dispatcher.deliver_due(sandbox, force=True)  # each such attempt is marked forced
    return json_response({"attempted": [delivery.id for delivery in done]})


async def redeliver(request: Request) -> Response:
    sandbox = sandbox_of(request)
    original = sandbox.webhooks.get(request.path_params["delivery_id"])
    if original is None:
        return error(404, "not_found", f"no delivery {request.path_params['delivery_id']!r}")
    copy = sandbox.webhooks.redeliver(original, sandbox.clock.now())
    await sandbox.dispatcher.attempt_now(sandbox, copy)  # not after the session's deliveries waiting out a backoff
    await sandbox.dispatcher.deliver_due(sandbox)
    return json_response(copy.public())


async def endpoints(request: Request) -> Response:
    """The control API's endpoints, then those made through a provider's own API (with their id)."""
    ledger = sandbox_of(request).webhooks
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
    return json_response({"endpoints": listed})


async def set_endpoint(request: Request) -> Response:
    sandbox = sandbox_of(request)
    sender = _sender(sandbox, request.path_params["provider"])
    if sender is None:
        return error(404, "not_found", f"{request.path_params['provider']!r} is not a provider that sends webhooks")
    provider, hooks = sender
    body = await read_object(request)
    merchant = request.path_params["merchant"]
    url, secret, events = (body or {}).get("url"), (body or {}).get("secret"), (body or {}).get("events")
    if body is None or not (url is None or isinstance(url, str)) or not (secret is None or isinstance(secret, str)):
        shape = 'body must be {"url": str or null, "secret": str, "events": [str] or null}'
        return error(400, "invalid_request", shape)
    if events is not None and not (isinstance(events, list) and all(isinstance(item, str) for item in events)):
        return error(400, "invalid_request", "events must be a list of event types, or null for the provider's default")
    endpoint = Endpoint(url, secret or hooks.secret(merchant), frozenset(events) if events else None)
    sandbox.webhooks.endpoints[(provider.name, merchant)] = endpoint
    return json_response(
        {
            "provider": provider.name,
            "merchant": merchant,
            "url": url,
            "events": sorted(endpoint.events) if endpoint.events else None,
        }
    )


async def expect(request: Request) -> Response:
    sandbox = sandbox_of(request)
    body = await read_object(request) or {}
    sender = _sender(sandbox, str(body.get("provider")))
    if sender is None or not isinstance(body.get("secret"), str):
        shape = 'body must be {"provider": <a provider that sends webhooks>, "secret": str}'
        return error(400, "invalid_request", shape)
    provider = sender[0]
    sandbox.webhooks.expectations[request.path_params["name"]] = (provider.name, body["secret"])
    return json_response({"inbox": request.path_params["name"], "provider": provider.name})


async def receive(request: Request) -> Response:
    """Accept a delivery; verify it if the inbox was told what to expect, or is a merchant's default."""
    sandbox = sandbox_of(request)
    name = request.path_params["name"]
    raw = await pipeline.read_body(request, sandbox.body_limit)  # over it: 413 (app.py)
    expected = _expectation(sandbox, name)
    verified = None
    if expected is not None:
        hooks, secret = expected
        verified = hooks.policy.verify(raw, request.headers, secret)
    entry = {"headers": dict(request.headers), "body": raw.decode(errors="replace"), "verified": verified}
    sandbox.webhooks.receive(name, entry)
    return json_response({"received": True, "verified": verified})


async def inbox(request: Request) -> Response:
    entries = list(sandbox_of(request).webhooks.inboxes.get(request.path_params["name"], []))
    return json_response({"inbox": request.path_params["name"], "deliveries": entries})


def _expectation(sandbox: Sandbox, name: str) -> tuple[Webhooking, str] | None:
    """What an inbox verifies against: what it was told, else `{provider}-{merchant}`'s secret."""
    provider_name, secret = sandbox.webhooks.expectations.get(name, (name.split("-", 1)[0], ""))
    sender = _sender(sandbox, provider_name)
    if sender is None:
        return None
    hooks = sender[1]
    if not secret:
        merchant = name.split("-", 1)[1] if "-" in name else ""
        secret = sandbox.webhooks.endpoint(provider_name, merchant, hooks.secret(merchant)).secret
    return hooks, secret
