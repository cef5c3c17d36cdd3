"""`sandbox cdp-token`: a CDP Bearer JWT for one request, so `curl` works against the CDP provider.

CDP authenticates every request with a JWT the client signs with its API key secret (JWT
authentication docs). The token minted here is built exactly as cdp-sdk builds it
(`cdp/auth/utils/jwt.py` `generate_jwt`): header `{alg, kid, typ: JWT, nonce: 16 digits}`,
claims `{sub: key id, iss: "cdp", aud: null, nbf, exp: nbf + 120, uris: ["METHOD host+path"]}`,
where the `uris` entry is `urlparse(host + path)`'s netloc + path, quirk included (for
`localhost:4242` that is `4242/path`); providers/cdp/auth.py accepts both spellings.

The key is `--key-id`/`--key-secret`, else cdp-sdk's variables CDP_API_KEY_ID/CDP_API_KEY_SECRET,
else a fresh Ed25519 key printed on stderr (the default mode accepts any key; strict mode, a
scenario with `providers.cdp.api_keys`, needs the key declared there). The token alone goes to
stdout: `TOKEN=$(sandbox cdp-token POST URL)`.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlparse, urlsplit

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")  # what cdp-sdk's JwtOptions accepts
LIFETIME = 120  # seconds: cdp-sdk's default `expires_in`

EXAMPLES = """\
examples:
  sandbox cdp-token --new-key
  TOKEN=$(sandbox cdp-token POST http://127.0.0.1:4242/cdp/platform/v2/payment-sessions)
  curl -X POST http://127.0.0.1:4242/cdp/platform/v2/payment-sessions -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' \\
       -d '{"amount": "1.00", "asset": "usdc", "target": {"address": "0x...", "network": "base"}}'
A token lives 2 minutes and names one method and path (the query is not signed)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", nargs="?", type=str.upper, help=f"the request's method: {', '.join(METHODS)}")
    parser.add_argument("url", nargs="?", help="the request's full URL, e.g. http://127.0.0.1:4242/cdp/platform/...")
    parser.add_argument("--key-id", default=os.environ.get("CDP_API_KEY_ID"), help="API key id (env CDP_API_KEY_ID)")
    parser.add_argument(
        "--key-secret",
        default=os.environ.get("CDP_API_KEY_SECRET"),
        help="API key secret: base64 Ed25519 or an EC PEM (env CDP_API_KEY_SECRET)",
    )
    parser.add_argument("--expires-in", type=int, default=LIFETIME, help=f"seconds (default: {LIFETIME})")
    parser.add_argument("--new-key", action="store_true", help="print a fresh key pair (as shell variables) and exit")


def new_key() -> tuple[str, str]:
    """(key id, secret): a UUID and base64 of an Ed25519 seed + public key, cdp-sdk's format."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    seed = secrets.token_bytes(32)
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return str(uuid.uuid4()), base64.b64encode(seed + public).decode()


def _private_key(secret: str) -> tuple[Any, str]:
    """cdp-sdk's `_parse_private_key`: an EC PEM (literal `\\n`s allowed), else base64 Ed25519."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    secret = secret.replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(secret.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key, "ES256"
    try:
        raw = base64.b64decode(secret)
    except ValueError:
        raw = b""
    if len(raw) == 64:
        return ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32]), "EdDSA"
    raise ValueError("the key secret must be an EC PEM key or a base64 Ed25519 key (64 bytes)")


def mint(method: str, url: str, key_id: str, key_secret: str, expires_in: int = LIFETIME) -> str:
    """The JWT cdp-sdk would send for `method url`."""
    import jwt

    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the URL must be absolute, e.g. http://127.0.0.1:4242/cdp/platform/..., not {url!r}")
    private, algorithm = _private_key(key_secret)
    host, path = parts.netloc, parts.path  # cdp-sdk's request_host and request_path
    signed = urlparse(f"{host}{path}")  # cdp-sdk's own (quirky) parse
    now = int(time.time())  # the client's wall clock, as the SDK signs; never the sandbox clock
    claims = {
        "sub": key_id,
        "iss": "cdp",
        "aud": None,
        "nbf": now,
        "exp": now + (expires_in or LIFETIME),
        "uris": [f"{method} {signed.netloc}{signed.path}"],
    }
    nonce = "".join(secrets.choice("0123456789") for _ in range(16))
    header = {"alg": algorithm, "kid": key_id, "typ": "JWT", "nonce": nonce}
    return jwt.encode(claims, private, algorithm=algorithm, headers=header)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.new_key:
        key_id, secret = new_key()
        print(f"CDP_API_KEY_ID={key_id}\nCDP_API_KEY_SECRET={secret}")
        print(
            "# strict mode: declare it in the scenario under providers.cdp.api_keys: [{id: ..., secret: ...}]",
            file=sys.stderr,
        )
        return 0
    if not args.method or not args.url:
        parser.error("give METHOD and URL (or --new-key)")
    key_id, secret = args.key_id, args.key_secret
    fresh = not key_id and not secret
    if fresh:
        key_id, secret = new_key()
    elif not key_id or not secret:
        parser.error("give both --key-id and --key-secret (or neither, for a fresh key)")
    try:
        token = mint(args.method, args.url, key_id, secret, args.expires_in)
    except ValueError as error:
        parser.error(str(error))
    if fresh:
        print(f"# signed with a fresh key (any key works in default mode):\nCDP_API_KEY_ID={key_id}", file=sys.stderr)
        print(f"CDP_API_KEY_SECRET={secret}", file=sys.stderr)
    print(token)
    return 0
