"""`POST /v2/payment-sessions/{id}/authorizations/mandate`: a merchant draws on a mandate.

Source: cdp-sdk 1.51 `PaymentSessionsApi.authorize_mandate_payment_session` and its models
(`MandateAuthorizationRequest {mandateId (required), metadata?, customerDisplay?,
externalReferenceId?}` -> `Authorization`). API-key authentication ("the merchant
authenticates as the party entitled to draw against the mandate"). "The session must be in
`created` status and the mandate must be in `approval_succeeded` status. When more than one
mandate condition applies, the first match wins: an in-flight approval or revocation returns
`409` (`mandate_action_pending`); `revokedAt` set returns `422` (`mandate_revoked`);
`canceledAt` set returns `422` (`mandate_canceled`); a past `expiresAt` returns `400`
(`mandate_expired`); any other status returns `422` (`mandate_invalid_status`)." "Exceeding
`maxPerAuthorization` or `maxPerPeriod` returns `422` (`mandate_policy_violation`)." The
statuses are the error table's (errors.PAYMENT_ERRORS).

The `/v2/mandates` API itself (create, approve, revoke, cancel) is not served: the sandbox's
mandates are those its scenario declares and the control API creates or changes (mandate_table.py).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.contract import Call, Reply
from sandbox.errors import InvalidRequest, InvalidState, NotFound
from sandbox.providers.cdp import ledger, mandate_table, payer, validation
from sandbox.providers.cdp.lifecycle import NAME
from sandbox.providers.cdp.mandate_table import Held
from sandbox.providers.cdp.records import CdpSession
from sandbox.providers.cdp.wire import SESSION_NOT_FOUND

MANDATE_ID = re.compile(r"^mandate_[a-f0-9\-]{36}$")  # MandateAuthorizationRequest.mandateId
NOT_FOUND = "Mandate with the given ID does not exist."  # Invented, after the spec's 404 wording
# MandatePolicyPeriod: "a fixed duration measured back from now ... `month` means the trailing
# 30 days". Invented: a year is the trailing 365 days.
PERIODS = {"day": 1, "week": 7, "month": 30, "year": 365}
DRAWN = ("pending", "succeeded")  # authorizations that count against the caps


def _refuse(error_type: str, message: str) -> InvalidState:
    return InvalidState(message, reason=error_type)


def _check_usable(mandate: Held, now: datetime) -> None:
    """The documented guards, first match wins."""
    if mandate.status in ("approval_pending", "revocation_pending"):
        raise _refuse("mandate_action_pending", "An approval or revocation is in progress for the mandate.")
    if mandate.revoked or mandate.status == "revocation_succeeded":
        raise _refuse("mandate_revoked", "The mandate has been revoked.")
    if mandate.canceled or mandate.status == "canceled":
        raise _refuse("mandate_canceled", "The mandate has been canceled.")
    if mandate.expires_at is not None and now > mandate.expires_at:
        raise _refuse("mandate_expired", "The mandate has expired.")
    if mandate.status != "approval_succeeded":
        raise _refuse("mandate_invalid_status", f"The mandate is in {mandate.status} status, not approval_succeeded.")


def _drawn(call: Call, mandate_id: str, since: datetime) -> Decimal:
    """What pending and succeeded authorizations drew on the mandate since `since` (every tenant's:
    a sandbox's mandates are shared). A scan of the store, bounded by its record cap."""
    total = Decimal(0)
    for record in call.services.store.of_provider(NAME):
        if isinstance(record, CdpSession):
            for action in record.actions["authorization"]:
                if action.mandate_id == mandate_id and action.status in DRAWN and action.created_at > since:
                    total += action.amount
    return total


def _check_policy(call: Call, mandate: Held, amount: Decimal) -> None:
    cap = mandate.max_per_authorization
    if cap is not None and amount > cap:
        raise _refuse("mandate_policy_violation", f"The amount exceeds the mandate's maxPerAuthorization of {cap}.")
    period = mandate.max_per_period
    if period is not None:
        since = call.now - timedelta(days=PERIODS[period.period])
        if _drawn(call, mandate.id, since) + amount > period.amount:
            raise _refuse(
                "mandate_policy_violation",
                f"The amount exceeds the mandate's maxPerPeriod of {period.amount} per {period.period}.",
            )


def _source(mandate: Held) -> dict[str, Any]:
    """MandateSourceWallet; Invented default: a base wallet derived from the mandate id."""
    if mandate.source is not None:
        return dict(mandate.source)
    address = "0x" + hashlib.sha256(mandate.id.encode()).hexdigest()[:40]
    return {"address": address, "network": "base", "asset": "usdc"}


def authorize_mandate(call: Call) -> Reply:
    session = call.services.store.owned(NAME, call.owner().id, call.path_params["session_id"], CdpSession)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    body = call.json_object()
    if "mandateId" not in body:
        raise InvalidRequest("Missing required field: mandateId.")
    mandate_id = validation.string(body["mandateId"], "mandateId")
    if not MANDATE_ID.match(mandate_id):
        raise InvalidRequest("mandateId must look like mandate_<uuid>.")
    metadata = validation.metadata(body.get("metadata"))
    shown = validation.operation(body)
    mandate = mandate_table.find(call.services, mandate_id)
    if mandate is None:
        raise NotFound(NOT_FOUND)
    ledger.check_authorizable(session, call.now)
    _check_usable(mandate, call.now)
    _check_policy(call, mandate, session.amount)
    body_out = payer.authorize(call, session, _source(mandate), metadata=metadata, mandate_id=mandate.id, **shown)
    return Reply(200, body_out)
