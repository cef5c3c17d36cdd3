"""The CDP payment session and its actions as the sandbox holds them, with the money rules.

Money is `Decimal` throughout. Balances move only when an action *succeeds* (inferred: the
spec's examples show `capturable` filled at `authorization_succeeded` and `captured` at
`capture_succeeded`), and they are derived from four running totals, so the documented
identities hold by construction:

    capturable = authorized - captured - released      ("decreases with each capture or void")
    refundable = captured - refunded                    ("Equals `captured` minus `refunded`")

`released` is what a void or a `finalCapture` gave back to the payer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.machine import Transition
from sandbox.providers.cdp.lifecycle import CREATED, Outcome

ZERO = Decimal(0)
_ENTITY_NAMESPACE = uuid.UUID("5f0c6a52-3c1e-4d8e-9a44-0c2d3b1f7e10")


def entity_of(merchant: str) -> str:
    """Invented: one entity per API key, stable across runs (`entity_` + uuid5 of the key id)."""
    return f"entity_{uuid.uuid5(_ENTITY_NAMESPACE, merchant)}"


@dataclass(slots=True)
class Action:
    """An authorization, capture, void or refund (they share the spec's action shape)."""

    kind: str
    id: str
    session_id: str
    amount: Decimal
    created_at: datetime
    updated_at: datetime
    settle_at: datetime
    planned: Outcome  # the outcome it settles with unless the control API says otherwise
    status: str = "pending"
    metadata: dict[str, str] | None = None
    source: dict[str, Any] | None = None  # authorization: payer; refund: RefundSource
    final_capture: bool = False  # capture only
    reason: str | None = None  # refund only
    message: str | None = None  # x402 authorization only
    mandate_id: str | None = None  # an authorization drawn against a mandate (mandates.py)
    external_reference_id: str | None = None  # cdp-sdk 1.51: on every action, <= 256
    customer_display: dict[str, str] | None = None  # OperationCustomerDisplay {referenceCode}
    network: str | None = None  # where onchain transactions of this action happen, if any
    transactions: list[dict[str, str]] = field(default_factory=list)
    error: dict[str, str] | None = None


@dataclass(slots=True)
class CdpSession:
    id: str
    merchant: str
    entity_id: str
    origin: str  # the sandbox origin the merchant reached, for `url` and `x402Url`
    amount: Decimal
    scale: int  # decimal places of the amount as sent: balances are printed with the same scale
    asset: str
    target: dict[str, Any]
    auto_capture: bool
    expiries: dict[str, datetime]
    created_at: datetime
    updated_at: datetime
    redirect: dict[str, str] | None = None
    customer_display: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    external_reference_id: str | None = None
    cancellation_reason: str | None = None
    source: dict[str, Any] | None = None
    status: str = CREATED
    expires_at: datetime | None = None  # CDP deadlines never change status: nothing to expire
    authorized: Decimal = ZERO
    captured: Decimal = ZERO
    released: Decimal = ZERO
    refunded: Decimal = ZERO
    actions: dict[str, list[Action]] = field(
        default_factory=lambda: {"authorization": [], "capture": [], "void": [], "refund": []}
    )
    wallet_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # optionId -> option handed out
    history: tuple[Transition, ...] = ()

    @property
    def wallet_target(self) -> bool:
        return "address" in self.target

    @property
    def capturable(self) -> Decimal:
        return self.authorized - self.captured - self.released

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded

    def pending(self) -> Action | None:
        for actions in self.actions.values():
            for action in actions:
                if action.status == "pending":
                    return action
        return None

    def find(self, kind: str, action_id: str) -> Action | None:
        return next((action for action in self.actions[kind] if action.id == action_id), None)

    def balances(self) -> dict[str, str]:
        return {
            "capturable": money(self.capturable, self.scale),
            "captured": money(self.captured, self.scale),
            "refundable": money(self.refundable, self.scale),
            "refunded": money(self.refunded, self.scale),
        }


def money(value: Decimal, scale: int) -> str:
    """`"0"` for zero, as every spec example; otherwise the session amount's scale ("1.00")."""
    if value == 0:
        return "0"
    exponent = value.as_tuple().exponent
    places = max(scale, -exponent if isinstance(exponent, int) else 0)
    return f"{value:.{places}f}"
