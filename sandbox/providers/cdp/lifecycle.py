"""CDP payment-session states, their transition table, deadlines and settings, as data.

A session's `status` is "the most recent meaningful event" (PaymentSessionStatus in the spec):
`created`, `canceled`, or `{action}_{result}` for the four actions. Every action starts
`pending` and later settles `succeeded` or `failed` (PaymentActionStatus). Only one action may
be pending at a time (`payment_session_action_pending`), so the table needs no "two pending"
states. Balance rules (what is capturable, refundable) live with the record in `records.py`;
this table knows only which status may follow which.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.clock import MAX_SECONDS
from sandbox.machine import Lifecycle

CREATED = "created"
CANCELED = "canceled"
KINDS = ("authorization", "capture", "void", "refund")
RESULTS = ("succeeded", "failed")

# Statuses after an authorization succeeded in which no action is pending: captures, voids and
# refunds may start from any of them; the balances decide whether there is anything to move.
SETTLED_AFTER_AUTHORIZATION = (
    "authorization_succeeded",
    *(f"{kind}_{result}" for kind in ("capture", "void", "refund") for result in RESULTS),
)

_table: dict[tuple[str, str], str] = {
    (CREATED, "cancel"): CANCELED,  # cancel: "The session must be in `created` status."
    (CREATED, "authorization"): "authorization_pending",  # authorize*: "must be in `created` status"
}
for _kind in ("capture", "void", "refund"):
    for _state in SETTLED_AFTER_AUTHORIZATION:
        _table[(_state, _kind)] = f"{_kind}_pending"
for _kind in KINDS:
    for _result in RESULTS:
        _table[(f"{_kind}_pending", f"{_kind}_{_result}")] = f"{_kind}_{_result}"

# No expiry transitions: PaymentExpiries says "Each deadline acts as a guard ... No automatic
# state transitions occur". The store's deadlines are used for settling pending actions.
LIFECYCLE = Lifecycle(provider="cdp", initial=CREATED, table=_table, expire_action="never")

# PaymentExpiries: "authorizationExpiresAt = now + 1 day, captureExpiresAt = now + 7 days,
# refundExpiresAt = now + 30 days".
DEFAULT_EXPIRIES = {
    "authorizationExpiresAt": timedelta(days=1),
    "captureExpiresAt": timedelta(days=7),
    "refundExpiresAt": timedelta(days=30),
}

# The action a deadline guards, and the error past it (ErrorType: authorization_expired, ...).
DEADLINE_OF = {
    "authorization": "authorizationExpiresAt",
    "capture": "captureExpiresAt",
    "refund": "refundExpiresAt",
}


def is_pending(status: str) -> bool:
    return status.endswith("_pending")


Outcome = Literal["succeeded", "failed"]


class ApiKey(BaseModel):
    """A CDP Secret API Key: `id` (UUID or organizations/.../apiKeys/...) and its secret,
    base64 Ed25519 (64 bytes: seed + public key) or an EC P-256 PEM (JWT authentication docs)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    secret: str = Field(min_length=1)


class Settlement(BaseModel):
    """How pending actions settle. Invented: the real network's timing is not public."""

    model_config = ConfigDict(extra="forbid")

    delay_seconds: float = Field(
        0, ge=0, le=MAX_SECONDS, description="sandbox seconds from an action's creation to its settlement"
    )
    authorization: Outcome = "succeeded"
    capture: Outcome = "succeeded"
    void: Outcome = "succeeded"
    refund: Outcome = "succeeded"


class CdpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description="strict mode: only these keys are accepted and their JWTs are verified for real",
    )
    jwt_leeway_seconds: int = Field(30, ge=0, description="clock skew allowed on nbf/exp (wall time)")
    settlement: Settlement = Settlement()
    unfunded_addresses: list[str] = Field(
        default_factory=list,
        description="payer wallets the wallet-options endpoint reports as insufficient_funds",
    )
