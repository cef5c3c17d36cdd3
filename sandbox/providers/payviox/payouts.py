"""Payviox payouts: payout users, their withdrawals (payout orders) and the payout webhooks' payload.

api/payout/introduction, create-payout-user, authentication, webhooks (the docs source repo):
a business allocates cents from its `payout_balance` to a payout user named by email ("unique
per business", case-insensitive); the user gets "a unique SHA256 HMAC hash based on their email
address", "deterministic", "unique per business", made with "a server-side secret", which
authenticates the user (`X-Payout-Hash`); the user withdraws through PayPal or crypto, and each
payout order sends `payout.created`, `payout.processing`, then `payout.succeeded`, `.failed` or
`.rejected` to the business's payout webhook (a separate URL and token). No HTTP here.

Invented (FIDELITY.md): the hash's key (derived from the sandbox seed and the business), the
user and order ids (24 hex, like the docs' Mongo ids), how a withdrawal is started (the payout
page is Payviox's own UI: the control action `withdraw` plays it), its timing, its fees (2 % for
PayPal and 3 % for crypto, the ratios of the docs' examples) and that a failed or rejected
withdrawal gives the money back to the user's balance.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.entropy import Entropy
from sandbox.errors import InvalidRequest
from sandbox.evm import random_address, random_tx_hash
from sandbox.machine import Transition
from sandbox.providers.payviox.lifecycle import LIFECYCLE, NAME, PAYOUT_NEW, PAYOUT_PROCESSING, PAYOUT_USER
from sandbox.store import Store

PROVIDERS = ("paypal", "crypto")  # api/payout/webhooks: `provider` is "paypal" or "crypto"
FEE_RATE = {"paypal": Decimal("0.02"), "crypto": Decimal("0.03")}  # the docs' examples: 20/1000, 150/5000
MAX_OPERATIONS = 100  # a user's operations list keeps the newest 100 (bounded memory)
CURRENCY = "USD"  # "always `USD` for payouts" (webhooks)


def tenant(business: str) -> str:
    """The payout side of a business: its own webhook endpoint and token ("separate URL and token
    from payment webhooks"), inbox `payviox-<business>.payouts`. A key cannot contain `.`, so
    no business is ever named like another's payout side."""
    return f"{business}.payouts"


@dataclass(slots=True)
class PayoutUser:
    id: str
    merchant: str  # tenant(business)
    business: str
    email: str
    hash: str
    created_at: datetime
    balance: int = 0  # cents the user may withdraw
    allocated: int = 0  # cents the business allocated to this user in all (its payout_balance debit)
    status: str = PAYOUT_USER
    expires_at: datetime | None = None
    operations: list[dict[str, Any]] = field(default_factory=list)
    history: tuple[Transition, ...] = ()

    def note(self, entry: dict[str, Any]) -> None:
        self.operations.append(entry)
        del self.operations[:-MAX_OPERATIONS]


@dataclass(slots=True)
class PayoutOrder:
    id: str  # the webhooks' `order_id`
    merchant: str
    user_id: str
    email: str
    amount: int
    fees: int
    provider: str
    details: dict[str, Any]  # the `paypal` or `crypto` object
    created_at: datetime
    outcome: str  # what it settles to by itself
    reason: str | None = None
    settles_at: datetime | None = None
    status: str = PAYOUT_NEW
    expires_at: datetime | None = None
    history: tuple[Transition, ...] = ()


def payout_hash(seed: int, business: str, email: str) -> str:
    """HMAC-SHA256 of the lowercased email, keyed per business with a secret only the sandbox has."""
    key = f"payviox-payout-hash:{seed}:{business}".encode()
    return hmac.new(key, email.lower().encode(), hashlib.sha256).hexdigest()


def user_id(hash_: str) -> str:
    """The user's id follows from its hash, so a hash finds its user without an index."""
    return hashlib.sha256(b"payout-user:" + hash_.encode()).hexdigest()[:24]


def find_user(store: Store, hash_: str) -> PayoutUser | None:
    user = store.find(NAME, user_id(hash_), PayoutUser)
    return user if user is not None and hmac.compare_digest(user.hash, hash_) else None


def allocated(store: Store, business: str) -> int:
    """Cents the business has moved from its payout_balance to its users."""
    records = store.of_merchant(NAME, tenant(business), PayoutUser)
    return sum(record.allocated for record in records if isinstance(record, PayoutUser))


def allocate(store: Store, seed: int, business: str, email: str, amount: int, now: datetime) -> PayoutUser:
    """create-payout-user: a new user with `amount`, or `amount` added to an existing one."""
    hash_ = payout_hash(seed, business, email)
    user = find_user(store, hash_)
    if user is None:
        user = PayoutUser(user_id(hash_), tenant(business), business, email.lower(), hash_, now)
        store.add(NAME, user)
    user.balance += amount
    user.allocated += amount
    user.note({"type": "allocation", "amount": amount, "created_at": now})
    return user


def fee(provider: str, amount: int) -> int:
    return int((Decimal(amount) * FEE_RATE[provider]).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _details(provider: str, email: str, net: int, address: str | None, entropy: Entropy) -> dict[str, Any]:
    """The provider object of the webhooks' payload (api/payout/webhooks' examples)."""
    if provider == "paypal":
        return {"order_id": f"PP-{entropy.text(12).upper()}", "email": email}
    usd = Decimal(net) / 100
    return {
        "order_id": f"OKX-{entropy.text(12).upper()}",
        "currency": "USDT",
        "chain": "ERC20",
        "crypto_amount": usd,  # USDT at par
        "usd_amount": usd,
        "to_address": address or random_address(entropy),
        "tx_hash": None,
        "confirmations": 0,
        "network_fee": Decimal("0.002"),
    }


def withdraw(
    store: Store,
    user: PayoutUser,
    *,
    amount: int,
    provider: str,
    email: str | None,
    address: str | None,
    outcome: str,
    reason: str | None,
    settle_after: int,
    entropy: Entropy,
    now: datetime,
) -> tuple[PayoutOrder, list[Transition]]:
    """The payout user withdraws `amount`: an order that is created, starts processing, and
    settles `settle_after` seconds later (actions.on_due) to `outcome`."""
    if provider not in PROVIDERS:
        raise InvalidRequest(fields={"provider": [f"The provider must be one of: {', '.join(PROVIDERS)}."]})
    if not 1 <= amount <= user.balance:
        raise InvalidRequest(fields={"amount": [f"The amount must be between 1 and {user.balance}."]})
    charge = fee(provider, amount)
    order = PayoutOrder(
        id=entropy.hex(24),
        merchant=user.merchant,
        user_id=user.id,
        email=user.email,
        amount=amount,
        fees=charge,
        provider=provider,
        details=_details(provider, email or user.email, amount - charge, address, entropy),
        created_at=now,
        outcome=outcome,
        reason=reason,
        settles_at=now + timedelta(seconds=settle_after),
    )
    store.add(NAME, order)
    store.schedule(NAME, order.id, order.settles_at or now)
    user.balance -= amount
    user.note({"type": "withdrawal", "amount": amount, "order_id": order.id, "created_at": now})
    fired = [LIFECYCLE.fire(order, "payout_create", now), LIFECYCLE.fire(order, "payout_process", now)]
    return order, fired


def settle(
    store: Store, order: PayoutOrder, outcome: str, reason: str | None, entropy: Entropy, at: datetime
) -> Transition:
    """The order ends; a failed or rejected one gives the money back to the user (invented)."""
    step = LIFECYCLE.fire(order, f"payout_{outcome}", at)
    order.settles_at = None
    if reason is not None:
        order.reason = reason
    if outcome == "succeeded" and order.provider == "crypto":
        order.details["tx_hash"] = random_tx_hash(entropy)
        order.details["confirmations"] = 12
    user = store.find(NAME, order.user_id, PayoutUser)
    if outcome != "succeeded" and user is not None:
        user.balance += order.amount
    return step


def settle_due(store: Store, order: PayoutOrder, entropy: Entropy, now: datetime) -> list[Transition]:
    if order.status != PAYOUT_PROCESSING or order.settles_at is None or order.settles_at > now:
        return []
    return [settle(store, order, order.outcome, None, entropy, order.settles_at)]


def payload(order: PayoutOrder, event_type: str) -> dict[str, Any]:
    """api/payout/webhooks: amounts on the root (`fees` omitted if zero, `net_amount` if equal to
    `amount`), then the provider's object keyed by its name; `reason` only on a rejection with a note."""
    body: dict[str, Any] = {"amount": order.amount, "currency": CURRENCY}
    if order.fees:
        body["fees"] = order.fees
        body["net_amount"] = order.amount - order.fees
    body.update(
        {
            "metadata": {"payout_user_id": order.user_id},
            "type": event_type,
            "provider": order.provider,
            "order_id": order.id,
            "recipient": {"email": order.email},
            order.provider: {key: value for key, value in order.details.items() if value is not None},
        }
    )
    if event_type == "payout.rejected" and order.reason:
        body["reason"] = order.reason
    return body
