"""The Payviox session record: what the store keeps of one payment session.

Money is integer cents throughout. The operations that change a record are in ledger.py, its
wire views in wire.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox import jsonwire
from sandbox.machine import Transition
from sandbox.providers.payviox.lifecycle import OPEN
from sandbox.providers.payviox.methods import CATALOGUE


@dataclass(slots=True)
class PayvioxSession:
    id: str
    merchant: str
    created_at: datetime
    expires_at: datetime | None
    amount: int
    currency: str
    customer: str
    order_id: str
    items_json: bytes  # `items` as JSON text (jsonwire.packed)
    description: str | None = None
    metadata: dict[str, Any] | None = None  # None, not {}, when none was given: an empty dict costs 64 B a session
    ip: str | None = None  # the IP the payer must come from, when one was captured or given
    key_kind: str = "secret"
    requested_method: str | None = None  # paymentMethodId at creation
    status: str = OPEN
    payment_method: str | None = None
    fees: int | None = None
    amount_received: int = 0  # cents the payer has paid so far; short of `amount` while incomplete
    customer_details: dict[str, Any] | None = None
    payment_details: dict[str, Any] | None = None
    payer_ip: str | None = None
    country: str | None = None
    user_agent: str | None = None
    settles_at: datetime | None = None  # when a `processing` payment settles (actions.on_due)
    history: tuple[Transition, ...] = ()

    @property
    def items(self) -> list[dict[str, Any]]:
        """The order's items, parsed afresh on each read: a stored session keeps them as JSON text,
        a quarter of what a list of dicts costs, and only a few answers show them."""
        items: list[dict[str, Any]] = jsonwire.loads(self.items_json)
        return items

    @property
    def provider(self) -> str | None:
        method = CATALOGUE.get(self.payment_method or self.requested_method or "")
        return method.provider if method else None

    @property
    def net_amount(self) -> int | None:
        return None if self.fees is None else self.amount - self.fees

    @property
    def amount_due(self) -> int:
        """Cents still to pay: the `incomplete` webhook's `amount_remaining`."""
        return self.amount - self.amount_received

    @property
    def paid(self) -> bool:
        """Money moved to the business: counted in its balance."""
        return self.status in ("succeeded", "refunded")
