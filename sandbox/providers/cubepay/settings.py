"""CubePay's scenario settings: the `providers: cubepay:` block of a scenario (the spec's
`settings_model`), and how a handler reads the active one.

Every default the docs do not name is invented (FIDELITY.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.clock import MAX_SECONDS
from sandbox.providers.cubepay.lifecycle import NAME

if TYPE_CHECKING:
    from sandbox.contract import Services

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


def of(sandbox: Services) -> CubePaySettings:
    """The active scenario's CubePay settings."""
    return sandbox.provider_settings(NAME, CubePaySettings)
