"""Coinbase CDP v2 Payment Sessions, mounted at /cdp (clients use base /cdp/platform)."""

from __future__ import annotations

from sandbox.providers.cdp.provider import CDP

__all__ = ["CDP"]
