"""Payviox's control actions: the payer's side of a session, and how the control API shows one.

`POST /_sandbox/payviox/sessions/{id}/actions/{action}` plays what Payviox has no merchant API
for: the payer paying, Payviox's fraud review deciding, a refund, a `processing` payment
settling, and the payout user's side of a payout (withdrawing, the withdrawal settling). The
money and the states are ledger.py's and payouts.py's, shared with the hosted page.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from sandbox.contract import Call, Reply
from sandbox.errors import InvalidRequest, NotFound
from sandbox.machine import Transition
from sandbox.params import Params
from sandbox.providers.payviox import ledger, merchants, payouts, wire
from sandbox.providers.payviox.lifecycle import (
    INCOMPLETE,
    LIFECYCLE,
    NAME,
    OPEN,
    PAY_OUTCOMES,
    PAYOUT_OUTCOMES,
    PAYOUT_PROCESSING,
    PROCESSING,
    SETTLE_OUTCOMES,
)
from sandbox.providers.payviox.payouts import PayoutOrder, PayoutUser
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.providers.payviox.settings import PayvioxSettings
from sandbox.providers.payviox.validation import is_integer, label

if TYPE_CHECKING:
    from sandbox.contract import Services


def _settings(services: Services) -> PayvioxSettings:
    return services.provider_settings(NAME, PayvioxSettings)


Text = str | None


class PayParams(Params):
    """The payer pays on the hosted page; without `ip` the payer is where the session expects them."""

    outcome: Literal["succeeded", "declined", "pending_review", "failed", "processing", "incomplete"] | None = Field(
        None,
        description="how the payment ends (default: succeeded); `processing` settles later on the clock; "
        "`incomplete` is a crypto payment short",
    )
    amount_paid: int | None = Field(None, description="cents actually paid, with `incomplete` only")
    payment_method: Text = Field(None, description="method id (default: the session's, else a card)")
    ip: Text = Field(None, description="the payer's IP (a session made with a public key checks it)")
    user_agent: Text = Field(None, description="the payer's browser, recorded on the payment")
    country: Text = Field(None, description="the payer's country, recorded on the payment")


class ReviewParams(Params):
    """Payviox's fraud review decides a session held in `pending_review`."""

    decision: Literal["approve", "decline"] | None = Field(None, description="default: approve")


class RefundParams(Params):
    """Refund a succeeded payment in full."""


class SettleParams(Params):
    """Settle now what would settle on the clock: a `processing` payment or a payout withdrawal."""

    outcome: Literal["succeeded", "failed", "declined", "rejected"] | None = Field(
        None,
        description="payment: succeeded|failed|declined; withdrawal: succeeded|failed|rejected (default: settings)",
    )
    reason: Text = Field(None, description="with a rejected withdrawal: shown on payout.rejected")


class WithdrawParams(Params):
    """A payout user withdraws from their balance (the payout page Payviox hosts, played here)."""

    amount: int | None = Field(None, description="cents (default: the whole balance)")
    provider: Literal["paypal", "crypto"] | None = Field(None, description="default: paypal")
    email: Text = Field(None, description="PayPal's (default: the user's)")
    address: Text = Field(None, description="with crypto: the wallet")
    outcome: Literal["succeeded", "failed", "rejected"] | None = Field(None, description="default: the setting")
    reason: Text = Field(None, description="with rejected: shown on payout.rejected")


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


def _record(call: Call) -> Any:
    record = call.services.store.get(NAME, call.path_params["session_id"])
    if record is None:
        raise NotFound(wire.SESSION_NOT_FOUND)
    return record


def _view(call: Call, record: Any) -> Reply:
    return Reply(200, describe(record, call.root))


def pay(call: Call) -> Reply:
    """Body: outcome (succeeded|declined|pending_review|failed|processing|incomplete), amount_paid
    (cents, with incomplete: a crypto payment short of what is due), payment_method, ip,
    user_agent, country. Without `ip` the payer is taken to be where the session expects them."""
    session = ledger.find(call.services.store, call.path_params["session_id"])
    body = _action_body(call)
    outcome = _text(body, "outcome")
    step = ledger.pay(
        session,
        "succeeded" if outcome is None else outcome,
        ledger.method_for(session, _text(body, "payment_method"), merchants.enabled(call, session.merchant)),
        amount_paid=body.get("amount_paid"),
        payer_ip=_text(body, "ip"),
        user_agent=_text(body, "user_agent"),
        country=_text(body, "country"),
        entropy=call.services.entropy,
        now=call.now,
    )
    ledger.await_settlement(call.services.store, session, _settings(call.services).processing_seconds, call.now)
    call.services.emit(step)
    return _view(call, session)


def review(call: Call) -> Reply:
    session = ledger.find(call.services.store, call.path_params["session_id"])
    decision = _text(_action_body(call), "decision")
    call.services.emit(ledger.review(session, "approve" if decision is None else decision, call.now))
    return _view(call, session)


def refund(call: Call) -> Reply:
    session = ledger.find(call.services.store, call.path_params["session_id"])
    call.services.emit(ledger.refund(session, call.now))
    return _view(call, session)


def settle(call: Call) -> Reply:
    """Settle now what would settle on the clock: a `processing` payment (outcome succeeded|failed|
    declined, default the `processing_outcome` setting) or a withdrawal (succeeded|failed|rejected,
    default `payout_outcome`; `reason` with rejected)."""
    record, body = _record(call), _action_body(call)
    outcome = _text(body, "outcome")
    if isinstance(record, PayoutOrder):
        chosen = outcome or record.outcome
        if chosen not in PAYOUT_OUTCOMES:
            raise InvalidRequest(fields={"outcome": [f"The outcome must be one of: {', '.join(PAYOUT_OUTCOMES)}."]})
        reason = _text(body, "reason")
        step = payouts.settle(call.services.store, record, chosen, reason, call.services.entropy, call.now)
    elif isinstance(record, PayvioxSession):
        step = ledger.settle(record, outcome or _settings(call.services).processing_outcome, call.now)
    else:
        raise NotFound(wire.SESSION_NOT_FOUND)
    call.services.emit(step)
    return _view(call, record)


def withdraw(call: Call) -> Reply:
    """The payout user withdraws (their payout page, played here). Body: amount (cents, default the
    whole balance), provider (paypal|crypto, default paypal), email (PayPal's, default the user's),
    address (crypto's), outcome (succeeded|failed|rejected, default the `payout_outcome` setting),
    reason (shown on payout.rejected)."""
    user = _record(call)
    if not isinstance(user, PayoutUser):
        raise NotFound(wire.SESSION_NOT_FOUND)
    body, config = _action_body(call), _settings(call.services)
    amount = body.get("amount", user.balance)
    if not is_integer(amount):
        raise InvalidRequest(fields={"amount": ["The amount field must be an integer."]})
    outcome = _text(body, "outcome") or config.payout_outcome
    if outcome not in PAYOUT_OUTCOMES:
        raise InvalidRequest(fields={"outcome": [f"The outcome must be one of: {', '.join(PAYOUT_OUTCOMES)}."]})
    order, fired = payouts.withdraw(
        call.services.store,
        user,
        amount=amount,
        provider=_text(body, "provider") or "paypal",
        email=_text(body, "email"),
        address=_text(body, "address"),
        outcome=outcome,
        reason=_text(body, "reason"),
        settle_after=config.payout_seconds,
        entropy=call.services.entropy,
        now=call.now,
    )
    call.services.emit(*fired)
    return _view(call, order)


def on_due(sandbox: Services, record: Any, now: datetime) -> list[Transition]:
    """Deadline sweep: a processing payment or a withdrawal settles; an unpaid session expires."""
    if isinstance(record, PayoutOrder):
        return payouts.settle_due(sandbox.store, record, sandbox.entropy, now)
    if not isinstance(record, PayvioxSession):
        return []
    if record.status == PROCESSING and record.settles_at is not None and record.settles_at <= now:
        return [ledger.settle(record, _settings(sandbox).processing_outcome, record.settles_at)]
    expired = LIFECYCLE.expire_due(record, now)
    return [expired] if expired is not None else []


# What the control view advertises -------------------------------------------------------------

_PAYER = {
    "payment_method": "a method id enabled for the business (default: the session's)",
    "ip": "the payer's IP (default: the session's)",
    "user_agent": "the payer's user agent",
    "country": "the payer's country (default: US)",
}


def allowed_actions(record: Any) -> list[dict[str, Any]]:
    """Exactly what `POST .../actions/{action}` accepts for this record now, with each action's
    parameters (all optional; a list gives the values accepted). The lifecycle's transitions
    (`pay_succeeded`, `review_approve`) are not the action names (`pay`, `review`)."""
    if isinstance(record, PayoutUser):
        if record.balance < 1:
            return []
        params: dict[str, Any] = {
            "amount": f"cents, 1-{record.balance} (default: the whole balance)",
            "provider": list(payouts.PROVIDERS),
            "email": "PayPal recipient (default: the user's)",
            "address": "crypto destination (default: a seeded one)",
            "outcome": list(PAYOUT_OUTCOMES),
            "reason": "the note on payout.rejected",
        }
        return [{"action": "withdraw", "params": params}]
    if isinstance(record, PayoutOrder):
        if record.status != PAYOUT_PROCESSING:
            return []
        return [{"action": "settle", "params": {"outcome": list(PAYOUT_OUTCOMES), "reason": "with rejected"}}]
    session: PayvioxSession = record
    found: list[dict[str, Any]] = []
    outcomes = [o for o in (*PAY_OUTCOMES, INCOMPLETE) if LIFECYCLE.can(session, f"pay_{o}")]
    if outcomes:
        paying: dict[str, Any] = {"outcome": outcomes, **_PAYER}
        if INCOMPLETE in outcomes:
            paying["amount_paid"] = f"cents short of the {session.amount_due} due (with incomplete, crypto only)"
        found.append({"action": "pay", "params": paying})
    decisions = [d for d in ("approve", "decline") if LIFECYCLE.can(session, f"review_{d}")]
    if decisions:
        found.append({"action": "review", "params": {"decision": decisions}})
    if LIFECYCLE.can(session, "refund"):
        found.append({"action": "refund", "params": {}})
    settles = [o for o in SETTLE_OUTCOMES if LIFECYCLE.can(session, f"settle_{o}")]
    if settles:
        found.append({"action": "settle", "params": {"outcome": settles}})
    return found


def describe(record: Any, root: str = "") -> dict[str, Any]:
    """The control API's view: the API's own payment details, plus what the sandbox knows."""
    if isinstance(record, PayoutUser | PayoutOrder):
        return _describe_payout(record)
    session: PayvioxSession = record
    view = wire.payment_details(session)
    view["sandbox"] = {
        "merchant": session.merchant,
        "state": session.status,
        "expires_at": wire.laravel_time(session.expires_at) if session.expires_at else None,
        "settles_at": wire.laravel_time(session.settles_at) if session.settles_at else None,
        "required_ip": session.ip,
        "key_kind": session.key_kind,
        "requested_method": session.requested_method,
        "amount_received": session.amount_received,
        "amount_remaining": session.amount_due,
        "allowed_actions": allowed_actions(session),
        "hosted_page": root + wire.secure_path(session.id),
        "unpaid": session.status == OPEN,
    }
    return view


def _describe_payout(record: PayoutUser | PayoutOrder) -> dict[str, Any]:
    """Payout users and orders have no API view of their own (the docs show none): the control
    view shows what the payout webhooks would."""
    if isinstance(record, PayoutUser):
        view: dict[str, Any] = {
            "payout_user_id": record.id,
            "object": "payout_user",
            "email": record.email,
            "balance": record.balance,
        }
    else:
        shown = payouts.payload(record, f"payout.{record.status.removeprefix('payout_')}")  # as its last webhook
        view = {"order_id": record.id, "object": "payout_order", **shown}
        del view["type"]
    view["sandbox"] = {
        "merchant": record.merchant,
        "state": record.status,
        "settles_at": wire.laravel_time(record.settles_at)
        if isinstance(record, PayoutOrder) and record.settles_at
        else None,
        "allowed_actions": allowed_actions(record),
    }
    return view


ACTIONS = {"pay": pay, "review": review, "refund": refund, "settle": settle, "withdraw": withdraw}
PARAMS: dict[str, type[Params]] = {
    "pay": PayParams,
    "review": ReviewParams,
    "refund": RefundParams,
    "settle": SettleParams,
    "withdraw": WithdrawParams,
}
