"""Payviox's Payout API over HTTP: `POST /payout/create` (the business, secret key) and
`/payout/operations` (the payout user, by hash). The money is payouts.py's.

create-payout-user: body `{email, amount}` -> 201 `{"hash"}`; its 400s are the page's own
Laravel messages (an older wording than create-session's: "The amount must be at least 1.");
insufficient `payout_balance` -> 400 `{"error": "Failed to debit business balance ..."}`;
payouts disabled -> 403. api/payout/authentication: the user's hash comes in `X-Payout-Hash`,
else `payout_hash` in the body, else in the query; a missing or unknown hash -> 401
`{"error": "Unauthorized", "message": ...}`. The operations answer's shape is not documented
(the page shows only the request): invented, FIDELITY.md.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.contract import Call, Operation, Reply
from sandbox.errors import Forbidden, InvalidRequest, Unauthorized
from sandbox.providers.payviox import payouts, wire
from sandbox.providers.payviox.auth import Auth
from sandbox.providers.payviox.lifecycle import NAME
from sandbox.providers.payviox.settings import PayvioxSettings
from sandbox.providers.payviox.validation import is_integer, missing

MAX_AMOUNT = 100_000_000  # "Maximum: 100,000,000 cents"
# Laravel's `email` rule, roughly: something@something.tld, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _settings(call: Call) -> PayvioxSettings:
    return call.services.provider_settings(NAME, PayvioxSettings)


def _validated(body: dict[str, Any]) -> tuple[str, int]:
    """create-payout-user's rules and messages, exactly as its Error Responses print them."""
    errors: dict[str, list[str]] = {}
    email: Any = body.get("email")
    amount: Any = body.get("amount")
    if missing(email):
        errors["email"] = ["The email field is required."]
    elif not isinstance(email, str) or len(email.strip()) > 255 or not _EMAIL.match(email.strip()):
        errors["email"] = ["The email must be a valid email address."]
    if missing(amount):
        errors["amount"] = ["The amount field is required."]
    elif not is_integer(amount):
        errors["amount"] = ["The amount must be an integer."]
    elif amount < 1:
        errors["amount"] = ["The amount must be at least 1."]
    elif amount > MAX_AMOUNT:
        errors["amount"] = [f"The amount may not be greater than {MAX_AMOUNT}."]
    if errors:
        raise InvalidRequest(fields=errors)
    assert isinstance(email, str) and isinstance(amount, int)
    return email.strip(), amount


def create_payout(call: Call) -> Reply:
    business = call.owner().id
    config = _settings(call)
    if not config.payouts_enabled:  # "Payouts must be enabled for your business in the dashboard settings"
        raise Forbidden(wire.PAYOUTS_DISABLED, reason="payouts_disabled")
    email, amount = _validated(call.body if isinstance(call.body, dict) else {})
    store = call.services.store
    if config.payout_balance - payouts.allocated(store, business) < amount:  # "fails without creating the user"
        raise InvalidRequest(wire.PAYOUT_INSUFFICIENT, reason="insufficient_payout_balance")
    user = payouts.allocate(store, call.services.entropy.seed, business, email, amount, call.now)
    return Reply(201, {"hash": user.hash})


def _given_hash(call: Call) -> str | None:
    """authentication: the header, else the body's `payout_hash`, else the query's (in that order)."""
    header = call.headers.get("x-payout-hash")
    if header and header.strip():
        return header.strip()
    if isinstance(call.body, dict) and isinstance(call.body.get("payout_hash"), str):
        return str(call.body["payout_hash"]).strip() or None
    return call.query.get("payout_hash", "").strip() or None


def operations(call: Call) -> Reply:
    given = _given_hash(call)
    if given is None:
        raise Unauthorized(wire.PAYOUT_NO_CREDENTIAL, reason="payout_hash")
    user = payouts.find_user(call.services.store, given)
    if user is None:
        raise Unauthorized(wire.PAYOUT_HASH_UNKNOWN, reason="payout_hash")
    listed = [{**entry, "created_at": wire.laravel_time(entry["created_at"])} for entry in reversed(user.operations)]
    return Reply(
        200,
        {
            "payout_user_id": user.id,
            "email": user.email,
            "status": "active",  # introduction: users are `active` or `inactive`
            "balance": user.balance,
            "currency": payouts.CURRENCY,
            "operations": listed,
        },
    )


OPERATIONS = (
    Operation("create_payout_user", "POST", "/payout/create", create_payout, Auth.SECRET),
    Operation("payout_operations", "GET", "/payout/operations", operations, auth=None),
    Operation("payout_operations_post", "POST", "/payout/operations", operations, auth=None),
)
