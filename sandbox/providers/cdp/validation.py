"""Request-field rules of the CDP spec; each failure is a 400 `invalid_request`.

Limits come from the schemas: Metadata (<= 10 pairs, key <= 40, value <= 500), Url (11-2048,
`^https?://`), externalReferenceId (<= 256), CustomerDisplay (merchantName <= 128,
displayAmount needs amount and currency), Asset (1-42), PaymentTargetNetwork, AccountId,
PaymentExpiries (ascending). Unknown fields are ignored (Invented: the spec does not say).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.clock import parse_instant
from sandbox.contract import Call
from sandbox.errors import InvalidRequest

# PaymentExpiries: "authorizationExpiresAt = now + 1 day, captureExpiresAt = now + 7 days,
# refundExpiresAt = now + 30 days".
DEFAULT_EXPIRIES = {
    "authorizationExpiresAt": timedelta(days=1),
    "captureExpiresAt": timedelta(days=7),
    "refundExpiresAt": timedelta(days=30),
}

# Invented: the spec types the asset as any 1-42 char symbol; the sandbox takes the four the
# Account schema lists ("Supported values are `usdc`, `eurc`, `usd`, and `eur`").
ASSETS = ("usdc", "eurc", "usd", "eur")
TARGET_NETWORKS = ("base", "base-sepolia")  # PaymentTargetNetwork
SOURCE_NETWORKS = (  # PaymentSourceNetwork (cdp-sdk 1.51 adds avalanche, solana, solana-devnet)
    "arbitrum",
    "arbitrum-sepolia",
    "avalanche",
    "base",
    "base-sepolia",
    "ethereum",
    "ethereum-sepolia",
    "optimism",
    "optimism-sepolia",
    "polygon",
    "polygon-amoy",
    "solana",
    "solana-devnet",
)
SOLANA_NETWORKS = ("solana", "solana-devnet")
ACCOUNT_ID = re.compile(r"^account_[a-f0-9\-]{36}$")
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
MAX_DECIMALS = 6  # Invented: USDC and EURC carry 6 decimals onchain; finer amounts are refused
URL = re.compile(r"^https?://.*$")


def fail(message: str) -> InvalidRequest:
    return InvalidRequest(message)


def amount(value: Any, name: str = "amount") -> tuple[Decimal, int]:
    """A positive decimal string; returns the value and its number of decimal places."""
    if not isinstance(value, str):
        raise fail(f'{name} must be a decimal string, e.g. "1.00".')
    if not _AMOUNT.match(value):
        raise fail(f'{name} must be a positive decimal string, e.g. "1.00"; got {value!r}.')
    try:
        parsed = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise fail(f"{name} is not a decimal number.") from None
    places = len(value.partition(".")[2])
    if parsed <= 0:
        raise fail(f"{name} must be greater than zero.")
    if places > MAX_DECIMALS:
        raise fail(f"{name} has more than {MAX_DECIMALS} decimal places.")
    return parsed, places


def string(value: Any, name: str, *, max_length: int | None = None, min_length: int = 0) -> str:
    if not isinstance(value, str):
        raise fail(f"{name} must be a string.")
    if len(value) < min_length or (max_length is not None and len(value) > max_length):
        bounds = f"between {min_length} and {max_length}" if max_length is not None else f"at least {min_length}"
        raise fail(f"{name} must be {bounds} characters long.")
    return value


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise fail(f"{name} must be a boolean.")
    return value


def obj(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f"{name} must be an object.")
    return value


def metadata(value: Any) -> dict[str, str] | None:
    """Metadata; messages from the transfers docs' invalid_request examples."""
    if value is None:
        return None
    pairs = obj(value, "metadata")
    if len(pairs) > 10:
        raise fail("Metadata has too many keys. Up to 10 key/value pairs are permitted.")
    for key, item in pairs.items():
        if len(key) > 40:
            raise fail(f"Metadata key '{key[:40]}...' is too long. Keys must be 40 characters or less.")
        if not isinstance(item, str):
            raise fail(f"Metadata value for key '{key}' must be a string.")
        if len(item) > 500:
            raise fail(f"Metadata value for key '{key}' is too long. Values must be 500 characters or less.")
    return dict(pairs)


def url(value: Any, name: str) -> str:
    text = string(value, name, min_length=11, max_length=2048)
    if not URL.match(text):
        raise fail(f"{name} must be an http or https URL.")
    return text


def asset(value: Any, name: str = "asset") -> str:
    text = string(value, name, min_length=1, max_length=42)
    if text not in ASSETS:
        raise fail(f"{name} must be one of {', '.join(ASSETS)}; got {text!r}.")
    return text


def account(value: dict[str, Any], name: str) -> dict[str, Any]:
    account_id = string(value.get("accountId"), f"{name}.accountId")
    if not ACCOUNT_ID.match(account_id):
        raise fail(f"{name}.accountId must look like account_<uuid>.")
    return {"accountId": account_id, "asset": asset(value.get("asset"), f"{name}.asset")}


def target(value: Any) -> dict[str, Any]:
    """PaymentSessionTarget: oneOf wallet {address, network?} | account {accountId, asset}."""
    given = obj(value, "target")
    if "address" in given and "accountId" not in given:
        result = {"address": string(given["address"], "target.address", min_length=1, max_length=128)}
        if "network" in given:
            network = string(given["network"], "target.network")
            if network not in TARGET_NETWORKS:
                raise fail(f"target.network must be one of {', '.join(TARGET_NETWORKS)}; got {network!r}.")
            result["network"] = network
        return result
    if "accountId" in given and "address" not in given:
        return account(given, "target")
    raise fail("target must be either a wallet {address, network} or an account {accountId, asset}.")


def refund_source(value: Any) -> dict[str, Any]:
    """RefundSource: oneOf account {accountId, asset} | wallet {address}."""
    given = obj(value, "source")
    if "address" in given and "accountId" not in given:
        return {"address": string(given["address"], "source.address", min_length=1, max_length=128)}
    if "accountId" in given and "address" not in given:
        return account(given, "source")
    raise fail("source must be either an account {accountId, asset} or a wallet {address}.")


def redirect(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    given = obj(value, "redirect")
    return {name: url(given[name], f"redirect.{name}") for name in ("failureUrl", "successUrl") if name in given}


def customer_display(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    given = obj(value, "customerDisplay")
    result: dict[str, Any] = {}
    if "merchantName" in given:
        result["merchantName"] = string(given["merchantName"], "customerDisplay.merchantName", max_length=128)
    if "displayAmount" in given:
        shown = obj(given["displayAmount"], "customerDisplay.displayAmount")
        if "amount" not in shown or "currency" not in shown:
            raise fail("customerDisplay.displayAmount needs both amount and currency.")
        result["displayAmount"] = {
            "amount": string(shown["amount"], "customerDisplay.displayAmount.amount"),
            "currency": string(shown["currency"], "customerDisplay.displayAmount.currency"),
        }
    if "orderCode" in given:  # cdp-sdk 1.51 CustomerDisplay.orderCode, <= 128
        result["orderCode"] = string(given["orderCode"], "customerDisplay.orderCode", max_length=128)
    return result


# Invented: the generated orderCode's shape is not documented (CustomerDisplay.orderCode: "When
# omitted, CDP generates one and returns it", <= 128): 8 characters without look-alikes.
ORDER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ORDER_CODE_LENGTH = 8


def operation(body: dict[str, Any]) -> dict[str, Any]:
    """An action request's `externalReferenceId` (<= 256) and `customerDisplay` OperationCustomerDisplay
    `{referenceCode <= 128}` (cdp-sdk 1.51 Create{Capture,Void,Refund}Request and the authorization
    requests), as the Action's fields; the `orderCode` fallback is `ledger.begin`'s."""
    external = body.get("externalReferenceId")
    display = obj(body["customerDisplay"], "customerDisplay") if body.get("customerDisplay") is not None else {}
    code = display.get("referenceCode")
    code = string(code, "customerDisplay.referenceCode", max_length=128) if code is not None else None
    return {
        "external_reference_id": (
            string(external, "externalReferenceId", max_length=256) if external is not None else None
        ),
        "customer_display": {"referenceCode": code} if code is not None else None,
    }


def expiries(value: Any, now: datetime) -> dict[str, datetime]:
    """PaymentExpiries: defaults now + 1/7/30 days; must be ascending, else 400."""
    given = obj(value, "expiries") if value is not None else {}
    result: dict[str, datetime] = {}
    for name, default in DEFAULT_EXPIRIES.items():
        if name in given:
            text = string(given[name], f"expiries.{name}")
            try:
                at = parse_instant(text)
            except ValueError:
                raise fail(f"expiries.{name} must be an RFC 3339 date-time.") from None
            if at <= now:  # Invented: a deadline already past would refuse every action
                raise fail(f"expiries.{name} must be in the future.")
            result[name] = at
        else:
            result[name] = now + default
    first, second, third = result.values()
    if not first <= second <= third:
        raise fail("Expiries must satisfy authorizationExpiresAt <= captureExpiresAt <= refundExpiresAt.")
    return result


def idempotency_key(call: Call) -> str | None:
    """X-Idempotency-Key, 1-128 chars (components/parameters/IdempotencyKey)."""
    key = call.headers.get("x-idempotency-key")
    if key is not None and not 1 <= len(key) <= 128:
        raise fail("X-Idempotency-Key must be between 1 and 128 characters long.")
    return key


def optional_body(call: Call) -> dict[str, Any]:
    """An optional JSON object body (cancel, void, the payer's and the control API's posts);
    bad JSON is still a 400."""
    return {} if call.body is None else call.json_object()
