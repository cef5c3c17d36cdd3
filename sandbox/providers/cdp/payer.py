"""The payer's side of a CDP session: wallet options, wallet / x402 / Coinbase authorization.

These routes carry no merchant credential (spec: `unauthenticated`, or a Coinbase OAuth token
for `/authorizations/coinbase`); the session id names the merchant. The hosted page and the
control API's `authorize` come through `authorize()` here too, so every door applies the same
guards. Signatures and OAuth tokens are not verified (Invented: the sandbox has no chain and
no Coinbase login; FIDELITY.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from sandbox import jsonwire
from sandbox.contract import Call, Reply
from sandbox.errors import InvalidRequest, NotFound
from sandbox.evm import random_tx_hash
from sandbox.providers.cdp import chains, ledger, settings, validation
from sandbox.providers.cdp.chains import NETWORK_OF_CHAIN, ONCHAIN_ASSET, USDC, caip2
from sandbox.providers.cdp.errors import PaymentRequired
from sandbox.providers.cdp.lifecycle import NAME, Outcome
from sandbox.providers.cdp.records import CdpSession, money
from sandbox.providers.cdp.wire import INVALID_QUERY, SESSION_NOT_FOUND, action_view, x402_path

CB_AUTHZ_ID = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
# Solana addresses are base58 public keys (32 bytes: 32-44 characters, no 0, O, I or l).
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")


def find(call: Call) -> CdpSession:
    session = call.services.store.find(NAME, call.path_params["session_id"], CdpSession)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    return session


def _network(session: CdpSession) -> str:
    return session.target.get("network", "base") if session.wallet_target else "base"


def _address(call: Call) -> str:
    return "0x" + call.services.entropy.hex(40)


def default_source(call: Call, session: CdpSession) -> dict[str, Any]:
    """A payer for the hosted page and the control API: a wallet on the target's network, or
    a Coinbase account for account targets (as the spec's account_target examples)."""
    if session.wallet_target:
        return {"address": _address(call), "network": _network(session), "asset": ONCHAIN_ASSET[session.asset]}
    return {"coinbaseUserId": f"coinbase_user_{call.services.entropy.hex(12)}"}


def authorize(
    call: Call, session: CdpSession, source: dict[str, Any], *, planned: Outcome | None = None, **fields: Any
) -> dict[str, Any]:
    """Start the session's one authorization; returns the Authorization body."""
    ledger.check_authorizable(session, call.now)
    action, step = ledger.begin(
        call.services,
        session,
        "authorization",
        session.amount,
        call.now,
        planned=planned,
        source=source,
        network=source.get("network"),
        **fields,
    )
    call.services.emit(step)
    return action_view(action, session.scale)


# GET .../authorizations/wallet/options ------------------------------------------------------


def _addresses(call: Call) -> list[str]:
    """`addresses` is form-style, explode=false (`?addresses=0xA,0xB`); repeated keys work too,
    and so does `addresses[]=0xA&addresses[]=0xB`: axios's array encoding, which Coinbase's own
    TypeScript client (@coinbase/cdp-sdk 1.57.0, `getWalletAuthorizationOptions`) sends."""
    raws = call.query_all("addresses") + call.query_all("addresses[]")
    found = [part.strip() for raw in raws for part in raw.split(",")]
    found = [part for part in found if part]
    if not found:
        raise InvalidRequest("At least one wallet address is required.")
    if len(found) > 5:
        raise InvalidRequest("A maximum of 5 wallet addresses are allowed.")
    if len({address.lower() for address in found}) != len(found):
        raise InvalidRequest("Duplicate wallet addresses are not allowed.")
    if any(len(address) > 128 for address in found):
        raise InvalidRequest(INVALID_QUERY)
    return found


def _check_format(addresses: list[str], network: str) -> None:
    """Invented message: Solana wallets are base58, the EVM networks' are 0x-prefixed hex."""
    solana = network in validation.SOLANA_NETWORKS
    for address in addresses:
        if not (_BASE58 if solana else _HEX).match(address):
            kind = "a base58 Solana address" if solana else "a 0x-prefixed EVM address"
            raise InvalidRequest(f"Wallet address {address!r} is not {kind} on {network}.")


def _unfunded(address: str, asset: str, network: str, required: str) -> dict[str, Any]:
    return {
        "address": address,
        "code": "insufficient_funds",
        "message": "The payer does not have sufficient funds.",
        "fundsRequired": [{"asset": asset, "network": network, "currentBalance": "0", "requiredBalance": required}],
    }


def wallet_options(call: Call) -> Reply:
    session = find(call)
    addresses = _addresses(call)
    network = call.query.get("network") or _network(session)
    if network not in validation.SOURCE_NETWORKS:
        raise InvalidRequest(INVALID_QUERY)
    asset = call.query.get("asset") or ONCHAIN_ASSET[session.asset]
    if not 1 <= len(asset) <= 42:
        raise InvalidRequest(INVALID_QUERY)
    _check_format(addresses, network)
    ledger.check_authorizable(session, call.now)
    unfunded = {address.lower() for address in settings.of(call.services).unfunded_addresses}
    required = money(session.amount, session.scale)
    options: list[dict[str, Any]] = []
    ineligible: list[dict[str, Any]] = []
    for address in addresses:
        # Invented: the options' payload types (eip3009, permit2, erc20 approval, spend permission)
        # are all EVM signatures, so a Solana wallet gets no option: it is reported unfunded.
        if (
            address.lower() in unfunded
            or asset != ONCHAIN_ASSET[session.asset]
            or network in validation.SOLANA_NETWORKS
        ):
            ineligible.append(_unfunded(address, asset, network, required))
        elif options:  # "at most one option per asset": later wallets are superseded
            ineligible.append(
                {
                    "address": address,
                    "code": "superseded_by_preferred_option",
                    "message": "A preferred payment option was available from another wallet.",
                }
            )
        else:
            option_id = f"opt_{call.services.entropy.uuid4()}"
            option: dict[str, Any] = {
                "optionId": option_id,
                "source": {"address": address, "network": network, "asset": asset},
                "amount": required,
                "asset": asset,
                "network": network,
                "payloads": [chains.transfer_payload(call, session, address, network)],
            }
            session.wallet_options[option_id] = option  # remembered, not shown: the read stays stateless
            options.append(option)
    return Reply(200, {"options": options, "ineligibleAddresses": ineligible})


# POST .../authorizations/wallet -------------------------------------------------------------


def authorize_wallet(call: Call) -> Reply:
    session = find(call)
    body = validation.optional_body(call)
    ledger.check_authorizable(session, call.now)
    option = session.wallet_options.get(validation.string(body.get("optionId"), "optionId"))
    if option is None:
        raise InvalidRequest("optionId does not match an option returned for this payment session.")
    signed = body.get("signedPayloads")
    if not isinstance(signed, list) or not all(isinstance(item, dict) for item in signed):
        raise InvalidRequest("signedPayloads must be an array of {payloadId, signature}.")
    expected = {payload["payloadId"] for payload in option["payloads"]}
    given = {validation.string(item.get("payloadId"), "signedPayloads.payloadId") for item in signed}
    if given != expected:
        raise InvalidRequest("signedPayloads must sign exactly the payloads of the chosen option.")
    for item in signed:
        if not _HEX.match(validation.string(item.get("signature"), "signedPayloads.signature")):
            raise InvalidRequest("signedPayloads.signature must be a 0x-prefixed hex string.")
    metadata = validation.metadata(body.get("metadata"))
    shown = validation.operation(body)
    return Reply(200, authorize(call, session, dict(option["source"]), metadata=metadata, **shown))


# POST .../authorizations/x402 ---------------------------------------------------------------


def _b64json(value: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def _challenge(call: Call, session: CdpSession) -> str:
    network = _network(session)
    return _b64json(
        {
            "x402Version": 2,
            "error": "PAYMENT-SIGNATURE header is required",
            "resource": {
                "url": session.origin + x402_path(session.id),
                "description": f"Payment session {session.id}",
                "mimeType": "application/json",
            },
            "accepts": [
                {
                    "scheme": "exact",
                    "network": caip2(network),
                    "amount": chains.atomic(session.amount),
                    "asset": USDC[network],
                    "payTo": session.target["address"],
                    "maxTimeoutSeconds": 60,
                    "extra": {"name": "USDC", "version": "2"},
                }
            ],
        }
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def x402_key(call: Call) -> str | None:
    """The signature header is x402's request body: a retry that adds it is a new request."""
    key = validation.idempotency_key(call)
    if key is None:
        return None
    signature = call.headers.text("payment-signature")
    return f"{key}\0x402:{hashlib.sha256(signature.encode()).hexdigest()}"


def authorize_x402(call: Call) -> Reply:
    session = find(call)
    if not session.wallet_target:  # Invented: x402 pays onchain; account targets have no x402Url
        raise InvalidRequest("x402 authorization needs a payment session with a wallet target.")
    ledger.check_authorizable(session, call.now)
    signature = call.headers.get("payment-signature")
    if not signature:
        raise PaymentRequired(_challenge(call, session))
    try:
        payload = jsonwire.loads(base64.b64decode(signature, validate=True))
    except (binascii.Error, ValueError):
        payload = None
    if not isinstance(payload, dict):
        raise InvalidRequest("PAYMENT-SIGNATURE must be a base64-encoded x402 payment payload.")
    accepted = _object(payload.get("accepted"))
    network = NETWORK_OF_CHAIN.get(str(accepted.get("network")), _network(session))
    signed = _object(_object(payload.get("payload")).get("authorization"))
    payer = signed.get("from") if isinstance(signed.get("from"), str) else _address(call)
    source = {"address": payer, "network": network, "asset": ONCHAIN_ASSET[session.asset]}
    body = authorize(call, session, source, message="Your payment was successfully submitted")
    receipt = {
        "success": True,
        "transaction": random_tx_hash(call.services.entropy),
        "network": caip2(network),
        "payer": payer,
    }
    return Reply(200, body, {"PAYMENT-RESPONSE": _b64json(receipt)})


# POST .../authorizations/coinbase -----------------------------------------------------------


def coinbase_user(call: Call) -> str:
    """Invented: the same OAuth token is the same Coinbase user."""
    token = call.headers.text("authorization").partition(" ")[2].strip()
    return f"coinbase_user_{hashlib.sha256(token.encode()).hexdigest()[:12]}"


def authorize_coinbase(call: Call) -> Reply:
    """The OAuth token was checked by `authenticate(call, "coinbase")`."""
    session = find(call)
    if not CB_AUTHZ_ID.match(call.headers.text("cb-authz-id")):
        raise InvalidRequest("The cb-authz-id header must be a lowercase UUID v4.")
    body = validation.optional_body(call)
    metadata = validation.metadata(body.get("metadata"))
    shown = validation.operation(body)
    ledger.check_authorizable(session, call.now)
    source = {"coinbaseUserId": coinbase_user(call)}
    return Reply(200, authorize(call, session, source, metadata=metadata, **shown))
