"""CubePay: Grain's crypto payment SDK (docs.grain.inc, payment-sdk/*)."""

from sandbox.providers.cubepay.provider import CUBEPAY

__all__ = ["CUBEPAY"]
