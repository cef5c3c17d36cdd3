"""The money and state operations on Payviox sessions: paying, the fraud review, the refund,
and the business's balance. No HTTP here.

Payviox has no merchant API for paying, reviews or refunds (docs: no refund endpoint; reviews
happen inside Payviox), so they are reached from the hosted page (pages.py) and from the
control API (actions.py). Both come here, so the IP check and the money are the same whichever
door the payer uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sandbox.entropy import Entropy
from sandbox.errors import Forbidden, InvalidRequest, NotFound
from sandbox.machine import Transition
from sandbox.providers.payviox.lifecycle import INCOMPLETE, LIFECYCLE, NAME, PAY_OUTCOMES, PROCESSING, SETTLE_OUTCOMES
from sandbox.providers.payviox.methods import CATALOGUE, Method
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.providers.payviox.validation import is_integer
from sandbox.providers.payviox.wire import PAYMENT_METHOD_NOT_FOUND, SESSION_NOT_FOUND
from sandbox.store import Store

DEFAULT_METHOD = "stripe_credit"
OUTCOMES = (*PAY_OUTCOMES, INCOMPLETE)
# Invented: the sandbox has no IP geolocation; a payer's country is this unless an action says otherwise.
DEFAULT_COUNTRY = "US"


def find(store: Store, session_id: str) -> PayvioxSession:
    session = store.find(NAME, session_id, PayvioxSession)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    return session


def check_ip(session: PayvioxSession, payer_ip: str | None) -> None:
    """create-session: "the payment page will verify that the user's IP matches" -> 403."""
    if session.ip is not None and payer_ip is not None and payer_ip != session.ip:
        raise Forbidden("Request IP does not match session IP", reason="ip_mismatch")


def method_for(session: PayvioxSession, method_id: str | None, enabled: Mapping[str, Method]) -> Method:
    """The method the payer pays with: the one asked for, else the session's, else a default;
    it must be enabled for the business (create-session: "not enabled" -> not found)."""
    chosen = method_id or session.payment_method or session.requested_method
    if chosen is None:
        chosen = DEFAULT_METHOD if DEFAULT_METHOD in enabled else next(iter(enabled), DEFAULT_METHOD)
    method = enabled.get(chosen)
    if method is None:
        raise InvalidRequest(PAYMENT_METHOD_NOT_FOUND, reason="payment_method_not_found")
    return method


def pay(
    session: PayvioxSession,
    outcome: str,
    method: Method,
    *,
    amount_paid: Any = None,
    payer_ip: str | None,
    user_agent: str | None,
    country: str | None,
    entropy: Entropy,
    now: datetime,
) -> Transition:
    """One payment attempt. `amount_paid` (cents) is only for `incomplete`: a crypto payment short
    of what is still due. Any other outcome that takes money covers all that is due."""
    if outcome not in OUTCOMES:
        raise InvalidRequest(fields={"outcome": [f"The outcome must be one of: {', '.join(OUTCOMES)}."]})
    check_ip(session, payer_ip)
    action = f"pay_{outcome}"
    if not LIFECYCLE.can(session, action):
        LIFECYCLE.fire(session, action, now)  # raises the lifecycle's own "cannot ..." (409)
    received = _received_after(session, outcome, method, amount_paid)
    step = LIFECYCLE.fire(session, action, now, method=method.id, amount_remaining=session.amount - received)
    session.payment_method = method.id
    session.payer_ip = payer_ip or session.ip
    session.user_agent = user_agent
    session.country = country or DEFAULT_COUNTRY
    session.amount_received = received
    if outcome not in ("failed", INCOMPLETE, PROCESSING):  # money was taken (declined: taken, then refunded)
        session.fees = method.fee_cents(session.amount)
    if outcome != "failed" and session.customer_details is None:  # a top-up keeps what the first payment collected
        session.customer_details = _customer_details(entropy, session.country)
        session.payment_details = _payment_details(entropy, method, session.country)
    return step


def _received_after(session: PayvioxSession, outcome: str, method: Method, amount_paid: Any) -> int:
    """The cents the session holds once this attempt is made; raises if it may not be made.
    Messages are worded like Laravel's, as the API's own validation is (validation.py)."""
    if session.status == INCOMPLETE and method.id != session.payment_method:
        # Invented: the rest of an underpaid crypto payment goes to the same provider.
        raise InvalidRequest(fields={"payment_method": [f"The rest must be paid with {session.payment_method}."]})
    if outcome != INCOMPLETE:
        if amount_paid is not None:
            raise InvalidRequest(fields={"amount_paid": ["The amount paid field is only allowed with incomplete."]})
        return 0 if outcome in ("failed", PROCESSING) else session.amount  # processing: not settled yet
    if method.type != "crypto":  # webhooks/integration: `incomplete` is a "Crypto payment underpaid"
        raise InvalidRequest(fields={"outcome": ["The incomplete outcome needs a crypto payment method."]})
    if amount_paid is None:
        raise InvalidRequest(fields={"amount_paid": ["The amount paid field is required with incomplete."]})
    if not is_integer(amount_paid):
        raise InvalidRequest(fields={"amount_paid": ["The amount paid field must be an integer."]})
    if not 1 <= amount_paid < session.amount_due:
        message = f"The amount paid field must be between 1 and {session.amount_due - 1}."
        raise InvalidRequest(fields={"amount_paid": [message]})
    paid: int = amount_paid  # is_integer checked it
    return session.amount_received + paid


def initiate(session: PayvioxSession, method: Method, now: datetime) -> Transition:
    """A redirect provider's payment was started at session creation (create-session, "Direct Redirect")."""
    step = LIFECYCLE.fire(session, "initiate", now, method=method.id)
    session.payment_method = method.id
    return step


def await_settlement(store: Store, session: PayvioxSession, seconds: int, now: datetime) -> None:
    """A `processing` payment settles `seconds` later on the sandbox clock (actions.on_due).
    Invented: GPD documents `processing` but not how long it lasts."""
    if session.status == PROCESSING:
        session.settles_at = now + timedelta(seconds=seconds)
        store.schedule(NAME, session.id, session.settles_at)


def settle(session: PayvioxSession, outcome: str, now: datetime) -> Transition:
    """A processing payment ends: succeeded or declined take the money (declined refunds it), failed does not."""
    if outcome not in SETTLE_OUTCOMES:
        raise InvalidRequest(fields={"outcome": [f"The outcome must be one of: {', '.join(SETTLE_OUTCOMES)}."]})
    step = LIFECYCLE.fire(session, f"settle_{outcome}", now)
    session.settles_at = None
    if outcome != "failed":
        session.amount_received = session.amount
        method = CATALOGUE.get(session.payment_method or "")
        session.fees = method.fee_cents(session.amount) if method else None
    return step


def review(session: PayvioxSession, decision: str, now: datetime) -> Transition:
    if decision not in ("approve", "decline"):
        raise InvalidRequest(fields={"decision": ["The decision must be one of: approve, decline."]})
    return LIFECYCLE.fire(session, f"review_{decision}", now)


def refund(session: PayvioxSession, now: datetime) -> Transition:
    return LIFECYCLE.fire(session, "refund", now)


def balance_moved(sessions: Iterable[PayvioxSession]) -> int:
    """get-balance. Invented: what the business's sessions added to its starting balance: net
    amounts of payments that succeeded, less the amounts refunded."""
    moved = 0
    for session in sessions:
        if session.paid:
            moved += session.net_amount or 0
        if session.status == "refunded":
            moved -= session.amount
    return moved


def _customer_details(entropy: Entropy, country: str) -> dict[str, Any]:
    fake = entropy.faker
    return {
        "name": fake.name(),
        "email": fake.email(),
        "phone": fake.numerify("+1##########"),
        "address": {
            "line1": fake.street_address(),
            "line2": fake.secondary_address(),
            "city": fake.city(),
            "state": fake.state_abbr(),
            "postal_code": fake.postcode(),
            "country": country,
        },
    }


def _payment_details(entropy: Entropy, method: Method, country: str) -> dict[str, Any]:
    if method.type != "card":
        return {"type": method.id.rsplit("_", 1)[-1]}  # e.g. "ideal", "bancontact", "blik" (docs' examples)
    rng = entropy.rng
    return {
        "type": "card",
        "card": {
            "brand": rng.choice(["visa", "mastercard", "amex"]),
            "last4": f"{rng.randrange(10_000):04d}",
            "exp_month": f"{rng.randrange(1, 13):02d}",
            "exp_year": str(2027 + rng.randrange(6)),
            "country": country,
        },
    }
