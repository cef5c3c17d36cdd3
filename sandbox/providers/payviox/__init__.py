"""Payviox: cards and local methods (docs.payviox.com)."""

from sandbox.providers.payviox.provider import PAYVIOX

__all__ = ["PAYVIOX"]
