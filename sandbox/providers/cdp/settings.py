"""CDP's block under the scenario's `providers:`: strict-mode API keys and how actions settle.

Pydantic models, so a scenario file is checked when it loads (`extra="forbid"`: a misspelt
key is a load error, not a silently ignored setting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def of(sandbox: Services) -> CdpSettings:
    """The active scenario's CDP settings."""
    return sandbox.provider_settings(NAME, CdpSettings)
