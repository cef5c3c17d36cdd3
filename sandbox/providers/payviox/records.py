"""The Payviox session record: what the store keeps of one payment session.

Money is integer cents throughout. The operations that change a record are in ledger.py, its
wire views in wire.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast, overload

from sandbox import jsonwire
from sandbox.machine import Transition
from sandbox.providers.payviox.lifecycle import OPEN
from sandbox.providers.payviox.methods import CATALOGUE

T = TypeVar("T")


@dataclass(slots=True)
class Payment:
    """What paying sets on a session (ledger.py), kept apart: most stored sessions are never paid,
    and one empty slot on each costs 64 B less than these nine. Read and set through the session's
    attributes of the same names (`OnPayment`)."""

    payment_method: str | None = None
    fees: int | None = None
    amount_received: int = 0  # cents the payer has paid so far; short of `amount` while incomplete
    customer_details: dict[str, Any] | None = None
    payment_details: dict[str, Any] | None = None
    payer_ip: str | None = None
    country: str | None = None
    user_agent: str | None = None
    settles_at: datetime | None = None  # when a `processing` payment settles (actions.on_due)


_UNPAID = Payment()  # what a session without a Payment reads; never set


class OnPayment(Generic[T]):
    """A session attribute that lives on its `Payment`: reads the default while there is none,
    and the first one set makes it."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, session: None, owner: type) -> OnPayment[T]: ...
    @overload
    def __get__(self, session: PayvioxSession, owner: type | None = None) -> T: ...
    def __get__(self, session: PayvioxSession | None, owner: type | None = None) -> T | OnPayment[T]:
        if session is None:
            return self
        return cast(T, getattr(session.payment or _UNPAID, self.name))

    def __set__(self, session: PayvioxSession, value: T) -> None:
        if session.payment is None:
            session.payment = Payment()
        setattr(session.payment, self.name, value)


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
    payment: Payment | None = None  # made by the first of its attributes set (below)
    history: tuple[Transition, ...] = ()

    # Payment's, not fields: unannotated, so the dataclass leaves them as they are
    payment_method = OnPayment[str | None]()
    fees = OnPayment[int | None]()
    amount_received = OnPayment[int]()
    customer_details = OnPayment[dict[str, Any] | None]()
    payment_details = OnPayment[dict[str, Any] | None]()
    payer_ip = OnPayment[str | None]()
    country = OnPayment[str | None]()
    user_agent = OnPayment[str | None]()
    settles_at = OnPayment[datetime | None]()

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
