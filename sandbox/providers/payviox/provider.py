"""Payviox's API: credentials, the operation table, handlers and the error envelope.

Base `https://api.payviox.com` -> `/payviox`; the hosted page `https://secure.payviox.com/{id}`
-> `/payviox/secure/{id}` (pages.py). Every rule cites its docs page; what the docs do not say
is marked `Invented:` and listed in FIDELITY.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sandbox.contract import Call, Merchant, Operation, Reply
from sandbox.errors import Forbidden, InvalidRequest, NotFound, SandboxError, Unauthorized
from sandbox.providers.payviox import merchants, pages, payer, schemas, sdk
from sandbox.providers.payviox.lifecycle import LIFECYCLE, OPEN, PayvioxSettings
from sandbox.providers.payviox.methods import Method
from sandbox.providers.payviox.session import PayvioxSession
from sandbox.providers.payviox.validation import Validator, label
from sandbox.ratelimit import Limit

log = logging.getLogger("sandbox.payviox")

# api/authentication: pk_/sk_, with _test_ and _live_ forms. The part after the mode names the
# business, so pk_test_X and sk_test_X are the same business (invented: real keys are random).
_KEY = re.compile(r"^(pk|sk)_(test|live)_([A-Za-z0-9_-]{1,100})$")


class Auth(StrEnum):
    """The credentials Payviox operations take (api/authentication)."""

    ANY = "any"  # a pk_test_ or sk_test_ key
    SECRET = "secret"  # sk_test_ only


def authenticate(call: Call, need: Auth) -> Merchant:
    scheme, _, key = (call.headers.get("authorization") or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("missing Authorization: Bearer <pk_test_... or sk_test_...>")
    match = _KEY.match(key)
    if match is None:
        raise Unauthorized("not a Payviox key: expected pk_test_... or sk_test_...")
    kind, mode, business = match.groups()
    if mode == "live":
        raise Unauthorized("live keys are refused: the sandbox never plays production; use pk_test_/sk_test_")
    if need is Auth.SECRET and kind != "sk":
        raise Unauthorized("this endpoint needs the secret key (sk_test_...); a public key gets 401")
    strict = merchants.declared_keys(call)
    if strict and key not in strict:  # the scenario declares its keys: only those are accepted (merchants.py)
        raise Unauthorized("this scenario declares its Payviox keys, and this key is not one of them")
    merchant = strict[key] if strict else Merchant(business, "public" if kind == "pk" else "secret")
    if not merchants.ip_allowed(call, merchant):
        raise Forbidden(f"{call.client_ip} is not in the allowed_ips of merchant {merchant.id}", reason="ip_rule")
    return merchant


def render_error(error: SandboxError, call: Call) -> Reply:
    if error.message:
        call.notes.append(error.message)
    headers = {"X-Sandbox-Reason": error.message} if error.message and error.message.isascii() else {}
    match error.code:
        case "unauthorized":
            log.warning("payviox 401: %s", error.message)
            return Reply(401, schemas.UNAUTHORIZED, headers)
        case "invalid_request" | "malformed_body":
            return Reply(400, error.fields or {"error": error.message or "Bad request"})
        case "not_found":
            return Reply(404, {"error": error.message or "Not Found"})
        case "forbidden":  # Invented beside the documented IP mismatch: the merchant's allowed_ips
            return Reply(403, schemas.IP_MISMATCH if error.reason == "ip_mismatch" else {"error": "Forbidden"}, headers)
        case "rate_limited":
            wait = error.retry_after or 60
            return Reply(429, schemas.rate_limited(error.scope or "ip", wait), {"Retry-After": str(wait)})
        case "payload_too_large":  # Invented: the docs show no 413; same {"error"} shape
            return Reply(413, {"error": "Payload Too Large"}, headers)
        case "method_not_allowed":  # Invented
            return Reply(405, {"error": "Method Not Allowed"})
        case "invalid_state":  # Invented: the payer side has no documented API
            return Reply(409, {"error": error.message or "Conflict"})
        case "conflict":  # Invented: no documented 409; only a scenario fault reaches it
            return Reply(409, {"error": error.message or "Conflict"})
        case "unavailable":
            return Reply(503, {"error": "Service Unavailable"})
    return Reply(500, {"error": "Server Error"})


def settings(call: Call) -> PayvioxSettings:
    return call.services.provider_settings("payviox", PayvioxSettings)


def enabled_methods(call: Call) -> dict[str, Method]:
    return merchants.enabled(call, call.owner().id)


# POST /session ------------------------------------------------------------------------------


def _input(call: Call) -> dict[str, Any]:
    # Laravel reads a body that is not a JSON object as no input at all, so bad JSON gets the
    # same per-field "required" messages as an empty body (Invented from Payviox being Laravel).
    return call.body if isinstance(call.body, dict) else {}


def _end_user_ip(call: Call, body: dict[str, Any]) -> str:
    """pk_: the request's IP (api/authentication). sk_: the `ip` param when it is a string."""
    given = body.get("ip")
    if call.owner().kind == "secret" and isinstance(given, str) and given.strip():
        return given.strip()
    return call.client_ip


def _create_limits(call: Call) -> Iterator[Limit]:
    """create-session 429: "either per customer or per IP address". Numbers: settings (invented)."""
    limits = settings(call).rate_limits
    body = _input(call)
    yield Limit("ip", _end_user_ip(call, body), limits.per_ip, limits.window_seconds)
    customer = body.get("customer")
    if isinstance(customer, str) and customer.strip():
        yield Limit("customer", customer.strip(), limits.per_customer, limits.window_seconds)


def _items(check: Validator) -> list[dict[str, Any]] | None:
    items = check.take("items", required=True, kind="array")
    if items is None:
        return None
    clean = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        fields = {
            "name": check.field(f"items.{index}.name", item.get("name"), required=True, kind="string"),
            "quantity": check.field(
                f"items.{index}.quantity", item.get("quantity"), required=True, kind="integer", minimum=1
            ),
            "price": check.field(f"items.{index}.price", item.get("price"), required=True, kind="integer", minimum=1),
        }
        clean.append({**item, **fields})  # extra item keys are kept (OpenAPI: additionalProperties)
    return clean


def create_session(call: Call) -> Reply:
    merchant = call.owner()
    body = _input(call)
    check = Validator(body)
    amount = check.take("amount", required=True, kind="integer", minimum=100)
    currency = check.take("currency", required=True, kind="string", max_length=3)
    customer = check.take("customer", required=True, kind="string")
    order_id = check.take("order_id", required=True, kind="string")
    items = _items(check)
    description = check.take("description", required=False, kind="string")
    metadata = check.take("metadata", required=False, kind="object")
    method_id = check.take("paymentMethodId", required=False, kind="string")
    given_ip = check.take("ip", required=False, kind="ip") if merchant.kind == "secret" else None
    store = call.services.store
    if order_id is not None and store.taken("payviox", merchant.id, "order_id", order_id):
        check.fail("order_id", f"The {label('order_id')} has already been taken.")  # "unique per business"
    if amount is not None and items is not None and not any(key.startswith("items.") for key in check.errors):
        calculated = sum(item["price"] * item["quantity"] for item in items)
        if calculated != amount:
            check.fail("amount", schemas.AMOUNT_MISMATCH.format(calculated=calculated, received=amount))
    if check.errors:
        raise InvalidRequest(fields=check.errors)
    method = None
    if method_id is not None:
        method = enabled_methods(call).get(method_id)
        if method is None:
            raise InvalidRequest(schemas.PAYMENT_METHOD_NOT_FOUND, reason="payment_method_not_found")

    ttl = timedelta(seconds=settings(call).session_ttl_seconds)
    session = PayvioxSession(
        id=call.services.entropy.text(32),  # 32 lowercase alphanumerics, as every docs example
        merchant=merchant.id,
        created_at=call.now,
        expires_at=call.now + ttl,
        amount=amount,
        currency=currency,
        customer=customer,
        order_id=order_id,
        items=items or [],
        description=description,
        metadata=metadata or {},
        ip=call.client_ip if merchant.kind == "public" else given_ip,
        key_kind=merchant.kind,
        requested_method=method_id,
    )
    store.add("payviox", session)
    store.claim("payviox", merchant.id, "order_id", order_id, session.id)
    reply: dict[str, Any] = {"session_id": session.id}
    if method is not None and method.redirect:
        call.services.emit(payer.initiate(session, method, call.now))
        reply["redirect_url"] = f"{call.base_url}{pages.redirect_path(session.id)}"
    return Reply(201, reply)


# reads ----------------------------------------------------------------------------------------


def _csv(call: Call, name: str) -> set[str]:
    raw = call.query.get(name, "")
    values = {part.strip().upper() for part in raw.split(",") if part.strip()}
    if len(values) > 200:  # get-payment-methods: "max 200"
        raise InvalidRequest(fields={name: [f"The {name} field must not have more than 200 items."]})
    return values


def list_methods(call: Call) -> Reply:
    """get-payment-methods: an object keyed by method id, filtered by countries/currencies."""
    countries, currencies = _csv(call, "countries"), _csv(call, "currencies")
    if call.query.get("is_company", "false") not in ("0", "1", "true", "false"):  # Laravel `boolean`
        raise InvalidRequest(fields={"is_company": ["The is company field must be true or false."]})
    # Invented: the docs say business customers get "adjusted fees" without saying how; fees are unchanged.
    listing = {
        method_id: method.listing()
        for method_id, method in enabled_methods(call).items()
        if method.covers(countries, currencies)
    }
    return Reply(200, listing)


def _owned(call: Call, message: str) -> PayvioxSession:
    session = call.services.store.owned("payviox", call.owner().id, call.path_params["session_id"], PayvioxSession)
    if session is None:  # unknown, or another business's: the same 404 (get-payment-details)
        raise NotFound(message)
    return session


def get_payment(call: Call) -> Reply:
    return Reply(200, schemas.payment_details(_owned(call, schemas.PAYMENT_NOT_FOUND)))


def session_methods(call: Call) -> Reply:
    """OpenAPI GET /session/{session_id}/payments: [{id, name, type}] usable for this session."""
    session = _owned(call, schemas.SESSION_NOT_FOUND)
    usable = [m for m in enabled_methods(call).values() if m.covers(set(), {session.currency.upper()})]
    return Reply(200, [{"id": m.id, "name": m.name, "type": m.type} for m in usable])


def get_balance(call: Call) -> Reply:
    """get-balance. Invented: the balance is the starting balance plus net amounts of payments
    that succeeded, less the amounts refunded."""
    start = settings(call)
    moved = 0
    for session in call.services.store.of_merchant("payviox", call.owner().id, PayvioxSession):
        if session.paid:
            moved += session.net_amount or 0
        if session.status == "refunded":
            moved -= session.amount
    return Reply(200, {"balance": start.balance + moved, "payout_balance": start.payout_balance})


# control actions ------------------------------------------------------------------------------


def _action_body(call: Call) -> dict[str, Any]:
    """An action's JSON object; no body at all means every default (`curl -X POST .../pay`)."""
    return {} if call.body is None else call.json_object()


def _text(body: dict[str, Any], name: str) -> str | None:
    """An optional string field of an action's body: a wrong type is a 400, never ignored (an
    `ip` that is not a string must not pass as "the payer the session expects")."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(fields={name: [f"The {label(name)} field must be a string."]})
    return value


def action_pay(call: Call) -> Reply:
    """Body: outcome (succeeded|declined|pending_review|failed|incomplete), amount_paid (cents, with
    incomplete: a crypto payment short of what is due), payment_method, ip, user_agent, country.
    Without `ip` the payer is taken to be where the session expects them."""
    session = payer.find(call.services.store, call.path_params["session_id"])
    body = _action_body(call)
    outcome = _text(body, "outcome")
    step = payer.pay(
        session,
        "succeeded" if outcome is None else outcome,
        payer.method_for(session, _text(body, "payment_method"), merchants.enabled(call, session.merchant)),
        amount_paid=body.get("amount_paid"),
        payer_ip=_text(body, "ip"),
        user_agent=_text(body, "user_agent"),
        country=_text(body, "country"),
        entropy=call.services.entropy,
        now=call.now,
    )
    call.services.emit(step)
    return Reply(200, describe(session))


def action_review(call: Call) -> Reply:
    session = payer.find(call.services.store, call.path_params["session_id"])
    decision = _text(_action_body(call), "decision")
    call.services.emit(payer.review(session, "approve" if decision is None else decision, call.now))
    return Reply(200, describe(session))


def action_refund(call: Call) -> Reply:
    session = payer.find(call.services.store, call.path_params["session_id"])
    call.services.emit(payer.refund(session, call.now))
    return Reply(200, describe(session))


def describe(record: Any) -> dict[str, Any]:
    """The control API's view: the API's own payment details, plus what the sandbox knows."""
    session: PayvioxSession = record
    view = schemas.payment_details(session)
    view["sandbox"] = {
        "merchant": session.merchant,
        "state": session.status,
        "expires_at": schemas.laravel_time(session.expires_at) if session.expires_at else None,
        "required_ip": session.ip,
        "key_kind": session.key_kind,
        "requested_method": session.requested_method,
        "amount_received": session.amount_received,
        "amount_remaining": session.amount_due,
        "allowed_actions": LIFECYCLE.allowed(session.status),
        "hosted_page": pages.secure_path(session.id),
        "unpaid": session.status == OPEN,
    }
    return view


def test_credentials(tenant: str) -> dict[str, str]:
    """The pytest plugin's fresh keys: both name the business `tenant`."""
    return {"public_key": f"pk_test_{tenant}", "secret_key": f"sk_test_{tenant}"}


OPERATIONS = (
    Operation("create_session", "POST", "/session", create_session, Auth.ANY, limits=_create_limits),
    Operation("list_payment_methods", "GET", "/payments/methods", list_methods, Auth.ANY),
    Operation("get_payment_details", "GET", "/payment/{session_id}", get_payment, Auth.SECRET),
    Operation("get_session_payment_methods", "GET", "/session/{session_id}/payments", session_methods, Auth.ANY),
    Operation("get_balance", "GET", "/balance", get_balance, Auth.SECRET),
    *pages.OPERATIONS,
    *sdk.OPERATIONS,
)
ACTIONS = {"pay": action_pay, "review": action_review, "refund": action_refund}
