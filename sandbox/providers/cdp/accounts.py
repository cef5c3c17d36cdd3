"""`GET /v2/coinbase-accounts/balances`: what the payer's Coinbase account holds.

Source: @coinbase/cdp-sdk 1.57 `listCoinbaseAccountBalances` (Payment Sessions tag): "Requires
a Coinbase OAuth Bearer token with the `coinbase:stablecoins:balance-read` scope", returns
`Balances {balances: [{asset: {symbol, type, name, decimals}, amount: {<symbol>: {available,
total}}}]}`; "The `available` amount is the immediately spendable balance. The `total` amount
also includes funds currently on hold. Both amounts are returned as decimal strings with 2
decimal places"; "Currently always returns a single USDC entry. If the payer holds no USDC, the
entry is still returned with an `available` and `total` of `"0"`".

Invented (FIDELITY.md): the account starts with `coinbase_account_balance` (scenario setting,
default 1000.00 USDC); every payment session this Coinbase user authorized takes its captured
amount from the total and its capturable hold from what is available, and its refunds come back.
The user is the one `POST .../authorizations/coinbase` names for the same token (payer.py).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from sandbox.contract import Call, Reply
from sandbox.providers.cdp import payer, settings
from sandbox.providers.cdp.lifecycle import NAME
from sandbox.providers.cdp.records import CdpSession

USDC = {"symbol": "usdc", "type": "crypto", "name": "USD Coin", "decimals": 6}  # USDC's onchain decimals


def _two_places(value: Decimal) -> str:
    if value <= 0:
        return "0"
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def list_balances(call: Call) -> Reply:
    user = payer.coinbase_user(call)
    total = settings.of(call.services).coinbase_account_balance
    held = Decimal(0)
    for record in call.services.store.of_provider(NAME):  # bounded by the store's record cap
        if isinstance(record, CdpSession) and (record.source or {}).get("coinbaseUserId") == user:
            total += record.refunded - record.captured
            held += record.capturable
    amount = {"available": _two_places(total - held), "total": _two_places(total)}
    return Reply(200, {"balances": [{"asset": dict(USDC), "amount": {"usdc": amount}}]})
