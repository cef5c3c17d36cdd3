"""Payviox's API: the operation table and its HTTP handlers.

Base `https://api.payviox.com` -> `/payviox`; the hosted page `https://secure.payviox.com/{id}`
-> `/payviox/secure/{id}` (pages.py). Every rule cites its docs page; what the docs do not say
is marked `Invented:` and listed in FIDELITY.md. Credentials are auth.py's, the error envelope
errors.py's, the payer's side actions.py's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sandbox import jsonwire
from sandbox.contract import Call, Operation, Reply
from sandbox.errors import InvalidRequest, NotFound
from sandbox.providers.payviox import images, ledger, merchants, pages, payout_api, payouts, sdk, wire
from sandbox.providers.payviox.auth import Auth
from sandbox.providers.payviox.lifecycle import NAME
from sandbox.providers.payviox.methods import Method
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.providers.payviox.settings import PayvioxSettings
from sandbox.providers.payviox.validation import Validator, label
from sandbox.ratelimit import Limit


def settings(call: Call) -> PayvioxSettings:
    return call.services.provider_settings(NAME, PayvioxSettings)


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
    if order_id is not None and store.taken(NAME, merchant.id, "order_id", order_id):
        check.fail("order_id", f"The {label('order_id')} has already been taken.")  # "unique per business"
    if amount is not None and items is not None and not any(key.startswith("items.") for key in check.errors):
        calculated = sum(item["price"] * item["quantity"] for item in items)
        if calculated != amount:
            check.fail("amount", wire.AMOUNT_MISMATCH.format(calculated=calculated, received=amount))
    if check.errors:
        raise InvalidRequest(fields=check.errors)
    method = None
    if method_id is not None:
        method = enabled_methods(call).get(method_id)
        if method is None:
            raise InvalidRequest(wire.PAYMENT_METHOD_NOT_FOUND, reason="payment_method_not_found")

    ttl = timedelta(seconds=settings(call).session_ttl_seconds)
    session = PayvioxSession(
        id=call.services.entropy.text(32),  # 32 lowercase alphanumerics, as every docs example
        merchant=merchant.id,
        created_at=call.now,
        expires_at=call.now + ttl,
        amount=amount,
        currency=sys.intern(currency),  # a few codes, each kept by every session in it: one string each
        customer=customer,
        order_id=order_id,
        items_json=jsonwire.packed(items or []),
        description=description,
        metadata=metadata,  # None when absent or empty (Validator: an empty object is missing)
        ip=call.client_ip if merchant.kind == "public" else given_ip,
        key_kind=merchant.kind,
        requested_method=method_id,
    )
    store.add(NAME, session)
    store.claim(NAME, merchant.id, "order_id", order_id, session.id)
    reply: dict[str, Any] = {"session_id": session.id}
    if method is not None and method.redirect:
        if method.provider in settings(call).failing_providers:
            # create-session "Handling Payment Errors": the provider's call failed; the session
            # still exists, unpaid, for the hosted page. Reached through the setting (invented).
            reply["payment_error"] = dict(wire.PAYMENT_ERROR)
            call.notes.append(f"failing_providers: {method.provider}'s payment creation fails")
        else:
            call.services.emit(ledger.initiate(session, method, call.now))
            reply["redirect_url"] = f"{call.base_url}{wire.redirect_path(session.id)}"
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
        method_id: method.listing(call.base_url)
        for method_id, method in enabled_methods(call).items()
        if method.covers(countries, currencies)
    }
    return Reply(200, listing)


def _owned(call: Call, message: str) -> PayvioxSession:
    session = call.services.store.owned(NAME, call.owner().id, call.path_params["session_id"], PayvioxSession)
    if session is None:  # unknown, or another business's: the same 404 (get-payment-details)
        raise NotFound(message)
    return session


def get_payment(call: Call) -> Reply:
    return Reply(200, wire.payment_details(_owned(call, wire.PAYMENT_NOT_FOUND)))


def session_methods(call: Call) -> Reply:
    """OpenAPI GET /session/{session_id}/payments: [{id, name, type}] usable for this session."""
    session = _owned(call, wire.SESSION_NOT_FOUND)
    usable = [m for m in enabled_methods(call).values() if m.covers(set(), {session.currency.upper()})]
    return Reply(200, [{"id": m.id, "name": m.name, "type": m.type} for m in usable])


def get_balance(call: Call) -> Reply:
    """get-balance: the starting balance plus what the business's sessions moved (ledger.py); the
    payout balance less what POST /payout/create allocated (create-payout-user: "debited")."""
    start = settings(call)
    moved = ledger.balance_moved(call.services.store.of_merchant(NAME, call.owner().id, PayvioxSession))
    payout_balance = start.payout_balance - payouts.allocated(call.services.store, call.owner().id)
    return Reply(200, {"balance": start.balance + moved, "payout_balance": payout_balance})


OPERATIONS = (
    Operation("create_session", "POST", "/session", create_session, Auth.ANY, limits=_create_limits),
    Operation("list_payment_methods", "GET", "/payments/methods", list_methods, Auth.ANY),
    Operation("get_payment_details", "GET", "/payment/{session_id}", get_payment, Auth.SECRET),
    Operation("get_session_payment_methods", "GET", "/session/{session_id}/payments", session_methods, Auth.ANY),
    Operation("get_balance", "GET", "/balance", get_balance, Auth.SECRET),
    *payout_api.OPERATIONS,
    *pages.OPERATIONS,
    *sdk.OPERATIONS,
    *images.OPERATIONS,
)
