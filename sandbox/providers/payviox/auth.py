"""Payviox's credentials: which key an operation takes, whom a key names, the plugin's test keys.

api/authentication: `Authorization: Bearer` with a pk_ or sk_ key, each with _test_ and _live_
forms. A scenario may declare its merchants' keys and IP rules (merchants.py).
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum

from sandbox.contract import Call, Merchant
from sandbox.errors import Forbidden, Unauthorized
from sandbox.providers.payviox import merchants

# api/authentication: pk_/sk_, with _test_ and _live_ forms. The part after the mode names the
# business, so pk_test_X and sk_test_X are the same business (invented: real keys are random).
_KEY = re.compile(r"^(pk|sk)_(test|live)_([A-Za-z0-9_-]{1,100})$")


class Auth(StrEnum):
    """The credentials Payviox operations take (api/authentication)."""

    ANY = "any"  # a pk_test_ or sk_test_ key
    SECRET = "secret"  # sk_test_ only


def authenticate(call: Call, need: Auth) -> Merchant:
    scheme, _, key = (call.headers.get("authorization") or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("missing Authorization: Bearer <pk_test_... or sk_test_...>")
    match = _KEY.match(key)
    if match is None:
        raise Unauthorized("not a Payviox key: expected pk_test_... or sk_test_...")
    kind, mode, business = match.groups()
    if mode == "live":
        raise Unauthorized("live keys are refused: the sandbox never plays production; use pk_test_/sk_test_")
    if need is Auth.SECRET and kind != "sk":
        raise Unauthorized("this endpoint needs the secret key (sk_test_...); a public key gets 401")
    kind_of_key = "public" if kind == "pk" else "secret"
    # Interned: every record the business makes keeps its id, so they share one string instead
    # of keeping one per request (54 B per stored session).
    business = sys.intern(business)
    if not merchants.declared(call):  # no scenario merchants (the usual case): no key list, no IP rule
        return Merchant(business, kind_of_key)
    strict = merchants.declared_keys(call)
    if strict and key not in strict:  # the scenario declares its keys: only those are accepted (merchants.py)
        raise Unauthorized("this scenario declares its Payviox keys, and this key is not one of them")
    merchant = strict[key] if strict else Merchant(business, kind_of_key)
    if not merchants.ip_allowed(call, merchant):
        raise Forbidden(f"{call.client_ip} is not in the allowed_ips of merchant {merchant.id}", reason="ip_rule")
    return merchant


def test_credentials(tenant: str) -> dict[str, str]:
    """The pytest plugin's fresh keys: both name the business `tenant`."""
    return {"public_key": f"pk_test_{tenant}", "secret_key": f"sk_test_{tenant}"}
