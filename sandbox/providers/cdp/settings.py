"""CDP's block under the scenario's `providers:`: strict-mode API keys and how actions settle.

Pydantic models, so a scenario file is checked when it loads (`extra="forbid"`: a misspelt
key is a load error, not a silently ignored setting).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.clock import MAX_SECONDS
from sandbox.providers.cdp.lifecycle import NAME, Outcome

if TYPE_CHECKING:
    from sandbox.contract import Services


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


# MandateStatus (cdp-sdk 1.51 `mandate_status.py`).
MandateStatus = Literal[
    "created",
    "approval_pending",
    "approval_succeeded",
    "approval_failed",
    "revocation_pending",
    "revocation_succeeded",
    "revocation_failed",
    "canceled",
]


class PeriodCap(BaseModel):
    """MandatePolicyPeriodCap: "Max total authorizable in the rolling `period`"."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0)
    period: Literal["day", "week", "month", "year"]


class Mandate(BaseModel):
    """A mandate a merchant may draw on with `POST .../authorizations/mandate` (cdp-sdk 1.51 Mandate).
    The sandbox has no `/v2/mandates` API: mandates are declared here, in the state under test, or
    made and changed by the control API with the same fields (mandate_table.py).
    `canceled` / `revoked` stand for the `canceledAt` / `revokedAt` timestamps being set."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^mandate_[a-f0-9\-]{36}$", description="mandate_<uuid>, as the API's mandateId")
    status: MandateStatus = "approval_succeeded"
    canceled: bool = Field(False, description="canceledAt is set (implied by status canceled)")
    revoked: bool = Field(False, description="revokedAt is set (implied by status revocation_succeeded)")
    expires_at: datetime | None = Field(None, description="past this sandbox instant: mandate_expired")
    max_per_authorization: Decimal | None = Field(None, gt=0, description="policy.maxPerAuthorization")
    max_per_period: PeriodCap | None = Field(None, description="policy.maxPerPeriod (a trailing window)")
    source: dict[str, str] | None = Field(
        None, description="MandateSourceWallet {address, network, asset}; default: a wallet derived from the id"
    )


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
    mandates: list[Mandate] = Field(
        default_factory=list, description="mandates any merchant may authorize payment sessions against"
    )
    # Invented: the payer's Coinbase account holds this much USDC before it pays anything.
    coinbase_account_balance: Decimal = Field(
        Decimal("1000.00"), ge=0, description="USDC each Coinbase payer starts with (coinbase-accounts/balances)"
    )


def of(sandbox: Services) -> CdpSettings:
    """The active scenario's CDP settings."""
    return sandbox.provider_settings(NAME, CdpSettings)
