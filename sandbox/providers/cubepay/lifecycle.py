"""CubePay's payment-session lifecycle and settings, as data.

Statuses are the legacy docs' enum (api-overview/payment-sessions-api), spelled as documented
(`CANCELED`, one L): CREATED | PENDING | FUNDED | CANCELED | CAPTURING | SUCCEEDED | ERROR.
Transitions follow the docs' prose (how-grain-works/payment-lifecycle, captures-api,
payment-sdk/integration-guide/handle-payment-completion):

    CREATED --connect--> PENDING --fund (OTW holds >= amount)--> FUNDED
    FUNDED --capture--> CAPTURING --capture_partial--> FUNDED
                                  --capture_final----> SUCCEEDED (the rest refunded on-chain)
    CREATED/PENDING --cancel--> CANCELED   ("marked as rejected and the payment is cancelled")
    any open status --fail--> ERROR

Invented (FIDELITY.md): `expire` (an unfunded session is CANCELED after a TTL; no TTL is
documented), `capture_failed` (a capture that ends in ERROR hands the session back to FUNDED,
the funds still being in the one-time wallet), and every number in the settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.clock import MAX_SECONDS
from sandbox.machine import Lifecycle

CREATED, PENDING, FUNDED, CANCELED = "CREATED", "PENDING", "FUNDED", "CANCELED"
CAPTURING, SUCCEEDED, ERROR = "CAPTURING", "SUCCEEDED", "ERROR"
STATUSES = (CREATED, PENDING, FUNDED, CANCELED, CAPTURING, SUCCEEDED, ERROR)
UNFUNDED = (CREATED, PENDING)

# Capture statuses (payment-sdk/api-reference/endpoints; ERROR from the legacy captures-api).
CAPTURE_CAPTURING, CAPTURE_CAPTURED, CAPTURE_ERROR = "CAPTURING", "CAPTURED", "ERROR"

_table: dict[tuple[str, str], str] = {
    (CREATED, "connect"): PENDING,
    # connect-wallet: "may be called multiple times until the funding transaction is linked"
    (PENDING, "connect"): PENDING,
    (PENDING, "fund"): FUNDED,
    (FUNDED, "capture"): CAPTURING,
    (CAPTURING, "capture_partial"): FUNDED,
    (CAPTURING, "capture_final"): SUCCEEDED,
    (CAPTURING, "capture_failed"): FUNDED,  # Invented: see the module docstring
}
for _state in UNFUNDED:
    _table[(_state, "cancel")] = CANCELED
    _table[(_state, "expire")] = CANCELED  # Invented: no TTL or EXPIRED status is documented
for _state in (CREATED, PENDING, FUNDED, CAPTURING):
    _table[(_state, "fail")] = ERROR

LIFECYCLE = Lifecycle(provider="cubepay", initial=PENDING, table=_table)

Network = Literal["ETHEREUM", "POLYGON", "SEPOLIA"]  # legacy enum (payment-sessions-api)
TokenSymbol = Literal["USDC", "USD1"]  # "e.g. USDC, USD1" (payment-sessions-api)


class CubePaySettings(BaseModel):
    """Per-sandbox CubePay settings; every default not named in the docs is invented."""

    model_config = ConfigDict(extra="forbid")

    network: Network = Field("SEPOLIA", description="network of new sessions (create-session example: SEPOLIA)")
    token_symbol: TokenSymbol = Field("USDC", description="token of new sessions (docs' examples: USDC)")
    currencies: list[str] = Field(["USD"], min_length=1, description="accepted `currency` values (docs show only USD)")
    initial_status: Literal["PENDING", "CREATED"] = Field(
        "PENDING", description="status of a new session: PENDING as the current docs' create example, or CREATED"
    )
    session_ttl_seconds: int = Field(
        3600, ge=1, le=MAX_SECONDS, description="an unfunded session is CANCELED after this"
    )
    token_ttl_seconds: int = Field(3600, ge=1, le=MAX_SECONDS, description="lifetime of a paymentSessionToken")
    capture_delay_seconds: float = Field(
        0, ge=0, le=MAX_SECONDS, description="captures settle this long after the request"
    )
    capture_outcome: Literal["CAPTURED", "ERROR"] = Field("CAPTURED", description="how captures settle")
    demo_api_key: str = Field("cubepay_sandbox_demo", min_length=1, description="the API key /cubepay/demo uses")
