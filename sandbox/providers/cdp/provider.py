"""Coinbase CDP v2 Payment Sessions: the merchant API's handlers and the operation table.

Base `https://api.cdp.coinbase.com/platform` -> `/cdp/platform`; the hosted page
`https://payments.coinbase.com/payment-sessions/{id}` -> `/cdp/payment-sessions/{id}`
(pages.py). Every success is 200 with the spec's schema; every error is CDP's `Error`
`{errorType, errorMessage, correlationId, errorLink}` (errors.py). Rules cite the spec
(`cdp-payment-sessions.openapi.yaml`); what it does not say is marked `Invented:`.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from sandbox.contract import Call, Operation, Reply
from sandbox.errors import InvalidRequest, InvalidState, NotFound
from sandbox.machine import Transition
from sandbox.providers.cdp import (
    accounts,
    ledger,
    mandates,
    pages,
    paging,
    payer,
    subscription_events,
    subscriptions,
    validation,
    webhooks,
)
from sandbox.providers.cdp.auth import Auth
from sandbox.providers.cdp.lifecycle import CANCELED, CREATED, LIFECYCLE, NAME, is_pending
from sandbox.providers.cdp.records import CdpSession, entity_of
from sandbox.providers.cdp.wire import (
    ACTION_NOT_FOUND,
    CANNOT_CANCEL,
    LIST_FIELD,
    SESSION_NOT_FOUND,
    action_view,
    session_view,
)

PREFIX = "/platform/v2/payment-sessions"


def _owned(call: Call) -> CdpSession:
    session = call.services.store.owned(NAME, call.owner().id, call.path_params["session_id"], CdpSession)
    if session is None:  # unknown, or another API key's: the same 404
        raise NotFound(SESSION_NOT_FOUND)
    return session


# sessions -------------------------------------------------------------------------------------


def create_session(call: Call) -> Reply:
    merchant = call.owner()
    body = call.json_object()
    for name in ("amount", "asset", "target"):
        if name not in body:
            raise InvalidRequest(f"Missing required field: {name}.")
    amount, scale = validation.amount(body["amount"])
    asset = validation.asset(body["asset"])
    target = validation.target(body["target"])
    external = body.get("externalReferenceId")
    session_id = ledger.new_id(call.services, "paymentSession")
    session = CdpSession(
        id=session_id,
        merchant=merchant.id,
        entity_id=entity_of(merchant.id),
        origin=call.base_url,
        amount=amount,
        scale=scale,
        asset=asset,
        target=target,
        auto_capture=validation.boolean(body.get("autoCapture", False), "autoCapture"),
        expiries=validation.expiries(body.get("expiries"), call.now),
        created_at=call.now,
        updated_at=call.now,
        redirect=validation.redirect(body.get("redirect")),
        customer_display=_with_order_code(session_id, validation.customer_display(body.get("customerDisplay"))),
        metadata=validation.metadata(body.get("metadata")),
        external_reference_id=(
            validation.string(external, "externalReferenceId", max_length=256) if external is not None else None
        ),
    )
    if body.get("compliance") is not None:  # writeOnly: checked for shape, never stored or echoed
        validation.obj(body["compliance"], "compliance")
    call.services.store.add(NAME, session)
    created = Transition(NAME, session.id, merchant.id, "create", "", CREATED, call.now)
    session.history = (*session.history, created)
    call.services.emit(webhooks.stamp(call.services, session, created))
    return Reply(200, session_view(session, actions=False))


def _with_order_code(session_id: str, display: dict[str, Any] | None) -> dict[str, Any]:
    """CustomerDisplay.orderCode: "When omitted, CDP generates one and returns it" (cdp-sdk 1.51).
    Derived from the (seeded) session id rather than drawn from the RNG: the same for the same
    seed, and no other id of the run shifts because a code was made."""
    display = display or {}
    if "orderCode" not in display:
        digest = hashlib.sha256(session_id.encode()).digest()
        alphabet = validation.ORDER_CODE_ALPHABET
        display["orderCode"] = "".join(
            alphabet[byte % len(alphabet)] for byte in digest[: validation.ORDER_CODE_LENGTH]
        )
    return display


def list_sessions(call: Call) -> Reply:
    def fetch(after: str | None, size: int) -> list[CdpSession] | None:  # newest first, O(page)
        return call.services.store.page(NAME, call.owner().id, after, size, CdpSession)

    return Reply(
        200, paging.page_from(call, "paymentSessions", fetch, lambda s: s.id, lambda s: s.created_at, session_view)
    )


def get_session(call: Call) -> Reply:
    return Reply(200, session_view(_owned(call)))


def cancel_session(call: Call) -> Reply:
    session = _owned(call)
    body = validation.optional_body(call)
    reason = body.get("cancellationReason")
    if reason is not None:
        validation.string(reason, "cancellationReason")
    if session.status == CANCELED:
        raise InvalidState("The payment session has already been canceled.", reason="payment_session_already_canceled")
    if is_pending(session.status):  # "Cancel is blocked while any authorization action is pending."
        raise InvalidState(
            "An authorization is pending on the payment session.", reason="payment_session_action_pending"
        )
    if session.status != CREATED:
        raise InvalidState(CANNOT_CANCEL)
    step = LIFECYCLE.fire(session, "cancel", call.now)
    session.cancellation_reason = reason
    session.updated_at = call.now
    call.services.emit(webhooks.stamp(call.services, session, step))
    return Reply(200, session_view(session, actions=False))


# actions ----------------------------------------------------------------------------------------


def _optional_amount(body: dict[str, Any]) -> Decimal | None:
    return validation.amount(body["amount"])[0] if body.get("amount") is not None else None


def capture(call: Call) -> Reply:
    session = _owned(call)
    body = call.json_object()
    if "finalCapture" not in body:  # CreateCaptureRequest: required
        raise InvalidRequest("Missing required field: finalCapture.")
    final = validation.boolean(body["finalCapture"], "finalCapture")
    requested = _optional_amount(body)
    metadata = validation.metadata(body.get("metadata"))
    shown = validation.operation(body)
    amount = ledger.action_amount(session, "capture", requested, call.now)
    return _begun(call, session, "capture", amount, final_capture=final, metadata=metadata, **shown)


def void(call: Call) -> Reply:
    session = _owned(call)
    body = validation.optional_body(call)
    metadata = validation.metadata(body.get("metadata"))
    shown = validation.operation(body)
    amount = ledger.action_amount(session, "void", None, call.now)
    return _begun(call, session, "void", amount, metadata=metadata, **shown)


def refund(call: Call) -> Reply:
    session = _owned(call)
    body = call.json_object()
    if "source" not in body:  # CreateRefundRequest: required
        raise InvalidRequest("Missing required field: source.")
    source = validation.refund_source(body["source"])
    requested = _optional_amount(body)
    reason = validation.string(body["reason"], "reason") if body.get("reason") is not None else None
    metadata = validation.metadata(body.get("metadata"))
    shown = validation.operation(body)
    amount = ledger.action_amount(session, "refund", requested, call.now)
    return _begun(call, session, "refund", amount, source=source, reason=reason, metadata=metadata, **shown)


def _begun(call: Call, session: CdpSession, kind: str, amount: Decimal, **fields: Any) -> Reply:
    action, step = ledger.begin(call.services, session, kind, amount, call.now, **fields)
    call.services.emit(step)
    return Reply(200, action_view(action, session.scale))


def list_actions(kind: str) -> Any:
    def handler(call: Call) -> Reply:
        session = _owned(call)
        actions = session.actions[kind][::-1]
        return Reply(
            200,
            paging.page(
                call,
                LIST_FIELD[kind],
                actions,
                lambda a: a.id,
                lambda a: a.created_at,
                lambda a: action_view(a, session.scale),
            ),
        )

    return handler


def get_action(kind: str) -> Any:
    def handler(call: Call) -> Reply:
        session = _owned(call)
        action = session.find(kind, call.path_params["action_id"])
        if action is None:
            raise NotFound(ACTION_NOT_FOUND[kind])
        return Reply(200, action_view(action, session.scale))

    return handler


def _action_routes() -> list[Operation]:
    routes = []
    for kind, plural in LIST_FIELD.items():
        routes.append(
            Operation(f"list_{plural}", "GET", f"{PREFIX}/{{session_id}}/{plural}", list_actions(kind), auth=Auth.JWT)
        )
        routes.append(
            Operation(
                f"get_{kind}", "GET", f"{PREFIX}/{{session_id}}/{plural}/{{action_id}}", get_action(kind), auth=Auth.JWT
            )
        )
    return routes


OPERATIONS = (
    Operation(
        "create_payment_session",
        "POST",
        PREFIX,
        create_session,
        auth=Auth.JWT,
        idempotency_key=validation.idempotency_key,
    ),
    Operation("list_payment_sessions", "GET", PREFIX, list_sessions, auth=Auth.JWT),
    # Payer routes first: "/authorizations/wallet" must not be read as an authorization id.
    Operation(
        "get_wallet_authorization_options",
        "GET",
        f"{PREFIX}/{{session_id}}/authorizations/wallet/options",
        payer.wallet_options,
        auth=Auth.PAYER,
    ),
    Operation(
        "authorize_wallet",
        "POST",
        f"{PREFIX}/{{session_id}}/authorizations/wallet",
        payer.authorize_wallet,
        auth=Auth.PAYER,
        idempotency_key=validation.idempotency_key,
    ),
    Operation(
        "authorize_x402",
        "POST",
        f"{PREFIX}/{{session_id}}/authorizations/x402",
        payer.authorize_x402,
        auth=Auth.PAYER,
        idempotency_key=payer.x402_key,
    ),
    Operation(
        "authorize_coinbase",
        "POST",
        f"{PREFIX}/{{session_id}}/authorizations/coinbase",
        payer.authorize_coinbase,
        auth=Auth.COINBASE,
        idempotency_key=validation.idempotency_key,
    ),
    Operation(
        "authorize_mandate",
        "POST",
        f"{PREFIX}/{{session_id}}/authorizations/mandate",
        mandates.authorize_mandate,
        auth=Auth.JWT,
        idempotency_key=validation.idempotency_key,
    ),
    Operation(
        "list_coinbase_account_balances",
        "GET",
        "/platform/v2/coinbase-accounts/balances",
        accounts.list_balances,
        auth=Auth.COINBASE,
    ),
    Operation("get_payment_session", "GET", f"{PREFIX}/{{session_id}}", get_session, auth=Auth.JWT),
    Operation(
        "cancel_payment_session",
        "POST",
        f"{PREFIX}/{{session_id}}/cancel",
        cancel_session,
        auth=Auth.JWT,
        idempotency_key=validation.idempotency_key,
    ),
    Operation(
        "capture_payment_session",
        "POST",
        f"{PREFIX}/{{session_id}}/captures",
        capture,
        auth=Auth.JWT,
        idempotency_key=validation.idempotency_key,
    ),
    Operation(
        "void_payment_session",
        "POST",
        f"{PREFIX}/{{session_id}}/voids",
        void,
        auth=Auth.JWT,
        idempotency_key=validation.idempotency_key,
    ),
    Operation(
        "refund_payment_session",
        "POST",
        f"{PREFIX}/{{session_id}}/refunds",
        refund,
        auth=Auth.JWT,
        idempotency_key=validation.idempotency_key,
    ),
    *_action_routes(),
    *subscriptions.OPERATIONS,
    Operation(
        "list_webhook_subscription_events",
        "GET",
        f"{subscriptions.PATH}/{{subscription_id}}/events",
        subscription_events.list_events,
        auth=Auth.JWT,
    ),
    *pages.OPERATIONS,
)
