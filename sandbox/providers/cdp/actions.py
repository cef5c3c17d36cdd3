"""The payer's and the network's side of CDP, as the control API plays them.

`POST /_sandbox/cdp/sessions/{id}/actions/{action}`: `authorize` starts the session's
authorization as a payer would (through the same guards as the payer routes, payer.py), and
`settle` settles the pending action now instead of after `settlement.delay_seconds`. `on_due`
is the network settling on its own: what came due, stamped when it came due. `describe` is a
session as the control API shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from sandbox.contract import Call, Reply
from sandbox.errors import InvalidRequest
from sandbox.machine import Transition
from sandbox.params import Params
from sandbox.providers.cdp import ledger, payer, validation
from sandbox.providers.cdp.lifecycle import CREATED, RESULTS
from sandbox.providers.cdp.records import CdpSession
from sandbox.providers.cdp.wire import hosted_path, session_view

if TYPE_CHECKING:
    from sandbox.contract import Services


def _outcome(body: dict[str, Any]) -> Any:
    outcome = body.get("outcome")
    if outcome is not None and outcome not in RESULTS:
        raise InvalidRequest(f"outcome must be one of {', '.join(RESULTS)}.")
    return outcome


def action_authorize(call: Call) -> Reply:
    """Body: `outcome` (succeeded|failed, default: the scenario's), `source` (PaymentSessionSource)."""
    session = payer.find(call)
    body = validation.optional_body(call)
    outcome = _outcome(body)
    source = body.get("source")
    if source is None:
        source = payer.default_source(call, session)
    elif not isinstance(source, dict) or not ("address" in source or "coinbaseUserId" in source):
        raise InvalidRequest("source must be a wallet {address, network, asset} or {coinbaseUserId}.")
    payer.authorize(call, session, source, planned=outcome)
    return Reply(200, describe(session, call.root))


def action_settle(call: Call) -> Reply:
    """Settle the pending action now; body `outcome` (default: the one it was planned with)."""
    session = payer.find(call)
    outcome = _outcome(validation.optional_body(call))
    action = session.pending()
    if action is None:
        raise InvalidRequest("No action is pending on this payment session.")
    call.services.emit(*ledger.settle(call.services, session, action, outcome or action.planned, call.now))
    return Reply(200, describe(session, call.root))


class AuthorizeParams(Params):
    """The payer authorizes the session, as on the hosted page; the network settles it later."""

    outcome: Literal["succeeded", "failed"] | None = Field(
        None, description="how the authorization settles (default: the scenario's `providers.cdp.settlement`)"
    )
    source: dict[str, Any] | None = Field(
        None, description="PaymentSessionSource: a wallet {address, network, asset} or {coinbaseUserId}"
    )


class SettleParams(Params):
    """Settle the pending action (authorization, capture, void, refund) now, not after its delay."""

    outcome: Literal["succeeded", "failed"] | None = Field(None, description="default: the one it was planned with")


ACTIONS = {"authorize": action_authorize, "settle": action_settle}
PARAMS: dict[str, type[Params]] = {"authorize": AuthorizeParams, "settle": SettleParams}


def on_due(sandbox: Services, record: Any, now: datetime) -> list[Transition]:
    """Settle every pending action whose settlement time came; stamped at that time, not now."""
    session: CdpSession = record
    steps: list[Transition] = []
    while (action := session.pending()) is not None and action.settle_at <= now:
        steps += ledger.settle(sandbox, session, action, action.planned, action.settle_at)
    return steps


def allowed_actions(session: CdpSession) -> list[str]:
    """The control actions (ACTIONS) that would be accepted now: `authorize` while the session is
    `created` and unauthorized (as ledger.check_authorizable, whose deadline check needs the clock
    this view has not: past authorizationExpiresAt, `authorize` is still listed and answers 400
    authorization_expired), `settle` while an action is pending."""
    allowed = []
    if session.status == CREATED and not session.actions["authorization"]:
        allowed.append("authorize")
    if session.pending() is not None:
        allowed.append("settle")
    return allowed


def describe(record: Any, root: str = "") -> dict[str, Any]:
    """The control API's view: the API's PaymentSession plus what the sandbox knows."""
    session: CdpSession = record
    view = session_view(session)
    pending = session.pending()
    view["sandbox"] = {
        "merchant": session.merchant,
        "allowed_actions": allowed_actions(session),
        "pending_action": None
        if pending is None
        else {
            "kind": pending.kind,
            "id": pending.id,
            "planned": pending.planned,
            "settles_at": pending.settle_at.isoformat(),
        },
        "hosted_page": root + hosted_path(session.id),
    }
    return view
