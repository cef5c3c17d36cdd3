"""Money moving through a CubePay session: connecting, funding, capturing, settling.

The payer's wallet and the chain have no merchant API, so the same functions serve the SDK's
client-side routes (connect-wallet, the sandbox wallet's transfer), the control API's actions
(`connect`, `fund`, `cancel`, `fail`) and the clock (captures settling). Each returns the
transitions it fired, for the caller to emit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sandbox.entropy import Entropy
from sandbox.errors import InvalidRequest, InvalidState
from sandbox.evm import random_tx_hash
from sandbox.machine import Transition
from sandbox.providers.cubepay import wire
from sandbox.providers.cubepay.lifecycle import (
    CAPTURE_CAPTURED,
    CAPTURE_CAPTURING,
    CAPTURE_ERROR,
    FUNDED,
    LIFECYCLE,
    PENDING,
    UNFUNDED,
)
from sandbox.providers.cubepay.records import Capture, CubePaySession, Transfer, money
from sandbox.providers.cubepay.settings import CubePaySettings

# connect-wallet's documented example id is "pm_usdc_polygon": pm_<token>_<network> (pattern inferred).


def payment_method_id(session: CubePaySession) -> str:
    return f"pm_{session.token_symbol.lower()}_{session.network.lower()}"


def _fire(session: CubePaySession, action: str, now: datetime, **detail: object) -> list[Transition]:
    before = session.status
    step = LIFECYCLE.fire(session, action, now, **detail)
    return [step] if step.after != before else []  # re-connecting a PENDING session is no status change


def connect(session: CubePaySession, user_address: str, method_id: str | None, now: datetime) -> list[Transition]:
    """connect-wallet: CREATED -> PENDING, or a new address while still PENDING."""
    fired = _fire(session, "connect", now, userAddress=user_address)
    session.user_address = user_address
    session.payment_method_id = method_id or payment_method_id(session)
    return fired


def transfer(
    session: CubePaySession, sender: str, amount: Decimal, entropy: Entropy, now: datetime
) -> tuple[Transfer, list[Transition]]:
    """A transfer lands in the one-time wallet; the session is FUNDED once it holds the amount.

    funding-transaction-api: "If the required amount is found, the session goes to FUNDED
    automatically". A short payment leaves the session PENDING until a later transfer tops it up.
    """
    if session.status not in UNFUNDED:
        raise InvalidState(f"cannot fund a session that is {session.status}", reason=f"fund_from_{session.status}")
    fired: list[Transition] = []
    if session.user_address is None:  # the wallet that pays is the one connected
        fired += connect(session, sender, None, now)
    landed = Transfer(random_tx_hash(entropy), sender, amount, now)
    session.transfers.append(landed)
    if session.status == PENDING and session.received >= session.amount:
        fired += _fire(session, "fund", now, received=str(session.received), transactionHash=landed.hash)
        session.funding_tx = landed.hash
        session.expires_at = None
    return landed, fired


def link(session: CubePaySession, tx_hash: str) -> None:
    """funding-transaction: the client names the transaction its wallet submitted."""
    landed = session.transfer(tx_hash)
    if landed is None:
        raise InvalidRequest(wire.TX_NOT_FOUND.format(tx=tx_hash, network=session.network))
    session.user_submitted_tx = landed.hash


def cancel(session: CubePaySession, now: datetime) -> list[Transition]:
    fired = _fire(session, "cancel", now)
    session.expires_at = None
    return fired


def fail(session: CubePaySession, reason: str, now: datetime) -> list[Transition]:
    """Any open session can end in ERROR; a capture in flight ends in ERROR with it."""
    fired = _fire(session, "fail", now, error=reason)
    for capture in session.captures:
        if capture.status == CAPTURE_CAPTURING:
            capture.status, capture.error = CAPTURE_ERROR, reason
    session.expires_at = None
    return fired


def capture(
    session: CubePaySession,
    amount: Decimal,
    final: bool,
    request_id: str,
    settings: CubePaySettings,
    entropy: Entropy,
    now: datetime,
) -> tuple[Capture, list[Transition]]:
    """captures-api: only FUNDED sessions, `captureAmount <= capturableAmount`; 202, async."""
    if session.status != FUNDED:
        raise InvalidState(wire.NOT_CAPTURABLE.format(status=session.status), reason="not_funded")
    capturable = session.capturable
    if amount > capturable:
        raise InvalidRequest(
            wire.OVER_CAPTURE.format(amount=money(amount), capturable=money(capturable)), reason="over_capture"
        )
    if amount == 0 and not final:
        raise InvalidRequest(wire.NOT_POSITIVE.format(field="captureAmount"))
    refund = session.received - session.captured - session.refunded - amount if final else Decimal(0)
    settles_at = now + timedelta(seconds=settings.capture_delay_seconds)
    made = Capture(f"cap_{entropy.text(24)}", now, settles_at, amount, refund, final, request_id)
    session.captures.append(made)
    fired = _fire(session, "capture", now, captureId=made.id)
    return made, fired


def settle_due(session: CubePaySession, outcome: str, entropy: Entropy, now: datetime) -> list[Transition]:
    """Settle every capture whose time has come (called by the sandbox's deadline sweep)."""
    fired: list[Transition] = []
    for made in session.captures:
        if made.status != CAPTURE_CAPTURING or made.settles_at > now:
            continue
        if outcome == CAPTURE_ERROR:
            made.status, made.error = CAPTURE_ERROR, "Capture transfer failed (sandbox capture_outcome: ERROR)."
            fired += _fire(session, "capture_failed", made.settles_at, captureId=made.id)
            continue
        made.status = CAPTURE_CAPTURED
        made.capture_tx = random_tx_hash(entropy)
        if made.refund > 0:
            made.refund_tx = random_tx_hash(entropy)
        action = "capture_final" if made.final else "capture_partial"
        fired += _fire(session, action, made.settles_at, captureId=made.id)
    return fired
