"""Coinbase CDP v2 Payment Sessions: credentials, the operation table, handlers, error envelope.

Base `https://api.cdp.coinbase.com/platform` -> `/cdp/platform`; the hosted page
`https://payments.coinbase.com/payment-sessions/{id}` -> `/cdp/payment-sessions/{id}`
(pages.py). Every success is 200 with the spec's schema; every error is CDP's `Error`
`{errorType, errorMessage, correlationId, errorLink}`. Rules cite the spec
(`cdp-payment-sessions.openapi.yaml`); what it does not say is marked `Invented:`.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sandbox.contract import Call, Merchant, Operation, Reply
from sandbox.errors import Forbidden, InvalidRequest, InvalidState, NotFound, SandboxError, Unauthorized
from sandbox.machine import Transition
from sandbox.providers.cdp import auth, ledger, pages, paging, payer, subscriptions, validation, webhooks
from sandbox.providers.cdp.auth import Auth
from sandbox.providers.cdp.lifecycle import CANCELED, CREATED, LIFECYCLE, RESULTS, CdpSettings, is_pending
from sandbox.providers.cdp.records import CdpSession, entity_of
from sandbox.providers.cdp.schemas import (
    ACTION_NOT_FOUND,
    CANNOT_CANCEL,
    IDEMPOTENCY,
    INTERNAL,
    LIST_FIELD,
    PAYMENT_ERRORS,
    RATE_LIMITED,
    SESSION_NOT_FOUND,
    UNAUTHORIZED,
    UNAVAILABLE,
    action_view,
    error_body,
    hosted_path,
    session_view,
)

log = logging.getLogger("sandbox.cdp")
PREFIX = "/platform/v2/payment-sessions"


def settings(call: Call) -> CdpSettings:
    return ledger.settings(call.services)


def authenticate(call: Call, need: Auth) -> Merchant:
    """`jwt`: the merchant's API-key JWT. `payer`: no credential; the session's owner is the
    tenant (for idempotency). `coinbase`: a Coinbase OAuth bearer token, not a CDP JWT."""
    if need is Auth.JWT:
        return auth.authenticate(call, settings(call))
    if need is Auth.COINBASE:
        token = auth.bearer(call)
        if token is None:
            raise Unauthorized("missing Authorization: Bearer <Coinbase OAuth token>")
        claims = auth.claims_of(token)
        if claims is not None and claims.get("iss") == "cdp":  # the spec's wrong_auth_type example
            raise Forbidden(
                "This endpoint requires a Coinbase OAuth bearer token; CDP API key tokens are not accepted."
            )
    session = call.services.store.find("cdp", call.path_params.get("session_id", ""), CdpSession)
    return Merchant(session.merchant if session is not None else "", "payer")


def render_error(error: SandboxError, call: Call) -> Reply:
    if error.message:
        call.notes.append(error.message)
    correlation = f"{call.services.entropy.hex(16)}-SBX"  # shape of the spec's 41deb8d59a9dc9a7-IAD

    def reply(status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, error_body(error_type, message, correlation), headers or {})

    if isinstance(error, payer.PaymentRequired):
        return reply(402, "payment_required", error.message, {"PAYMENT-REQUIRED": error.challenge})
    if error.reason == "idempotency_mismatch":
        key = call.headers.text("x-idempotency-key")
        return reply(422, "idempotency_error", IDEMPOTENCY.format(key=key))
    match error.code:
        case "unauthorized":
            log.warning("cdp 401: %s", error.message)
            reason = {"X-Sandbox-Reason": error.message} if error.message.isascii() else {}
            return reply(401, "unauthorized", UNAUTHORIZED, reason)
        case "forbidden":
            return reply(403, "forbidden", error.message or "Forbidden.")
        case "invalid_request" | "malformed_body":
            return reply(400, "invalid_request", error.message or "Invalid request.")
        case "invalid_state":
            # Invented: the HTTP status of the payment-specific error types is not public.
            error_type = error.reason if error.reason in PAYMENT_ERRORS else "invalid_request"
            return reply(400, error_type, error.message or "Invalid request.")
        case "not_found":
            return reply(404, "not_found", error.message or "Not found.")
        case "conflict":  # Invented status (only a scenario fault reaches it); the type is the spec's ErrorType
            return reply(409, "already_exists", error.message or "The resource already exists.")
        case "method_not_allowed":  # Invented: CDP's gateway answer is not documented
            return reply(405, "invalid_request", "Method not allowed.")
        case "payload_too_large":  # Invented
            return reply(413, "invalid_request", error.message or "Request body too large.")
        case "rate_limited":
            return reply(429, "rate_limit_exceeded", RATE_LIMITED, {"Retry-After": str(error.retry_after or 1)})
        case "unavailable":
            return reply(503, "service_unavailable", UNAVAILABLE)
    return reply(500, "internal_server_error", INTERNAL)


def _body(call: Call) -> dict[str, Any]:
    """An optional JSON object body (cancel, void); bad JSON is still a 400."""
    return {} if call.body is None else call.json_object()


def _owned(call: Call) -> CdpSession:
    session = call.services.store.owned("cdp", call.owner().id, call.path_params["session_id"], CdpSession)
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
    session = CdpSession(
        id=ledger.new_id(call.services, "paymentSession"),
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
        customer_display=validation.customer_display(body.get("customerDisplay")),
        metadata=validation.metadata(body.get("metadata")),
        external_reference_id=(
            validation.string(external, "externalReferenceId", max_length=256) if external is not None else None
        ),
    )
    if body.get("compliance") is not None:  # writeOnly: checked for shape, never stored or echoed
        validation.obj(body["compliance"], "compliance")
    call.services.store.add("cdp", session)
    created = Transition("cdp", session.id, merchant.id, "create", "", CREATED, call.now)
    session.history.append(created)
    call.services.emit(webhooks.stamp(call.services, session, created))
    return Reply(200, session_view(session, actions=False))


def list_sessions(call: Call) -> Reply:
    def fetch(after: str | None, size: int) -> list[CdpSession] | None:  # newest first, O(page)
        return call.services.store.page("cdp", call.owner().id, after, size, CdpSession)

    return Reply(
        200, paging.page_from(call, "paymentSessions", fetch, lambda s: s.id, lambda s: s.created_at, session_view)
    )


def get_session(call: Call) -> Reply:
    return Reply(200, session_view(_owned(call)))


def cancel_session(call: Call) -> Reply:
    session = _owned(call)
    body = _body(call)
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
    amount = ledger.action_amount(session, "capture", requested, call.now)
    return _begun(call, session, "capture", amount, final_capture=final, metadata=metadata)


def void(call: Call) -> Reply:
    session = _owned(call)
    metadata = validation.metadata(_body(call).get("metadata"))
    return _begun(call, session, "void", ledger.action_amount(session, "void", None, call.now), metadata=metadata)


def refund(call: Call) -> Reply:
    session = _owned(call)
    body = call.json_object()
    if "source" not in body:  # CreateRefundRequest: required
        raise InvalidRequest("Missing required field: source.")
    source = validation.refund_source(body["source"])
    requested = _optional_amount(body)
    reason = validation.string(body["reason"], "reason") if body.get("reason") is not None else None
    metadata = validation.metadata(body.get("metadata"))
    amount = ledger.action_amount(session, "refund", requested, call.now)
    return _begun(call, session, "refund", amount, source=source, reason=reason, metadata=metadata)


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


# control actions -------------------------------------------------------------------------------


def _outcome(body: dict[str, Any]) -> Any:
    outcome = body.get("outcome")
    if outcome is not None and outcome not in RESULTS:
        raise InvalidRequest(f"outcome must be one of {', '.join(RESULTS)}.")
    return outcome


def action_authorize(call: Call) -> Reply:
    """Body: `outcome` (succeeded|failed, default: the scenario's), `source` (PaymentSessionSource)."""
    session = payer.find(call)
    body = _body(call)
    outcome = _outcome(body)
    source = body.get("source")
    if source is None:
        source = payer.default_source(call, session)
    elif not isinstance(source, dict) or not ("address" in source or "coinbaseUserId" in source):
        raise InvalidRequest("source must be a wallet {address, network, asset} or {coinbaseUserId}.")
    payer.authorize(call, session, source, planned=outcome)
    return Reply(200, describe(session))


def action_settle(call: Call) -> Reply:
    """Settle the pending action now; body `outcome` (default: the one it was planned with)."""
    session = payer.find(call)
    outcome = _outcome(_body(call))
    action = session.pending()
    if action is None:
        raise InvalidRequest("No action is pending on this payment session.")
    call.services.emit(*ledger.settle(call.services, session, action, outcome or action.planned, call.now))
    return Reply(200, describe(session))


def describe(record: Any) -> dict[str, Any]:
    """The control API's view: the API's PaymentSession plus what the sandbox knows."""
    session: CdpSession = record
    view = session_view(session)
    pending = session.pending()
    view["sandbox"] = {
        "merchant": session.merchant,
        "allowed_actions": LIFECYCLE.allowed(session.status),
        "pending_action": None
        if pending is None
        else {
            "kind": pending.kind,
            "id": pending.id,
            "planned": pending.planned,
            "settles_at": pending.settle_at.isoformat(),
        },
        "hosted_page": hosted_path(session.id),
    }
    return view


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
    *pages.OPERATIONS,
)
ACTIONS = {"authorize": action_authorize, "settle": action_settle}
