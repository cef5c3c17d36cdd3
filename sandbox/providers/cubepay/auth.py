"""Who a CubePay call is: its credential kinds, how a bearer value is read, and what it names.

Grain gives a merchant an API key, a server-side secret (payment-sdk/api-reference/
authentication), and each session a `paymentSessionToken` for the browser SDK's routes
(create-payment-session); both go in `Authorization: Bearer ...`. A key names its merchant:
the one a scenario declares it for (strict mode, merchants.py), else a digest of the key.
"""

from __future__ import annotations

import hashlib
import logging
from enum import StrEnum
from typing import TYPE_CHECKING

from sandbox.contract import Call, Merchant
from sandbox.errors import Unauthorized
from sandbox.providers.cubepay import merchants, settings, tokens, wire

if TYPE_CHECKING:
    from sandbox.contract import Services

log = logging.getLogger("sandbox.cubepay")


class Auth(StrEnum):
    """The credentials CubePay operations take (payment-sessions-api, create-payment-session)."""

    API_KEY = "api_key"  # the merchant's API key: server routes
    TOKEN = "token"  # the session's paymentSessionToken: the SDK's routes
    SESSION = "session"  # either
    DEMO = "demo"  # none: the demo page's backend route holds the demo merchant's key


def merchant_id(api_key: str) -> str:
    """Invented: the merchant an API key names; a digest, so the key itself never shows in the journal
    or the control API. The demo page hands the demo key's id to `CubePaySDK.init` as its merchant id."""
    return "mch_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def merchant_of_key(sandbox: Services, key: str) -> str | None:
    """The merchant `key` names: the declared one in strict mode (None for an undeclared key),
    else the key's own digest merchant (`merchant_id`)."""
    declared = merchants.directory(sandbox.scenario)
    if declared:
        return declared.get(key)
    return merchant_id(key)


def authenticate(call: Call, need: Auth) -> Merchant:
    if need is Auth.DEMO:  # the demo page's own backend route holds the demo merchant's key
        return _api_key_owner(call, settings.of(call.services).demo_api_key)
    scheme, _, credential = call.headers.text("authorization").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthorized(wire.TOKEN_REQUIRED if need is Auth.TOKEN else wire.UNAUTHORIZED)
    if tokens.looks_like_jwt(credential):
        if need is Auth.API_KEY:  # payment-sessions-api: the token is for GET and the client routes only
            raise Unauthorized(wire.UNAUTHORIZED)
        try:
            claims = tokens.verify(tokens.signing_key(call.services.entropy), credential, call.now)
        except tokens.TokenError as error:
            raise Unauthorized(str(error)) from None
        if claims["sub"] != call.path_params.get("session_id"):  # "scoped to this session" (create-payment-session)
            raise Unauthorized(wire.TOKEN_WRONG_SESSION)
        return Merchant(claims["mid"], "session_token")
    if need is Auth.TOKEN or not merchants.API_KEY.match(credential):
        raise Unauthorized(wire.TOKEN_REQUIRED if need is Auth.TOKEN else wire.UNAUTHORIZED)
    if merchants.is_live_key(credential):
        # error-codes: 401 "API key is missing, invalid, or revoked"; the why goes in
        # X-Sandbox-Reason (errors.py) and the server log, never in Grain's own body.
        log.warning("cubepay 401: %s", wire.LIVE_KEY_REASON)
        raise Unauthorized(wire.KEY_NOT_ACCEPTED, reason="live_key")
    return _api_key_owner(call, credential)


def _api_key_owner(call: Call, key: str) -> Merchant:
    """The merchant an API key names; in strict mode (the scenario declares keys) an undeclared
    key is refused like a revoked one: 401, "API key is missing, invalid, or revoked" (error-codes)."""
    owner = merchant_of_key(call.services, key)
    if owner is None:
        call.notes.append("this scenario declares its CubePay API keys, and this key is not one of them")
        raise Unauthorized(wire.KEY_NOT_ACCEPTED)
    return Merchant(owner, "api_key")


def test_credentials(tenant: str) -> dict[str, str]:
    """The pytest plugin's fresh key for `tenant` (any visible-ASCII value is a key)."""
    return {"api_key": f"cubepay_test_{tenant}"}


def test_merchant(tenant: str) -> str:
    """The merchant `test_credentials(tenant)` names: its key's digest (`merchant_id`)."""
    return merchant_id(test_credentials(tenant)["api_key"])
