"""CDP's webhook subscription API: where a merchant's payment-session webhooks go.

    POST   /platform/v2/data/webhooks/subscriptions          -> 201 subscription (with `secret`)
    GET    /platform/v2/data/webhooks/subscriptions          -> {subscriptions, nextPageToken?}
    GET    /platform/v2/data/webhooks/subscriptions/{id}     -> subscription
    PUT    /platform/v2/data/webhooks/subscriptions/{id}     -> subscription
    DELETE /platform/v2/data/webhooks/subscriptions/{id}     -> 204

These paths are not in the Payment Sessions spec; they follow the docs' webhook guides
(webhooks/transfers "Create a webhook subscription": request `{description?, eventTypes,
target: {url, headers?}, labels?, isEnabled}`, `201 Created` with `createdAt, description,
eventTypes, isEnabled, labels: {entity}, secret, subscriptionId, target`; list, view, update
(PUT, the whole body) and delete by `subscriptionId`) and the list shape generated clients use
(`{subscriptions, nextPageToken}`). A merchant may hold several subscriptions; each enabled one
whose `eventTypes` name an event gets its own delivery. Each is an `Endpoint` in the sandbox's
webhook ledger, under its `subscriptionId`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.contract import Call, Operation, Reply
from sandbox.errors import InvalidRequest, NotFound
from sandbox.providers.cdp import paging, validation
from sandbox.providers.cdp.auth import Auth
from sandbox.providers.cdp.event_types import EVENT_TYPES
from sandbox.providers.cdp.lifecycle import NAME
from sandbox.providers.cdp.records import entity_of
from sandbox.webhooks import Endpoint

PATH = "/platform/v2/data/webhooks/subscriptions"
# Messages from the openapi.yaml's examples for these paths (cdp-sdk repo, lines 12811-13400).
NOT_FOUND = "Webhook subscription not found."
BAD_EVENT_TYPES = "Event types must be non-empty and contain valid event type names."
BAD_PAGE_SIZE = "Page size must be between 1 and 100."
BAD_PAGE_TOKEN = "Invalid page token format."
MAX_LABELS = 20  # labels: "max 20 labels per subscription"
MAX_DESCRIPTION = 100  # WebhookDescription: maxLength 100


def _stamp(at: datetime) -> str:
    """The docs' example `createdAt` has microseconds: `2025-09-10T13:58:38.681893Z`."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _strings(value: Any, name: str) -> dict[str, str] | None:
    if value is None:
        return None
    pairs = validation.obj(value, name)
    if not all(isinstance(item, str) for item in pairs.values()):
        raise InvalidRequest(f"{name} values must be strings.")
    return dict(pairs)


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """The request body, checked: the docs mark eventTypes, target.url and isEnabled as needed."""
    for name in ("eventTypes", "target", "isEnabled"):
        if name not in body:
            raise InvalidRequest(f"Missing required field: {name}.")
    events = body["eventTypes"]
    if not isinstance(events, list) or not events or not all(isinstance(e, str) and e in EVENT_TYPES for e in events):
        raise InvalidRequest(BAD_EVENT_TYPES)
    target = validation.obj(body["target"], "target")
    if "url" not in target:
        raise InvalidRequest("Missing required field: target.url.")
    description = body.get("description")
    labels = _strings(body.get("labels"), "labels") or {}
    if len(labels) > MAX_LABELS:  # Invented message
        raise InvalidRequest(f"A subscription accepts at most {MAX_LABELS} labels.")
    return {
        "eventTypes": list(dict.fromkeys(events)),
        "url": validation.url(target["url"], "target.url"),
        "headers": _strings(target.get("headers"), "target.headers") or {},
        "isEnabled": validation.boolean(body["isEnabled"], "isEnabled"),
        "description": (
            validation.string(description, "description", max_length=MAX_DESCRIPTION)
            if description is not None
            else None
        ),
        "labels": labels,
        "metadata": validation.metadata(body.get("metadata")),  # the spec's Metadata: 10 pairs, 40/500
    }


def _apply(endpoint: Endpoint, fields: dict[str, Any], merchant: str) -> None:
    endpoint.url = fields["url"]
    endpoint.events = frozenset(fields["eventTypes"])
    endpoint.enabled = fields["isEnabled"]
    endpoint.headers = fields["headers"]
    endpoint.attributes.update(
        eventTypes=fields["eventTypes"],
        description=fields["description"],
        # The docs' example answer carries `labels: {"entity": <entity id>}` for a request's `{}`.
        labels={**fields["labels"], "entity": entity_of(merchant)},
        metadata=fields["metadata"],
    )


def view(endpoint: Endpoint) -> dict[str, Any]:
    """A subscription as the docs' example prints it (keys in its order)."""
    attributes = endpoint.attributes
    shown: dict[str, Any] = {"createdAt": _stamp(attributes["created_at"])}
    if attributes["description"] is not None:
        shown["description"] = attributes["description"]
    shown["eventTypes"] = attributes["eventTypes"]
    shown["isEnabled"] = endpoint.enabled
    shown["labels"] = attributes["labels"]
    if attributes["metadata"] is not None:
        shown["metadata"] = attributes["metadata"]
    shown["secret"] = endpoint.secret
    shown["subscriptionId"] = endpoint.id
    shown["target"] = {"url": endpoint.url, **({"headers": endpoint.headers} if endpoint.headers else {})}
    if attributes.get("updated_at") is not None:
        shown["updatedAt"] = _stamp(attributes["updated_at"])
    return shown


def _mine(call: Call) -> dict[str, Endpoint]:
    return call.services.webhooks.subscriptions.setdefault((NAME, call.owner().id), {})


def found(call: Call) -> Endpoint:
    endpoint = _mine(call).get(call.path_params["subscription_id"])
    if endpoint is None:  # unknown, or another API key's: the same 404
        raise NotFound(NOT_FOUND)
    return endpoint


def create(call: Call) -> Reply:
    fields = _fields(call.json_object())
    entropy = call.services.entropy
    # Invented: ids and secrets are UUIDs (their format is not public).
    endpoint = Endpoint(None, secret=entropy.uuid4(), id=entropy.uuid4(), attributes={"created_at": call.now})
    _apply(endpoint, fields, call.owner().id)
    _mine(call)[endpoint.id] = endpoint
    return Reply(201, view(endpoint))


def list_all(call: Call) -> Reply:
    made = list(_mine(call).values())[::-1]  # Invented: newest first, as the payment-session lists
    body = paging.page(
        call,
        "subscriptions",
        made,
        lambda e: e.id,
        lambda e: e.attributes["created_at"],
        view,
        bad_size=BAD_PAGE_SIZE,
        bad_token=BAD_PAGE_TOKEN,
    )
    return Reply(200, body)


def get(call: Call) -> Reply:
    return Reply(200, view(found(call)))


def update(call: Call) -> Reply:
    endpoint = found(call)
    _apply(endpoint, _fields(call.json_object()), call.owner().id)
    endpoint.attributes["updated_at"] = call.now
    return Reply(200, view(endpoint))


def delete(call: Call) -> Reply:
    found(call)
    del _mine(call)[call.path_params["subscription_id"]]
    return Reply(204)  # Invented: the docs show no answer body for a delete


OPERATIONS = (
    Operation(
        "create_webhook_subscription", "POST", PATH, create, auth=Auth.JWT, idempotency_key=validation.idempotency_key
    ),
    Operation("list_webhook_subscriptions", "GET", PATH, list_all, auth=Auth.JWT),
    Operation("get_webhook_subscription", "GET", f"{PATH}/{{subscription_id}}", get, auth=Auth.JWT),
    Operation("update_webhook_subscription", "PUT", f"{PATH}/{{subscription_id}}", update, auth=Auth.JWT),
    Operation("delete_webhook_subscription", "DELETE", f"{PATH}/{{subscription_id}}", delete, auth=Auth.JWT),
)
