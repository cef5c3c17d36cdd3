"""Payviox's control actions: the payer's side of a session, and how the control API shows one.

`POST /_sandbox/payviox/sessions/{id}/actions/{action}` plays what Payviox has no merchant API
for: the payer paying, Payviox's fraud review deciding, a refund. The money and the states are
ledger.py's, shared with the hosted page.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sandbox.contract import Call, Reply
from sandbox.errors import InvalidRequest
from sandbox.params import Params
from sandbox.providers.payviox import ledger, merchants, wire
from sandbox.providers.payviox.lifecycle import LIFECYCLE, OPEN
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.providers.payviox.validation import label

Text = str | None


class PayParams(Params):
    """The payer pays on the hosted page; without `ip` the payer is where the session expects them."""

    outcome: Literal["succeeded", "declined", "pending_review", "failed", "incomplete"] | None = Field(
        None, description="how the payment ends (default: succeeded); `incomplete` is a crypto payment short"
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


def pay(call: Call) -> Reply:
    """Body: outcome (succeeded|declined|pending_review|failed|incomplete), amount_paid (cents, with
    incomplete: a crypto payment short of what is due), payment_method, ip, user_agent, country.
    Without `ip` the payer is taken to be where the session expects them."""
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
    call.services.emit(step)
    return Reply(200, describe(session, call.root))


def review(call: Call) -> Reply:
    session = ledger.find(call.services.store, call.path_params["session_id"])
    decision = _text(_action_body(call), "decision")
    call.services.emit(ledger.review(session, "approve" if decision is None else decision, call.now))
    return Reply(200, describe(session, call.root))


def refund(call: Call) -> Reply:
    session = ledger.find(call.services.store, call.path_params["session_id"])
    call.services.emit(ledger.refund(session, call.now))
    return Reply(200, describe(session, call.root))


def describe(record: Any, root: str = "") -> dict[str, Any]:
    """The control API's view: the API's own payment details, plus what the sandbox knows."""
    session: PayvioxSession = record
    view = wire.payment_details(session)
    view["sandbox"] = {
        "merchant": session.merchant,
        "state": session.status,
        "expires_at": wire.laravel_time(session.expires_at) if session.expires_at else None,
        "required_ip": session.ip,
        "key_kind": session.key_kind,
        "requested_method": session.requested_method,
        "amount_received": session.amount_received,
        "amount_remaining": session.amount_due,
        "allowed_actions": LIFECYCLE.allowed(session.status),
        "hosted_page": root + wire.secure_path(session.id),
        "unpaid": session.status == OPEN,
    }
    return view


ACTIONS = {"pay": pay, "review": review, "refund": refund}
PARAMS: dict[str, type[Params]] = {"pay": PayParams, "review": ReviewParams, "refund": RefundParams}
