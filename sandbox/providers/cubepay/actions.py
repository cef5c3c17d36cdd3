"""The control API's CubePay actions, the deadline sweep and the control view of a session.

`POST /_sandbox/cubepay/sessions/{id}/actions/{connect|fund|cancel|fail}` plays the payer's
wallet and the chain, which have no merchant API (DESIGN.md); `on_due` is what the sandbox's
deadline sweep calls for a CubePay session (captures settling, unfunded expiry).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from sandbox.contract import Call, Reply
from sandbox.errors import NotFound
from sandbox.evm import random_address
from sandbox.machine import Transition
from sandbox.params import Params
from sandbox.providers.cubepay import ledger, settings, validation, wire
from sandbox.providers.cubepay.lifecycle import LIFECYCLE, NAME, UNFUNDED
from sandbox.providers.cubepay.records import CubePaySession, money

if TYPE_CHECKING:
    from sandbox.contract import Services


def _found(call: Call) -> CubePaySession:
    session = call.services.store.find(NAME, call.path_params["session_id"], CubePaySession)
    if session is None:
        raise NotFound(wire.SESSION_NOT_FOUND)
    return session


def _action_body(call: Call) -> dict[str, Any]:
    return call.body if isinstance(call.body, dict) else {}


def action_connect(call: Call) -> Reply:
    """Body: userAddress?, paymentMethodId?. Without an address the payer gets a seeded one."""
    session, body = _found(call), _action_body(call)
    user = validation.address(body, "userAddress", required=False) or random_address(call.services.entropy)
    method = validation.text(body, "paymentMethodId", required=False, max_length=64)
    call.services.emit(*ledger.connect(session, user, method, call.now))
    return Reply(200, describe(session, call.root))


def action_fund(call: Call) -> Reply:
    """Body: amount? (decimal string; short or over is fine; default: what is still owed), fromAddress?."""
    session, body = _found(call), _action_body(call)
    amount = validation.amount(body, "amount") if body.get("amount") is not None else session.owed
    sender = validation.address(body, "fromAddress", required=False) or session.user_address
    sender = sender or random_address(call.services.entropy)
    _, fired = ledger.transfer(session, sender, amount, call.services.entropy, call.now)
    call.services.emit(*fired)
    return Reply(200, describe(session, call.root))


def action_cancel(call: Call) -> Reply:
    session = _found(call)
    call.services.emit(*ledger.cancel(session, call.now))
    return Reply(200, describe(session, call.root))


def action_fail(call: Call) -> Reply:
    """Body: error? (the reason recorded on a capture in flight)."""
    session = _found(call)
    reason = validation.text(_action_body(call), "error", required=False) or "Payment failed (sandbox fail action)."
    call.services.emit(*ledger.fail(session, reason, call.now))
    return Reply(200, describe(session, call.root))


def on_due(sandbox: Services, record: Any, now: datetime) -> list[Transition]:
    """Deadline sweep: settle captures that came due, then expire an unfunded session."""
    session: CubePaySession = record
    fired = ledger.settle_due(session, settings.of(sandbox).capture_outcome, sandbox.entropy, now)
    expired = LIFECYCLE.expire_due(session, now)
    return fired + ([expired] if expired is not None else [])


def _states(action: str) -> tuple[str, ...]:
    return tuple(sorted(state for state, name in LIFECYCLE.table if name == action))


# Action -> (the statuses the action endpoint accepts it in, its optional body parameters). The
# lifecycle's transitions are not the actions (`fund` fires `fund` only once enough has arrived;
# captures are the merchant's API), so the control view lists these, not the transition table.
AVAILABLE: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "connect": (
        _states("connect"),
        {
            "userAddress": "0x wallet address (default: a seeded one)",
            "paymentMethodId": "default: pm_<token>_<network>",
        },
    ),
    "fund": (
        UNFUNDED,  # ledger.transfer: a transfer lands only while unfunded (connecting first if need be)
        {"amount": "decimal string (default: what is still owed)", "fromAddress": "default: the connected wallet"},
    ),
    "cancel": (_states("cancel"), {}),
    "fail": (_states("fail"), {"error": "the reason recorded on a capture in flight"}),
}


def allowed_actions(status: str) -> list[dict[str, Any]]:
    """What `POST .../actions/{action}` accepts in `status`; every parameter is optional."""
    return [
        {"action": name, "params": dict(params)} for name, (states, params) in AVAILABLE.items() if status in states
    ]


def describe(record: Any, root: str = "") -> dict[str, Any]:
    """The control API's view: the API's own session, plus what only the sandbox knows."""
    session: CubePaySession = record
    view = wire.session_view(session)
    view["sandbox"] = {
        "merchant": session.merchant,
        "expiresAt": wire.timestamp(session.expires_at) if session.expires_at else None,
        "receivedAmount": money(session.received),
        "paymentMethodId": session.payment_method_id,
        "requestId": session.request_id,
        "transfers": [
            {
                "transactionHash": t.hash,
                "fromAddress": t.sender,
                "amount": money(t.amount),
                "at": wire.timestamp(t.at),
            }
            for t in session.transfers
        ],
        "allowedActions": allowed_actions(session.status),
    }
    return view


ACTIONS = {"connect": action_connect, "fund": action_fund, "cancel": action_cancel, "fail": action_fail}


class ConnectParams(Params):
    """The payer connects a wallet to the session (the SDK's modal)."""

    userAddress: str | None = Field(None, description="the wallet's 0x address (default: a seeded one)")
    paymentMethodId: str | None = Field(None, description="the wallet or method the payer picked")


class FundParams(Params):
    """A transfer reaches the session's deposit address on chain; short or over is fine."""

    amount: str | None = Field(None, description='decimal string, e.g. "50.00" (default: what is still owed)')
    fromAddress: str | None = Field(None, description="the sender (default: the connected wallet)")


class CancelParams(Params):
    """The payer closes the modal: the session is cancelled."""


class FailParams(Params):
    """The capture in flight fails on chain."""

    error: str | None = Field(None, description="the reason recorded on the capture")


PARAMS: dict[str, type[Params]] = {
    "connect": ConnectParams,
    "fund": FundParams,
    "cancel": CancelParams,
    "fail": FailParams,
}
