"""CubePay's API: its HTTP handlers and the operation table.

Base `https://api.pay.grain.inc` -> `/cubepay`. The new docs print `POST /payment-sessions`
without a prefix but captures under `/api/v1/...`, and the legacy docs use `/api/v1/`
everywhere (research: "path prefix inconsistency"), so every route answers under both.
Errors are `{"error": "<message>"}` (errors.py). Every rule cites
its page; what the docs do not say is marked `Invented:` and listed in FIDELITY.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sandbox.contract import Call, Operation, Reply
from sandbox.errors import InvalidRequest, NotFound
from sandbox.evm import random_address
from sandbox.providers.cubepay import assets, ledger, merchants, pages, settings, tokens, validation, wire
from sandbox.providers.cubepay.auth import Auth
from sandbox.providers.cubepay.lifecycle import NAME
from sandbox.providers.cubepay.records import CubePaySession, money

# sessions ------------------------------------------------------------------------------------


def open_session(call: Call, body: dict[str, Any]) -> CubePaySession:
    """Validate a create body and store the new session (create-payment-session's parameters)."""
    amount = validation.amount(body, "amount")
    currency = validation.text(body, "currency", required=True, max_length=16)
    request_id = validation.text(body, "requestId", required=False)
    config = settings.of(call.services)
    if currency not in config.currencies:  # Invented: only USD is ever shown
        supported = ", ".join(config.currencies)
        raise InvalidRequest(wire.UNSUPPORTED_CURRENCY.format(currency=currency, supported=supported))
    entropy = call.services.entropy
    session = CubePaySession(
        id=f"ps_{entropy.text(24)}",  # docs' example: ps_abc123def456
        merchant=call.owner().id,
        created_at=call.now,
        expires_at=call.now + timedelta(seconds=config.session_ttl_seconds),
        amount=amount,
        currency=currency or "",
        network=config.network,
        token_symbol=config.token_symbol,
        one_time_wallet=random_address(entropy),
        status=config.initial_status,
        request_id=request_id,
    )
    call.services.store.add(NAME, session)
    return session


def _token_for(call: Call, session: CubePaySession) -> str:
    ttl = settings.of(call.services).token_ttl_seconds
    return tokens.mint(tokens.signing_key(call.services.entropy), session.id, session.merchant, call.now, ttl)


def create_payment_session(call: Call) -> Reply:
    """POST /payment-sessions: 200 (not 201) with the seed page's fields (api-reference/endpoints)."""
    session = open_session(call, validation.body_of(call.body))
    return Reply(200, wire.created(session, _token_for(call, session)))


def demo_create_session(call: Call) -> Reply:
    """The demo merchant's backend route, as the seed page's Next.js `POST /api/payment-sessions`:
    `String(amount)`, `currency || "USD"`, and only the id and token go back to the browser."""
    body = dict(validation.body_of(call.body))
    if isinstance(body.get("amount"), int | Decimal) and not isinstance(body.get("amount"), bool):
        body["amount"] = str(body["amount"])
    body["currency"] = body.get("currency") or "USD"
    session = open_session(call, body)
    return Reply(200, {"paymentSessionId": session.id, "paymentSessionToken": _token_for(call, session)})


def _owned(call: Call) -> CubePaySession:
    session = call.services.store.find(NAME, call.path_params["session_id"], CubePaySession)
    if session is None or session.merchant != call.owner().id:  # another merchant's: the same 404
        raise NotFound(wire.SESSION_NOT_FOUND)
    return session


def get_payment_session(call: Call) -> Reply:
    return Reply(200, wire.session_view(_owned(call)))


def connect_wallet(call: Call) -> Reply:
    """connect-wallet-api: `{userAddress, paymentMethodId}`. Invented: answers `{"success": true}`."""
    session = _owned(call)
    body = validation.body_of(call.body)
    user = validation.address(body, "userAddress", required=True)
    method = validation.text(body, "paymentMethodId", required=False, max_length=64)
    assert user is not None
    call.services.emit(*ledger.connect(session, user, method, call.now))
    return Reply(200, {"success": True})


def funding_transaction(call: Call) -> Reply:
    """funding-transaction-api: `{fundingTransactionHash, wait?}` -> `{"success": true}`."""
    session = _owned(call)
    body = validation.body_of(call.body)
    tx = validation.tx_hash(body, "fundingTransactionHash")
    validation.boolean(body, "wait", False)  # Invented: the sandbox chain confirms at once, so wait changes nothing
    ledger.link(session, tx)
    return Reply(200, {"success": True})


def wallet_transfer(call: Call) -> Reply:
    """Invented, sandbox-only: the modal's simulated wallet sends the tokens (no real chain)."""
    session = _owned(call)
    body = validation.body_of(call.body)
    sender = validation.address(body, "fromAddress", required=False) or session.user_address
    if sender is None:
        raise InvalidRequest("Connect a wallet before sending the funding transaction.")
    amount = validation.amount(body, "amount") if body.get("amount") is not None else session.owed
    landed, fired = ledger.transfer(session, sender, amount, call.services.entropy, call.now)
    call.services.emit(*fired)
    return Reply(200, {"transactionHash": landed.hash, "amount": money(amount), "status": session.status})


# merchants -----------------------------------------------------------------------------------


def get_merchant(call: Call) -> Reply:
    """api-overview/merchants-api (legacy): no auth shown, so none is asked. A scenario merchant
    is found by its merchant id; in strict mode (declared keys) no other id exists; else every
    well-formed id is a merchant, as every key is (auth.merchant_id). Invented: the 404."""
    merchant_id = call.path_params["merchant_id"]
    scenario = call.services.scenario
    name = merchants.named(scenario, merchant_id)
    if name is None and (merchants.directory(scenario) or not merchants.well_formed_id(merchant_id)):
        raise NotFound(wire.MERCHANT_NOT_FOUND)
    config = settings.of(call.services)
    shown = name if name is not None else f"Sandbox merchant {merchant_id}"  # Invented: no name is known
    return Reply(200, assets.merchant(merchant_id, shown, config.token_symbol, config.network))


# captures ------------------------------------------------------------------------------------


def create_capture(call: Call) -> Reply:
    """captures: `{requestId, captureAmount, isFinalCapture=false}` -> 202 CAPTURING (endpoints page).
    Invented: the legacy `finalCapture` is read when `isFinalCapture` is absent."""
    session = _owned(call)
    body = validation.body_of(call.body)
    request_id = validation.text(body, "requestId", required=True)
    amount = validation.amount(body, "captureAmount", allow_zero=True)
    field = "isFinalCapture" if "isFinalCapture" in body or "finalCapture" not in body else "finalCapture"
    final = validation.boolean(body, field, False)
    sandbox = call.services
    made, fired = ledger.capture(
        session, amount, final, request_id or "", settings.of(sandbox), sandbox.entropy, call.now
    )
    sandbox.store.schedule(NAME, session.id, made.settles_at)
    sandbox.emit(*fired)
    return Reply(202, wire.capture_accepted(made))


def get_capture(call: Call) -> Reply:
    made = _owned(call).capture(call.path_params["capture_id"])
    if made is None:
        raise NotFound(wire.CAPTURE_NOT_FOUND)
    return Reply(200, wire.capture_view(made))


def _request_id_key(scope: str) -> Callable[[Call], str | None]:
    """Pipeline idempotency on `requestId`, namespaced so a session's and a capture's never collide."""

    def key(call: Call) -> str | None:
        value = call.body.get("requestId") if isinstance(call.body, dict) else None
        if not isinstance(value, str) or not value.strip():
            return None
        return f"{scope}:{call.path_params.get('session_id', '')}:{value.strip()}"

    return key


_API = (
    # name, method, path (below /cubepay and /cubepay/api/v1), handler, auth, idempotency key
    (
        "create_payment_session",
        "POST",
        "/payment-sessions",
        create_payment_session,
        Auth.API_KEY,
        _request_id_key("create"),
    ),
    ("get_payment_session", "GET", "/payment-sessions/{session_id}", get_payment_session, Auth.SESSION, None),
    ("connect_wallet", "POST", "/payment-sessions/{session_id}/connect-wallet", connect_wallet, Auth.TOKEN, None),
    (
        "funding_transaction",
        "POST",
        "/payment-sessions/{session_id}/funding-transaction",
        funding_transaction,
        Auth.TOKEN,
        None,
    ),
    (
        "create_capture",
        "POST",
        "/payment-sessions/{session_id}/captures",
        create_capture,
        Auth.API_KEY,
        _request_id_key("capture"),
    ),
    ("get_capture", "GET", "/payment-sessions/{session_id}/captures/{capture_id}", get_capture, Auth.API_KEY, None),
)


OPERATIONS = (
    *(
        Operation(name, method, prefix + path, handler, auth=auth, idempotency_key=key)
        for prefix in ("", "/api/v1")
        for name, method, path, handler, auth, key in _API
    ),
    Operation("get_merchant", "GET", "/api/v1/merchants/{merchant_id}", get_merchant, auth=None),
    Operation(
        "sandbox_wallet_transfer",
        "POST",
        "/sandbox-wallet/payment-sessions/{session_id}/transfer",
        wallet_transfer,
        auth=Auth.TOKEN,
    ),
    Operation("demo_create_session", "POST", "/demo/api/payment-sessions", demo_create_session, auth=Auth.DEMO),
    *pages.OPERATIONS,
)
