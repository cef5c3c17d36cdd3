"""The `paymentSessionToken`: an HS256 JWT scoped to one session, short-lived.

The docs show only its header (`eyJhbGciOiJIUzI1NiIs...` = `{"alg":"HS256",...`) and call it
"a short-lived credential scoped to this session" (payment-sdk/integration-guide/
create-payment-session). Its claims, lifetime and key are not public, so the sandbox invents
them: `sub` is the session id, `mid` the merchant, `iat`/`exp` on the sandbox clock (the
sandbox mints and checks them, so both ends share one frame) and the signing key is derived
from the sandbox's seed, so the same seed mints byte-identical tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sandbox.entropy import Entropy

ISSUER = "cubepay-sandbox"
_HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenError(ValueError):
    """Why a token was refused; the message is what the 401 says."""


def signing_key(entropy: Entropy) -> bytes:
    # Derived from the seed rather than drawn from the RNG, so minting no token never shifts
    # the sequence of ids the rest of the sandbox draws.
    return hmac.new(b"cubepay-session-token", str(entropy.seed).encode(), hashlib.sha256).digest()


def looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2 and credential.startswith("eyJ")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def mint(key: bytes, session_id: str, merchant: str, now: datetime, ttl_seconds: int) -> str:
    issued = int(now.timestamp())
    claims = {"iss": ISSUER, "sub": session_id, "mid": merchant, "iat": issued, "exp": issued + ttl_seconds}
    signing_input = f"{_b64(_json(_HEADER))}.{_b64(_json(claims))}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def verify(key: bytes, token: str, now: datetime) -> dict[str, Any]:
    """The claims of a token this sandbox signed and that has not expired; else `TokenError`."""
    try:
        head, body, signature = token.split(".")
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(body))
        given = _unb64(signature)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise TokenError("Invalid payment session token.") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise TokenError("Invalid payment session token.")  # e.g. alg "none": never accepted
    expected = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise TokenError("Invalid payment session token.")
    exp = claims.get("exp")
    if not isinstance(exp, int) or now.timestamp() >= exp:
        raise TokenError("Payment session token has expired.")
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("mid"), str):
        raise TokenError("Invalid payment session token.")
    return claims
