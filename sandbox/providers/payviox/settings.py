"""Payviox's scenario settings: a scenario's `providers: {payviox: ...}` block (`settings_model`).

Every number here is the sandbox's own (the docs name the limits and the 24 h expiry, not the
counts); a scenario changes them to play a stricter or a faster Payviox.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sandbox.clock import MAX_SECONDS


class RateLimits(BaseModel):
    """Invented numbers: the docs say limits exist per IP and per customer, not how many."""

    model_config = ConfigDict(extra="forbid")

    per_ip: int = Field(100, ge=1, description="session creations per window per end-user IP")
    per_customer: int = Field(20, ge=1, description="session creations per window per `customer` value")
    window_seconds: int = Field(60, ge=1, le=MAX_SECONDS)


class PayvioxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_ttl_seconds: int = Field(
        24 * 3600, ge=1, le=MAX_SECONDS, description="unpaid sessions expire after this (docs: 24 h)"
    )
    rate_limits: RateLimits = RateLimits()
    balance: int = Field(0, description="starting business balance in cents")
    payout_balance: int = Field(0, description="starting payout balance in cents")
