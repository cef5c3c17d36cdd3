"""Reading CubePay request bodies: decimal-string amounts, strings, booleans, hex values.

Each check raises `InvalidRequest` with one message in the docs' wording ("The 'amount' field
is required.", error-codes), so a bad body is always CubePay's 400, never a 500.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.errors import InvalidRequest
from sandbox.evm import ADDRESS, TX_HASH, checksum_address
from sandbox.providers.cubepay import wire

_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_MAX_AMOUNT = Decimal("1000000000000")  # Invented: a sanity cap so no amount overflows a display


def body_of(call_body: Any) -> dict[str, Any]:
    if not isinstance(call_body, dict):
        raise InvalidRequest(wire.NOT_JSON)
    return call_body


def _fail(template: str, field: str) -> InvalidRequest:
    return InvalidRequest(template.format(field=field), fields={field: [template.format(field=field)]})


def text(body: dict[str, Any], field: str, *, required: bool, max_length: int = 255) -> str | None:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(wire.REQUIRED, field)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise _fail(wire.NOT_A_STRING, field)
    return value.strip()


def amount(body: dict[str, Any], field: str, *, allow_zero: bool = False) -> Decimal:
    """A decimal string (create-payment-session: `amount` "as a decimal string, e.g. "50.00"")."""
    raw = text(body, field, required=True, max_length=64)
    assert raw is not None
    if not _DECIMAL.match(raw):
        raise _fail(wire.NOT_POSITIVE, field)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _fail(wire.NOT_POSITIVE, field) from None
    if value > _MAX_AMOUNT or (value == 0 and not allow_zero):  # handle-errors: "is zero, or negative" -> 400
        raise _fail(wire.NOT_POSITIVE, field)
    exponent = value.as_tuple().exponent  # an int: the value is finite, checked above
    if isinstance(exponent, int) and exponent < -6:  # USDC has 6 decimals (invented limit)
        raise _fail(wire.TOO_PRECISE, field)
    return value


def boolean(body: dict[str, Any], field: str, default: bool) -> bool:
    value = body.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(wire.NOT_BOOLEAN, field)
    return value


def address(body: dict[str, Any], field: str, *, required: bool) -> str | None:
    """An EVM address in any case; stored and shown EIP-55 checksummed."""
    raw = text(body, field, required=required, max_length=42)
    if raw is None:
        return None
    if not ADDRESS.match(raw):
        raise _fail(wire.NOT_ADDRESS, field)
    return checksum_address(raw)


def tx_hash(body: dict[str, Any], field: str) -> str:
    raw = text(body, field, required=True, max_length=66)
    assert raw is not None
    if not TX_HASH.match(raw):
        raise _fail(wire.NOT_TX_HASH, field)
    return raw.lower()
