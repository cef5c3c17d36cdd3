"""The CubePay session, its captures and the transfers its one-time wallet received.

Money is `Decimal` throughout. The balances the API shows are derived from running totals,
so they always agree with each other:

    capturable = min(amount, received) - captured - capturing   (while FUNDED or CAPTURING)
    final capture: refund = received - captured - this capture  (the rest goes back to the payer)

`received` can exceed `amount` (an over-payment); the surplus is not capturable and is
refunded by the final capture (Invented: the docs only say the final capture "refunds the
rest to the customer", captures-api).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sandbox.machine import Transition
from sandbox.providers.cubepay.lifecycle import CAPTURE_CAPTURING, CAPTURING, FUNDED

ZERO = Decimal(0)


def money(value: Decimal) -> str:
    """Decimal string as the docs print amounts ("50.00"): at least two places, never an exponent."""
    exponent = value.as_tuple().exponent  # an int for a finite Decimal, which money always is
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, "f")


@dataclass(slots=True)
class Transfer:
    """A token transfer into the session's one-time wallet, as the sandbox chain saw it."""

    hash: str
    sender: str
    amount: Decimal
    at: datetime


@dataclass(slots=True)
class Capture:
    id: str
    created_at: datetime
    settles_at: datetime
    amount: Decimal
    refund: Decimal
    final: bool
    request_id: str
    status: str = CAPTURE_CAPTURING
    capture_tx: str | None = None
    refund_tx: str | None = None
    error: str | None = None


@dataclass(slots=True)
class CubePaySession:
    id: str
    merchant: str
    created_at: datetime
    expires_at: datetime | None  # the unfunded deadline; cleared once FUNDED
    amount: Decimal
    currency: str
    network: str
    token_symbol: str
    one_time_wallet: str
    status: str
    request_id: str | None = None
    user_address: str | None = None
    payment_method_id: str | None = None
    funding_tx: str | None = None
    user_submitted_tx: str | None = None
    transfers: list[Transfer] = field(default_factory=list)
    captures: list[Capture] = field(default_factory=list)
    history: tuple[Transition, ...] = ()

    @property
    def received(self) -> Decimal:
        return sum((transfer.amount for transfer in self.transfers), ZERO)

    @property
    def captured(self) -> Decimal:
        return sum((c.amount for c in self.captures if c.status == "CAPTURED"), ZERO)

    @property
    def refunded(self) -> Decimal:
        return sum((c.refund for c in self.captures if c.status == "CAPTURED"), ZERO)

    @property
    def capturing(self) -> Decimal:
        return sum((c.amount for c in self.captures if c.status == CAPTURE_CAPTURING), ZERO)

    @property
    def owed(self) -> Decimal:
        """What a payment should send: the rest of the amount, or the whole amount if nothing is owed."""
        rest = self.amount - self.received
        return rest if rest > 0 else self.amount

    @property
    def funded(self) -> bool:
        """FUNDED or later on the money side: the balances are shown (payment-sessions-api)."""
        return self.funding_tx is not None

    @property
    def capturable(self) -> Decimal:
        if self.status not in (FUNDED, CAPTURING):
            return ZERO
        return max(ZERO, min(self.amount, self.received) - self.captured - self.capturing)

    def transfer(self, tx_hash: str) -> Transfer | None:
        return next((t for t in self.transfers if t.hash.lower() == tx_hash.lower()), None)

    def capture(self, capture_id: str) -> Capture | None:
        return next((c for c in self.captures if c.id == capture_id), None)
