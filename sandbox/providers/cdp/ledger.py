"""Starting and settling the four payment actions, and what each does to the balances.

Every action is created `pending` and settles `succeeded` or `failed` later ("This is an
asynchronous operation", capture/void/refund; "transitions asynchronously", authorize). The
sandbox settles it `settlement.delay_seconds` after creation on the sandbox clock: the
action's deadline is put in the store, and `actions.on_due` (run before every request, on
every tick and when the clock is moved) settles what came due. With the default delay of 0
the next request sees the action settled. The control API's `settle` settles at once.

Guards, in order: canceled, another action pending, state, balance, deadline, amount.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.clock import iso
from sandbox.errors import InvalidRequest, InvalidState
from sandbox.evm import random_tx_hash
from sandbox.machine import Transition
from sandbox.providers.cdp import settings, webhooks
from sandbox.providers.cdp.lifecycle import CANCELED, CREATED, LIFECYCLE, NAME, Outcome, is_pending
from sandbox.providers.cdp.records import Action, CdpSession
from sandbox.providers.cdp.wire import CANNOT_AUTHORIZE, FAILURES

if TYPE_CHECKING:
    from sandbox.contract import Services

# The action a deadline guards, and the error past it (ErrorType: authorization_expired, ...).
DEADLINE_OF = {
    "authorization": "authorizationExpiresAt",
    "capture": "captureExpiresAt",
    "refund": "refundExpiresAt",
}


def new_id(sandbox: Services, prefix: str) -> str:
    """`<prefix>_<lowercase uuid4>`, the spec's id patterns (e.g. ^capture_[a-f0-9\\-]{36}$)."""
    return f"{prefix}_{sandbox.entropy.uuid4()}"


def _refuse(error_type: str, message: str) -> InvalidState:
    return InvalidState(message, reason=error_type)


def _check_open(session: CdpSession) -> None:
    if session.status == CANCELED:
        raise _refuse("payment_session_already_canceled", "The payment session has already been canceled.")
    if is_pending(session.status):
        raise _refuse(
            "payment_session_action_pending", "Another action is already in progress for the payment session."
        )


def _check_deadline(session: CdpSession, kind: str, now: datetime) -> None:
    """Each expiry guards its action; passing it changes no status (PaymentExpiries)."""
    name = DEADLINE_OF[kind]
    if now > session.expiries[name]:
        raise _refuse(f"{kind}_expired", f"The payment session's {name} deadline has passed.")


def check_authorizable(session: CdpSession, now: datetime) -> None:
    _check_open(session)
    if session.actions["authorization"]:  # "Only one authorization is allowed per session."
        raise _refuse("payment_session_already_authorized", "The payment session has already been authorized.")
    if session.status != CREATED:  # pragma: no cover - every other status follows an authorization
        raise InvalidState(CANNOT_AUTHORIZE)
    _check_deadline(session, "authorization", now)


# kind -> (the balance it draws on, the error when that balance is empty)
_DRAWS_ON = {
    "capture": ("capturable", "no_capturable_balance", "There is no remaining balance available to capture."),
    "void": ("capturable", "no_voidable_balance", "There is no held balance remaining to void."),
    "refund": (
        "refundable",
        "no_refundable_balance",
        "The payment session has no captured amount available to refund.",
    ),
}


def action_amount(session: CdpSession, kind: str, requested: Decimal | None, now: datetime) -> Decimal:
    """What a capture, void or refund moves: `requested`, or the whole balance when omitted.
    A void always takes all that is capturable, and no deadline guards it."""
    balance, error_type, message = _DRAWS_ON[kind]
    _check_open(session)
    available: Decimal = getattr(session, balance)
    if available <= 0:
        raise _refuse(error_type, message)
    if kind in DEADLINE_OF:
        _check_deadline(session, kind, now)
    if requested is not None and requested > available:
        raise InvalidRequest(f"amount exceeds the {balance} balance of {session.balances()[balance]}.")
    return requested if requested is not None else available


def begin(
    sandbox: Services,
    session: CdpSession,
    kind: str,
    amount: Decimal,
    now: datetime,
    *,
    planned: Outcome | None = None,
    **fields: Any,
) -> tuple[Action, Transition]:
    """Create a pending action, move the session to `<kind>_pending`, schedule its settlement.
    Without a `referenceCode` the action shows the session's `orderCode` (cdp-sdk 1.51: "Falls
    back to the session's `orderCode` when `referenceCode` is omitted")."""
    plan = settings.of(sandbox).settlement
    if fields.get("customer_display") is None and session.customer_display and "orderCode" in session.customer_display:
        fields["customer_display"] = {"referenceCode": session.customer_display["orderCode"]}
    action = Action(
        kind=kind,
        id=new_id(sandbox, kind),  # the spec's prefixes are the kinds: capture_<uuid>, ...
        session_id=session.id,
        amount=amount,
        created_at=now,
        updated_at=now,
        settle_at=now + timedelta(seconds=plan.delay_seconds),
        planned=planned or getattr(plan, kind),
        **fields,
    )
    if action.network is None and session.source is not None:
        action.network = session.source.get("network")
    step = LIFECYCLE.fire(session, kind, now, kind=kind, action_id=action.id, status="pending")
    session.actions[kind].append(action)
    session.updated_at = now
    sandbox.store.schedule(NAME, session.id, action.settle_at)
    return action, webhooks.stamp(sandbox, session, step, action)


def settle(sandbox: Services, session: CdpSession, action: Action, outcome: Outcome, at: datetime) -> list[Transition]:
    """Settle a pending action; a successful authorization with autoCapture starts a capture."""
    action.status = outcome
    action.updated_at = at
    session.updated_at = at
    if outcome == "succeeded":
        _apply(session, action)
        if action.network is not None:
            action.transactions = [{"transactionHash": random_tx_hash(sandbox.entropy), "network": action.network}]
    else:
        code, message = FAILURES[action.kind]
        action.error = {"code": code, "message": message, "occurredAt": iso(at)}
    step = LIFECYCLE.fire(
        session, f"{action.kind}_{outcome}", at, kind=action.kind, action_id=action.id, status=outcome
    )
    steps = [webhooks.stamp(sandbox, session, step, action)]
    if action.kind == "authorization" and outcome == "succeeded" and session.auto_capture:
        # autoCapture: "a capture is automatically created after a successful authorization";
        # it "reuses the authorization's `referenceCode`" (TS 1.57 Capture.customerDisplay).
        _, step = begin(
            sandbox,
            session,
            "capture",
            session.capturable,
            at,
            final_capture=True,
            customer_display=action.customer_display,
        )
        steps.append(step)
    return steps


def _apply(session: CdpSession, action: Action) -> None:
    if action.kind == "authorization":
        session.authorized = action.amount
        session.source = action.source  # "Set after a successful authorization."
    elif action.kind == "capture":
        session.captured += action.amount
        if action.final_capture:  # "Any remaining capturable balance is released back to the payer"
            session.released += session.capturable
    elif action.kind == "void":
        session.released += session.capturable
    else:
        session.refunded += action.amount
