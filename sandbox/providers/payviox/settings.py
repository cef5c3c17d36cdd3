"""Payviox's scenario settings: a scenario's `providers: {payviox: ...}` block (`settings_model`).

Every number here is the sandbox's own (the docs name the limits and the 24 h expiry, not the
counts); a scenario changes them to play a stricter or a faster Payviox.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.clock import MAX_SECONDS
from sandbox.providers.payviox.methods import PROVIDER_NAMES


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
    payout_balance: int = Field(
        500000, description="starting payout balance in cents (docs' example), debited by POST /payout/create"
    )
    payouts_enabled: bool = Field(True, description="false: POST /payout/create answers 403 (dashboard setting)")
    processing_seconds: int = Field(
        60, ge=0, le=MAX_SECONDS, description="a `processing` payment settles this long after it was paid"
    )
    processing_outcome: Literal["succeeded", "failed", "declined"] = Field(
        "succeeded", description="what a `processing` payment settles to"
    )
    failing_providers: list[str] = Field(
        [], description="redirect providers (zen, paypal, ...) whose payment creation fails: `payment_error` on create"
    )
    payout_seconds: int = Field(
        60, ge=0, le=MAX_SECONDS, description="a withdrawal settles this long after it started processing"
    )
    payout_outcome: Literal["succeeded", "failed", "rejected"] = Field(
        "succeeded", description="what a withdrawal settles to"
    )

    @field_validator("failing_providers")
    @classmethod
    def _known_providers(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PROVIDER_NAMES))
        if unknown:
            raise ValueError(f"unknown Payviox providers {unknown}; known: {sorted(PROVIDER_NAMES)}")
        return value
