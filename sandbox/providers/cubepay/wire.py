"""CubePay's wire shapes, exactly as its docs print them.

Sources: payment-sdk/integration-guide/create-payment-session (the seed page: the create
response), payment-sdk/api-reference/endpoints (GET session, captures, capture object),
api-overview/payment-sessions-api (legacy: the full session with `captures[]` and the amount
fields), payment-sdk/api-reference/error-codes (`{"error": "<message>"}`). Shapes only;
behaviour lives in `provider.py` and `ledger.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.providers.cubepay.records import Capture, CubePaySession, money

# Error messages. The first is the docs' own example (error-codes); the rest follow its
# wording and are invented, as are the statuses of 404 and of the state errors (400: the only
# client-error codes the docs list are 400 and 401).
REQUIRED = "The '{field}' field is required."
NOT_A_STRING = "The '{field}' field must be a string."
NOT_POSITIVE = "The '{field}' field must be a positive number."
TOO_PRECISE = "The '{field}' field must have at most 6 decimal places."
NOT_BOOLEAN = "The '{field}' field must be a boolean."
NOT_ADDRESS = "The '{field}' field must be a 0x-prefixed 20-byte hex address."
NOT_TX_HASH = "The '{field}' field must be a 0x-prefixed 32-byte hex transaction hash."
UNSUPPORTED_CURRENCY = "Unsupported currency '{currency}'. Supported: {supported}."
NOT_JSON = "Invalid request body: expected a JSON object."
UNAUTHORIZED = "Unauthorized: a valid API key is required."
KEY_NOT_ACCEPTED = "Unauthorized: the API key is invalid or revoked."
TOKEN_REQUIRED = "Unauthorized: this endpoint takes the paymentSessionToken."
TOKEN_WRONG_SESSION = "Payment session token is not valid for this payment session."
SESSION_NOT_FOUND = "Payment session not found."
CAPTURE_NOT_FOUND = "Capture not found."
NOT_CAPTURABLE = "Payment session cannot be captured in status {status}; only FUNDED sessions can."
OVER_CAPTURE = "captureAmount {amount} exceeds the capturable amount {capturable}."
TX_NOT_FOUND = "Transaction {tx} was not found on {network} for this payment session's wallet."
REQUEST_ID_REUSED = "This requestId was already used with a different request."
MERCHANT_NOT_FOUND = "Merchant not found."
# The sandbox's own words on a refused live key (X-Sandbox-Reason and the server log, not the body).
LIVE_KEY_REASON = "live API keys are refused: the sandbox never plays production; use a test key"


def timestamp(instant: datetime) -> str:
    """`2026-03-20T12:00:00Z`: ISO 8601 in UTC without fractions, as the create example."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def created(session: CubePaySession, token: str) -> dict[str, Any]:
    """POST /payment-sessions: the endpoints page's response fields, in its order (the seed
    guide's example is the same less `userAddress` and `fundingTransactionHash`, both null on a
    new session: payment-sdk/api-reference/endpoints)."""
    return {
        "paymentSessionId": session.id,
        "paymentSessionToken": token,
        "amount": money(session.amount),
        "currency": session.currency,
        "network": session.network,
        "tokenSymbol": session.token_symbol,
        "oneTimeWalletAddress": session.one_time_wallet,
        "userAddress": session.user_address,
        "fundingTransactionHash": session.funding_tx,
        "status": session.status,
        "createdAt": timestamp(session.created_at),
    }


def session_view(session: CubePaySession) -> dict[str, Any]:
    """GET /payment-sessions/{id}: the new docs' fields plus the legacy amounts and captures.

    Absent values are `null`, as in the endpoints page's examples; the three amounts are `null`
    until the session is funded (legacy: "FUNDED or later").
    """
    funded = session.funded
    return {
        "paymentSessionId": session.id,
        "status": session.status,
        "amount": money(session.amount),
        "currency": session.currency,
        "network": session.network,
        "tokenSymbol": session.token_symbol,
        "userAddress": session.user_address,
        "oneTimeWalletAddress": session.one_time_wallet,
        "fundingTransactionHash": session.funding_tx,
        "userSubmittedTransactionHash": session.user_submitted_tx,
        "capturableAmount": money(session.capturable) if funded else None,
        "capturedAmount": money(session.captured) if funded else None,
        "refundedAmount": money(session.refunded) if funded else None,
        "captures": [capture_view(capture) for capture in session.captures],
        "createdAt": timestamp(session.created_at),
    }


def capture_accepted(capture: Capture) -> dict[str, Any]:
    """202 of POST .../captures: the endpoints page's example keys."""
    return {
        "captureId": capture.id,
        "captureAmount": money(capture.amount),
        "refundAmount": money(capture.refund),
        "status": capture.status,
    }


def capture_view(capture: Capture) -> dict[str, Any]:
    """The endpoints page's capture object; `isFinalCapture`, `createdAt` and (on ERROR) `error`
    are the legacy object's `finalCapture`/`createdAt`/`error`, under the new request's names."""
    view: dict[str, Any] = {
        "captureId": capture.id,
        "status": capture.status,
        "captureAmount": money(capture.amount),
        "refundAmount": money(capture.refund),
        "captureTransferTransactionHash": capture.capture_tx,
        "refundTransferTransactionHash": capture.refund_tx,
        "isFinalCapture": capture.final,
        "createdAt": timestamp(capture.created_at),
    }
    if capture.error is not None:
        view["error"] = capture.error
    return view
