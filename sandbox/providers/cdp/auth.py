"""Who a CDP call is from: the merchant's Bearer JWT (apiKeyAuth), checked the way the SDKs sign
it; the payer (no credential); a Coinbase OAuth token (`authenticate` dispatches on `Auth`).

The SDKs (cdp-sdk `cdp/auth/utils/jwt.py`) sign each request with the API key secret:
header `{alg: EdDSA|ES256, kid: <key id>, typ: JWT, nonce}`, claims `{sub: <key id>, iss: "cdp",
nbf, exp: nbf + 120, uris: ["<METHOD> <host><path>"]}`. How CDP checks it is not public; the
sandbox checks what the token says about itself:

- default mode: any Bearer JWT that parses is accepted and its `sub` names the tenant, so
  parallel test runs with different keys never see each other's sessions;
- strict mode (the scenario lists `providers.cdp.api_keys`): the signature is verified with
  the named key, `iss` must be "cdp", `nbf`/`exp` must hold (with leeway) on *wall* time
  (the client signs with its own clock; the sandbox clock may have been moved by days), and
  `uris` must name this very request.

Every failure is 401 `unauthorized`; a CDP JWT where a Coinbase OAuth token is due is 403.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from sandbox.contract import Call, Merchant
from sandbox.errors import Forbidden, Unauthorized
from sandbox.providers.cdp.lifecycle import NAME
from sandbox.providers.cdp.records import CdpSession
from sandbox.providers.cdp.settings import ApiKey, CdpSettings
from sandbox.providers.cdp.settings import of as settings_of

# PyJWT and cryptography are imported on the first CDP request, not at startup: together they
# cost more time to first answer and resident memory than the rest of the CDP provider.

_NO_CHECKS: Any = {  # jwt.types.Options (a TypedDict)
    "verify_signature": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
}

# Times are checked by hand against wall time (_check_times), `uris` against the request.
_SIGNATURE_ONLY: Any = {**_NO_CHECKS, "verify_signature": True}


class Auth(StrEnum):
    """The credentials CDP operations take."""

    JWT = "jwt"  # the merchant's API-key JWT (authentication docs)
    PAYER = "payer"  # no credential: the payer's side; the session's owner is the tenant
    COINBASE = "coinbase"  # a Coinbase OAuth bearer token, not a CDP JWT (x402 settle)


def bearer(call: Call) -> str | None:
    scheme, _, token = call.headers.text("authorization").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def claims_of(token: str) -> dict[str, Any] | None:
    """The token's claims without any check, or None when it is not a JWT."""
    import jwt

    try:
        claims = jwt.decode(token, options=_NO_CHECKS)
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def authenticate(call: Call, need: Auth) -> Merchant:
    """`jwt`: the merchant's API-key JWT. `payer`: no credential; the session's owner is the
    tenant (for idempotency). `coinbase`: a Coinbase OAuth bearer token, not a CDP JWT."""
    if need is Auth.JWT:
        return _jwt(call, settings_of(call.services))
    if need is Auth.COINBASE:
        token = bearer(call)
        if token is None:
            raise Unauthorized("missing Authorization: Bearer <Coinbase OAuth token>")
        claims = claims_of(token)
        if claims is not None and claims.get("iss") == "cdp":  # the spec's wrong_auth_type example
            raise Forbidden(
                "This endpoint requires a Coinbase OAuth bearer token; CDP API key tokens are not accepted."
            )
    session = call.services.store.find(NAME, call.path_params.get("session_id", ""), CdpSession)
    return Merchant(session.merchant if session is not None else "", "payer")


def _jwt(call: Call, settings: CdpSettings) -> Merchant:
    token = bearer(call)
    if token is None:
        raise Unauthorized("missing Authorization: Bearer <JWT signed with your CDP API key>")
    if settings.api_keys:
        return Merchant(_verify(call, token, settings), "jwt")
    claims = claims_of(token)
    if claims is None:
        raise Unauthorized("the Bearer token is not a JWT")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("the JWT has no `sub` (the API key id)")
    return Merchant(subject, "jwt")


def _verify(call: Call, token: str, settings: CdpSettings) -> str:
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the Bearer token is not a JWT") from None
    key_id = header.get("kid")
    key = next((key for key in settings.api_keys if key.id == key_id), None)
    if key is None:
        raise Unauthorized(f"unknown API key {key_id!r}: strict mode accepts only the scenario's api_keys")
    public_key, algorithm = _public_key(key)
    if header.get("alg") != algorithm:
        raise Unauthorized(f"key {key.id} signs with {algorithm}, the token says {header.get('alg')}")
    try:
        claims = jwt.decode(token, public_key, algorithms=[algorithm], options=_SIGNATURE_ONLY)
    except jwt.PyJWTError as error:
        raise Unauthorized(f"bad JWT signature: {error}") from None
    if claims.get("iss") != "cdp":
        raise Unauthorized("the JWT's iss must be 'cdp'")
    if claims.get("sub") != key.id:
        raise Unauthorized("the JWT's sub must be the API key id")
    _check_times(call, claims, settings.jwt_leeway_seconds)
    _check_uris(call, claims.get("uris"))
    return key.id


def _check_times(call: Call, claims: dict[str, Any], leeway: int) -> None:
    now = call.services.clock.wall().timestamp()  # the client's frame, not the sandbox clock
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not isinstance(nbf, int | float) or not isinstance(exp, int | float):
        raise Unauthorized("the JWT needs numeric nbf and exp")
    if now + leeway < nbf:
        raise Unauthorized("the JWT is not valid yet (nbf)")
    if now - leeway >= exp:
        raise Unauthorized("the JWT has expired (exp); CDP JWTs live 2 minutes")


def _check_uris(call: Call, uris: Any) -> None:
    path = call.raw_path.partition("?")[0]  # the query string is not signed
    host = call.headers.text("host")
    method = call.method.upper()
    accepted = {f"{method} {host}{path}"}
    # cdp-sdk builds the claim as urlparse(host + path): for "localhost:PORT" that parses
    # "localhost" as a scheme and signs "PORT/path". Accept what the real client signs.
    quirk = urlparse(f"{host}{path}")
    accepted.add(f"{method} {quirk.netloc}{quirk.path}")
    if not isinstance(uris, list) or not accepted.intersection(u for u in uris if isinstance(u, str)):
        raise Unauthorized(f"the JWT's uris claim {uris!r} does not name this request ({method} {host}{path})")


def _public_key(key: ApiKey) -> tuple[Any, str]:
    found = _public_key_of(key.secret)
    if found is None:
        raise Unauthorized(f"API key {key.id} has a secret that is neither an EC PEM nor a base64 Ed25519 key")
    return found


# A scenario declares a few keys; deriving one's public key costs ~35 µs, on every strict-mode
# request until it was remembered here (bounded: a scenario with more keys only re-derives).
@functools.lru_cache(maxsize=256)
def _public_key_of(secret: str) -> tuple[Any, str] | None:
    """Ed25519: base64 of seed + public key (64 bytes); EC: a PEM private key (JWT auth docs)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    secret = secret.replace("\\n", "\n")
    try:
        private = serialization.load_pem_private_key(secret.encode(), password=None)
    except (ValueError, TypeError):
        private = None
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.public_key(), "ES256"
    try:
        raw = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 64:
        return ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32]).public_key(), "EdDSA"
    return None


def test_credentials(tenant: str) -> dict[str, str]:
    """The pytest plugin's fresh key for `tenant`, in cdp-sdk's format: `api_key_id` = `tenant`
    (the JWT's `sub`, which names the merchant in default mode) and `api_key_secret` = base64 of
    an Ed25519 seed + public key, the seed being sha256(tenant): the same tenant, the same key."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    seed = hashlib.sha256(tenant.encode()).digest()
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return {"api_key_id": tenant, "api_key_secret": base64.b64encode(seed + public).decode()}
