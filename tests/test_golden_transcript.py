"""Golden transcript: one scripted run over all three providers, every response recorded.

What it is for: the code base is about to be restructured (modules moved and renamed) under the
rule "no behaviour change". This test is the proof. It plays a fixed script (a fixed seed, a
manual clock) against a fresh app over HTTP only, records every exchange (method, path, what was
sent, the status, every response header, sorted by name since their order is not behaviour, and
the body: parsed JSON in its key order, or the text line by line; a dropped connection is recorded
as the error the client got) and asserts the whole transcript is byte for byte the committed
`tests/golden/transcript.json`. On a mismatch it prints a diff of the first exchange that differs.
A second test plays the script twice and compares the runs, so a leak of wall time or unseeded
randomness shows up as such, not as a behaviour change.

The script is `SCRIPT`: the control plane, then CDP, CubePay and Payviox (each a list of small
steps that starts by loading a scenario, so one provider's changes never shift another's ids), then
a scenario with faults, webhook chaos and a fixture.

It touches the app only through `create_app()` and HTTP: the scenarios are YAML text
loaded with `PUT /_sandbox/scenario`, and nothing else from `sandbox` or from the other tests'
helpers is imported, so it survives any move of the internals.

To record the transcript again after a change that is *meant* to change behaviour (then review
the diff of the JSON file like code):

    GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/test_golden_transcript.py

What is normalised, and why (see `normalise`): only CDP's webhook signature, whose `t=` is wall
time by design (the merchant checks it against its own clock), and the two HMACs computed over
that `t`. Everything else, ids and tokens included, comes from the seed and the sandbox clock
and is recorded as it is. The request bytes are pinned too (JSON serialised here, fixed
User-Agent and Accept-Encoding, hand-built JWTs), so the journal, which echoes request headers,
does not depend on the httpx or PyJWT version installed.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import hmac
import json
import os
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.app import create_app

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).parent / "golden" / "transcript.json"
PEER = ("198.51.100.10", 50000)  # the socket peer every request comes from
# Pinned so the requests (which the journal echoes back) are the same bytes with any httpx version.
CLIENT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "identity",
    "Connection": "keep-alive",
    "User-Agent": "golden-transcript/1",
}
SEED = 20261205


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# scenarios -----------------------------------------------------------------------------------

BASE = f"""\
name: golden
description: The golden transcript's base scenario; every provider with its defaults.
seed: {SEED}
clock: {{start: "2026-01-01T00:00:00Z", manual: true}}
"""

RATE_LIMITS = f"""\
name: golden-rate-limits
seed: {SEED}
clock: {{start: "2026-01-01T00:00:00Z", manual: true}}
providers:
  payviox:
    rate_limits: {{per_ip: 2, per_customer: 2, window_seconds: 60}}
"""

DELAYED_SETTLEMENT = f"""\
name: golden-delayed-settlement
seed: {SEED}
clock: {{start: "2026-01-01T00:00:00Z", manual: true}}
providers:
  cdp:
    settlement: {{delay_seconds: 60, capture: failed}}
  cubepay:
    capture_delay_seconds: 30
    capture_outcome: ERROR
"""

FAULTS = f"""\
name: golden-faults
description: One injected failure per provider, webhook chaos and a fixture.
seed: {SEED}
clock: {{start: "2026-01-01T00:00:00Z", manual: true}}
faults:
  - name: payviox-second-create-down
    match: {{provider: payviox, operation: create_session}}
    when: {{nth: 2}}
    act: {{error: unavailable}}
  - name: cdp-second-create-down
    match: {{provider: cdp, operation: create_payment_session}}
    when: {{nth: 2}}
    act: {{error: unavailable}}
  - name: cubepay-second-create-throttled
    match: {{provider: cubepay, operation: create_payment_session}}
    when: {{nth: 2}}
    act: {{error: rate_limited, retry_after: 7}}
  - name: cdp-capture-response-lost
    phase: after_commit
    match: {{provider: cdp, operation: capture_payment_session}}
    when: {{times: 1}}
    act: {{drop: true}}
  - name: payviox-balance-from-the-edge
    match: {{provider: payviox, operation: get_balance}}
    act: {{respond: {{status: 502, body: {{upstream: down}}, headers: {{X-Edge: lb-3}}}}}}
  - name: cubepay-slow-reads
    match: {{provider: cubepay, method: GET, path: "/cubepay/payment-sessions/*"}}
    act: {{latency: 0.001}}
  - name: payviox-pay-forbidden-on-request
    match: {{provider: payviox, operation: action.pay, headers: {{X-Test-Case: forbidden}}}}
    act: {{error: forbidden, message: the test asked for it}}
  - name: cdp-every-second-list-conflict
    match: {{provider: cdp, operation: list_payment_sessions, merchant: acme-key}}
    when: {{every: 2}}
    act: {{error: conflict}}
webhooks:
  - name: payviox-success-twice
    match: {{provider: payviox, event: succeeded}}
    when: {{times: 1}}
    act: {{duplicate: 1}}
  - name: cubepay-funded-badly-signed
    match: {{provider: cubepay, event: FUNDED}}
    act: {{wrong_signature: true}}
fixtures:
  - name: stale
    provider: payviox
    create:
      operation: create_session
      headers: {{Authorization: Bearer sk_test_acme}}
      body: {{amount: 900, currency: USD, customer: zoe, order_id: stale-1,
             items: [{{name: Pen, quantity: 1, price: 900}}]}}
    then:
      - advance: 90000
"""

INVALID_SCENARIO = """\
name: golden-broken
seed: not-a-number
clock: {start: "2026-01-01T00:00:00Z", manual: true}
faults:
  - match: {provider: payviox, operation: create_sesion}
    act: {error: unavailable}
"""


# credentials ---------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cdp_jwt(claims: dict[str, Any]) -> str:
    """A bearer JWT as tests/providers/cdp_calls.py signs it (HS256, `{sub, iss: "cdp"}`): CDP's
    default mode accepts any JWT that parses and reads the tenant from `sub`. Built by hand rather
    than with PyJWT so its bytes (and the journal's masked copy) never depend on a library version."""
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(b"default-mode-does-not-check-this-key", f"{head}.{body}".encode(), hashlib.sha256)
    return f"{head}.{body}.{_b64url(signature.digest())}"


def cdp_key(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {cdp_jwt({'sub': sub, 'iss': 'cdp'})}"}


ACME = cdp_key("acme-key")
GLOBEX = cdp_key("globex-key")
HOOKS = cdp_key("hooks-key")  # owns the webhook subscriptions, and no session: nothing is sent to their URLs
CUBE = {"Authorization": "Bearer cubepay_test_acme"}
CUBE_OTHER = {"Authorization": "Bearer cubepay_test_globex"}
SK = {"Authorization": "Bearer sk_test_acme"}
PK = {"Authorization": "Bearer pk_test_acme"}
SK_OTHER = {"Authorization": "Bearer sk_test_globex"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# recording -----------------------------------------------------------------------------------

# CDP signs every webhook attempt afresh with *wall* time: `X-Hook0-Signature: t=<unix>,v0=<hmac>,
# h=<names>,v1=<hmac>` (sandbox/providers/cdp/webhooks.py), because the merchant checks `t`
# against its own clock, so it cannot follow the sandbox clock. `t` and the two HMACs computed
# over it are replaced; the signed header names `h` stay, and the built-in inbox's `verified`
# flag, recorded as it is, still proves each signature was right.
HOOK0_SIGNATURE = re.compile(r"t=\d+,v0=[0-9a-f]{64},h=([^,]*),v1=[0-9a-f]{64}")


def normalise(value: Any) -> Any:
    if isinstance(value, str):
        return HOOK0_SIGNATURE.sub(r"t=<wall-clock>,v0=<hmac>,h=\1,v1=<hmac>", value)
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


NO_BODY: Any = object()


@dataclass
class Answer:
    status: int  # 0: the connection failed (a scenario's drop fault)
    headers: dict[str, str]
    json: Any  # the parsed JSON body, else None


class Run:
    """The client side of the script: sends each request and records the exchange."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.step = ""
        self.exchanges: list[dict[str, Any]] = []

    async def call(
        self,
        method: str,
        path: str,
        body: Any = NO_BODY,
        *,
        raw: bytes | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        request: dict[str, Any] = {"method": method, "path": path}
        if headers:
            request["headers"] = headers
        content: bytes | None = None
        if body is not NO_BODY:  # serialised here, not by httpx, whose JSON spacing changed between versions
            content = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
            request["json"] = body
        elif raw is not None:
            content = raw
            request["raw"] = raw.decode()
        elif form is not None:
            content = "&".join(f"{name}={value}" for name, value in form.items()).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            request["form"] = form
        exchange: dict[str, Any] = {"step": self.step, "request": request}
        self.exchanges.append(exchange)
        try:
            response = await self.http.request(method, path, content=content, headers=sent)
        except httpx.TransportError as error:
            exchange["response"] = {"error": f"{type(error).__name__}: {error}"}
            return Answer(0, {}, None)
        recorded: dict[str, Any] = {"status": response.status_code, "headers": dict(sorted(response.headers.items()))}
        parsed = None
        if response.headers.get("content-type", "").startswith("application/json") and response.content:
            parsed = response.json()
            recorded["body"] = parsed
        elif response.content:
            recorded["text"] = response.text.split("\n")
        exchange["response"] = normalise(recorded)
        return Answer(response.status_code, dict(response.headers), parsed)

    async def get(self, path: str, **options: Any) -> Answer:
        return await self.call("GET", path, **options)

    async def post(self, path: str, body: Any = NO_BODY, **options: Any) -> Answer:
        return await self.call("POST", path, body, **options)

    async def put(self, path: str, body: Any = NO_BODY, **options: Any) -> Answer:
        return await self.call("PUT", path, body, **options)

    async def delete(self, path: str, **options: Any) -> Answer:
        return await self.call("DELETE", path, **options)

    async def scenario(self, text: str) -> Answer:
        return await self.put("/_sandbox/scenario", raw=text.encode(), headers={"Content-Type": "application/yaml"})

    async def advance(self, seconds: float) -> Answer:
        return await self.post("/_sandbox/clock/advance", {"seconds": seconds})

    async def act(self, provider: str, session_id: str, action: str, body: Any = NO_BODY, **options: Any) -> Answer:
        return await self.post(f"/_sandbox/{provider}/sessions/{session_id}/actions/{action}", body, **options)

    async def flush(self) -> Answer:
        return await self.post("/_sandbox/webhooks/flush")


# the control plane ---------------------------------------------------------------------------


async def control_plane(run: Run) -> None:
    await run.scenario(BASE)
    await run.get("/_sandbox/health")
    await run.get("/_sandbox/scenario")
    await run.get("/_sandbox/clock")
    await run.get("/_sandbox/providers?tenant=x")
    await run.get("/_sandbox/providers?tenant=not-allowed!")
    await run.get("/nowhere/at/all")  # outside every prefix
    await run.get("/_sandbox/nowhere")
    await run.scenario(INVALID_SCENARIO)  # refused; the base scenario stays
    await run.get("/_sandbox/clock")
    await run.post("/_sandbox/clock/advance", {"seconds": -1})
    await run.post("/_sandbox/clock/advance", raw=b"{not json")
    await run.post("/_sandbox/clock/set", {"now": "2025-12-31T00:00:00Z"})  # backwards
    await run.post("/_sandbox/clock/set", {})
    await run.post("/_sandbox/clock/set", {"now": "2026-01-01T00:00:00.500Z"})
    await run.advance(0.5)
    await run.get("/_sandbox/nope/sessions")
    await run.act("nope", "x", "pay")
    await run.act("payviox", "x", "explode")
    await run.get("/_sandbox/requests?limit=ten")
    await run.get("/_sandbox/webhooks/endpoints")
    await run.put("/_sandbox/webhooks/endpoints/nope/acme", {"url": None, "secret": "s"})
    await run.post("/_sandbox/webhooks/whd_99999999/redeliver")
    await run.get("/_sandbox/inbox/nobody")
    await run.post("/_sandbox/reset")


# CDP -----------------------------------------------------------------------------------------

CDP = "/cdp/platform/v2/payment-sessions"
CDP_SUBSCRIPTIONS = "/cdp/platform/v2/data/webhooks/subscriptions"
WALLET = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
PAYER = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"
ACCOUNT = "account_af2937b0-9846-4fe7-bfe9-ccc22d935114"
OAUTH = {"Authorization": "Bearer coinbase-oauth-token", "cb-authz-id": "f47ac10b-58cc-4372-a567-0e02b2c3d479"}
EVENT = "acceptance.payment_session."


def cdp_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": "1.00",
        "asset": "usdc",
        "target": {"address": WALLET, "network": "base"},
        "autoCapture": False,
        "externalReferenceId": "merchant-order-abc123",
    }
    return {**body, **changes}


@dataclass
class CdpIds:
    plain: str = ""
    auto: str = ""
    account: str = ""
    hosted: str = ""
    voided: str = ""
    canceled: str = ""
    failed: str = ""
    x402: str = ""
    wallet: str = ""


async def cdp_create(run: Run, headers: dict[str, str] = ACME, **changes: Any) -> str:
    answer = await run.post(CDP, cdp_body(**changes), headers=headers)
    return str(answer.json["paymentSessionId"])


async def cdp_auth_errors(run: Run, ids: CdpIds) -> None:
    await run.scenario(BASE)
    await run.post(CDP, cdp_body())
    await run.post(CDP, cdp_body(), headers={"Authorization": "Bearer not-a-jwt"})
    await run.post(CDP, cdp_body(), headers={"Authorization": f"Bearer {cdp_jwt({'iss': 'cdp'})}"})
    await run.get(CDP, headers={"Authorization": "Basic YWNtZTpzZWNyZXQ="})


async def cdp_creates(run: Run, ids: CdpIds) -> None:
    ids.plain = await cdp_create(run)
    ids.auto = await cdp_create(
        run,
        amount="2.50",
        autoCapture=True,
        metadata={"order": "A-1", "channel": "web"},
        customerDisplay={"merchantName": "Golden Shop", "displayAmount": {"amount": "2.50", "currency": "usd"}},
    )
    ids.account = await cdp_create(run, target={"accountId": ACCOUNT, "asset": "usd"}, asset="usd")
    ids.hosted = await cdp_create(
        run,
        redirect={"successUrl": "https://shop.example.com/paid", "failureUrl": "https://shop.example.com/cart"},
    )
    ids.voided = await cdp_create(run, amount="2.00")
    ids.canceled = await cdp_create(run)
    ids.failed = await cdp_create(run)
    ids.x402 = await cdp_create(run, amount="0.10")
    ids.wallet = await cdp_create(run, amount="0.20")
    await cdp_create(run, GLOBEX)


async def cdp_validation(run: Run, ids: CdpIds) -> None:
    await run.post(CDP, {"asset": "usdc", "target": {"address": WALLET}}, headers=ACME)
    await run.post(CDP, {"amount": "1.00", "asset": "usdc"}, headers=ACME)
    await run.post(CDP, cdp_body(amount=1), headers=ACME)
    await run.post(CDP, cdp_body(amount="abc"), headers=ACME)
    await run.post(CDP, cdp_body(amount="1.1234567"), headers=ACME)
    await run.post(CDP, cdp_body(asset="btc"), headers=ACME)
    await run.post(CDP, cdp_body(target={"address": WALLET, "network": "solana"}), headers=ACME)
    await run.post(CDP, cdp_body(autoCapture="yes"), headers=ACME)
    await run.post(CDP, cdp_body(redirect={"successUrl": "ftp://shop.example.com"}), headers=ACME)
    expiries = {"authorizationExpiresAt": "2026-01-05T00:00:00Z", "captureExpiresAt": "2026-01-02T00:00:00Z"}
    await run.post(CDP, cdp_body(expiries=expiries), headers=ACME)
    await run.post(CDP, raw=b'{"amount": "1.00", ', headers={**ACME, "Content-Type": "application/json"})
    await run.post(CDP, headers=ACME)
    await run.post(CDP, cdp_body(), headers={**ACME, "X-Idempotency-Key": "k" * 129})


async def cdp_reads(run: Run, ids: CdpIds) -> None:
    first = await run.get(f"{CDP}?pageSize=3", headers=ACME)
    await run.get(f"{CDP}?pageSize=3&pageToken={first.json['nextPageToken']}", headers=ACME)
    await run.get(f"{CDP}?pageSize=abc", headers=ACME)
    await run.get(f"{CDP}?pageToken=bm90LWEtdG9rZW4=", headers=ACME)
    await run.get(CDP, headers=GLOBEX)
    await run.get(f"{CDP}/{ids.plain}", headers=ACME)
    await run.get(f"{CDP}/{ids.plain}", headers=GLOBEX)  # another key's session: 404
    await run.get(f"{CDP}/paymentSession_00000000-0000-4000-8000-000000000000", headers=ACME)
    await run.delete(CDP, headers=ACME)  # wrong method: 405
    await run.get("/cdp/platform/v2/nothing-here", headers=ACME)
    await run.get(f"/_sandbox/cdp/sessions/{ids.plain}")


async def cdp_lifecycle(run: Run, ids: CdpIds) -> None:
    refund_to = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}
    # plain: authorize, capture in two parts, refund in two parts
    await run.act("cdp", ids.plain, "authorize")
    await run.get(f"{CDP}/{ids.plain}", headers=ACME)  # the authorization settled before this read
    await run.act("cdp", ids.plain, "settle")  # nothing is pending any more: refused
    await run.act("cdp", ids.plain, "authorize")  # only one authorization per session
    await run.post(f"{CDP}/{ids.plain}/captures", {"amount": "0.40", "finalCapture": False}, headers=ACME)
    await run.post(f"{CDP}/{ids.plain}/captures", {"amount": "5.00", "finalCapture": True}, headers=ACME)
    await run.post(f"{CDP}/{ids.plain}/captures", {"amount": "0.10"}, headers=ACME)
    capture = await run.post(f"{CDP}/{ids.plain}/captures", {"finalCapture": True}, headers=ACME)
    await run.get(f"{CDP}/{ids.plain}", headers=ACME)
    await run.post(f"{CDP}/{ids.plain}/captures", {"finalCapture": True}, headers=ACME)  # nothing left
    await run.get(f"{CDP}/{ids.plain}/captures", headers=ACME)
    await run.get(f"{CDP}/{ids.plain}/captures/{capture.json['captureId']}", headers=ACME)
    await run.get(f"{CDP}/{ids.plain}/captures/capture_00000000-0000-4000-8000-000000000000", headers=ACME)
    await run.post(f"{CDP}/{ids.plain}/refunds", {"source": {"iban": "DE00"}}, headers=ACME)
    refund = {"source": refund_to, "amount": "0.25", "reason": "Customer returned the item."}
    await run.post(f"{CDP}/{ids.plain}/refunds", refund, headers=ACME)
    await run.post(f"{CDP}/{ids.plain}/refunds", {"source": refund_to, "amount": "0.76"}, headers=ACME)
    await run.post(f"{CDP}/{ids.plain}/refunds", {"source": {"accountId": ACCOUNT, "asset": "usdc"}}, headers=ACME)
    await run.get(f"{CDP}/{ids.plain}", headers=ACME)
    await run.get(f"{CDP}/{ids.plain}/refunds", headers=ACME)
    authorizations = await run.get(f"{CDP}/{ids.plain}/authorizations", headers=ACME)
    authorization = authorizations.json["authorizations"][0]["authorizationId"]
    await run.get(f"{CDP}/{ids.plain}/authorizations/{authorization}", headers=ACME)
    await run.get(f"{CDP}/{ids.plain}/voids", headers=ACME)
    # auto: autoCapture starts a final capture as soon as the authorization succeeds
    await run.act("cdp", ids.auto, "authorize", {"source": {"address": PAYER, "network": "base", "asset": "usdc"}})
    await run.get(f"{CDP}/{ids.auto}", headers=ACME)
    # voided: a partial capture, then the rest released by a void
    await run.act("cdp", ids.voided, "authorize")
    await run.post(f"{CDP}/{ids.voided}/captures", {"amount": "0.50", "finalCapture": False}, headers=ACME)
    await run.get(f"{CDP}/{ids.voided}", headers=ACME)
    await run.post(f"{CDP}/{ids.voided}/voids", {"metadata": {"why": "out of stock"}}, headers=ACME)
    await run.get(f"{CDP}/{ids.voided}", headers=ACME)
    await run.post(f"{CDP}/{ids.voided}/voids", headers=ACME)
    # canceled
    await run.post(f"{CDP}/{ids.canceled}/cancel", {"cancellationReason": 7}, headers=ACME)
    await run.post(f"{CDP}/{ids.canceled}/cancel", {"cancellationReason": "changed mind"}, headers=ACME)
    await run.post(f"{CDP}/{ids.canceled}/cancel", headers=ACME)
    await run.act("cdp", ids.canceled, "authorize")
    await run.post(f"{CDP}/{ids.plain}/cancel", headers=ACME)  # authorized: cannot be canceled
    # failed: the authorization settles failed
    await run.act("cdp", ids.failed, "authorize", {"outcome": "maybe"})
    await run.act("cdp", ids.failed, "authorize", {"source": {"iban": "DE00"}})
    await run.act("cdp", ids.failed, "authorize", {"outcome": "failed"})
    await run.get(f"{CDP}/{ids.failed}", headers=ACME)
    await run.act("cdp", "paymentSession_00000000-0000-4000-8000-000000000000", "authorize")
    await run.act("cdp", ids.failed, "explode")


async def cdp_payer(run: Run, ids: CdpIds) -> None:
    # x402: the first call gets the 402 challenge, the second pays
    await run.post(f"{CDP}/{ids.x402}/authorizations/x402")
    payment = {"x402Version": 2, "payload": {"authorization": {"from": PAYER}}}
    signature = base64.b64encode(json.dumps(payment).encode()).decode()
    await run.post(f"{CDP}/{ids.x402}/authorizations/x402", headers={"PAYMENT-SIGNATURE": signature})
    await run.post(f"{CDP}/{ids.account}/authorizations/x402")  # an account target has no x402
    # wallet: options, then the signed payloads
    await run.get(f"{CDP}/{ids.wallet}/authorizations/wallet/options")
    options = await run.get(f"{CDP}/{ids.wallet}/authorizations/wallet/options?addresses={PAYER},{WALLET}")
    option = options.json["options"][0]
    signed = [{"payloadId": option["payloads"][0]["payloadId"], "signature": "0x" + "ab" * 65}]
    await run.post(f"{CDP}/{ids.wallet}/authorizations/wallet", {"optionId": "opt_unknown", "signedPayloads": signed})
    await run.post(
        f"{CDP}/{ids.wallet}/authorizations/wallet", {"optionId": option["optionId"], "signedPayloads": signed}
    )
    await run.get(f"{CDP}/{ids.wallet}", headers=ACME)
    # Coinbase: a CDP key is the wrong credential; an OAuth token works
    await run.post(f"{CDP}/{ids.account}/authorizations/coinbase", {}, headers=ACME)
    await run.post(f"{CDP}/{ids.account}/authorizations/coinbase", {}, headers={**OAUTH, "cb-authz-id": "nope"})
    await run.post(f"{CDP}/{ids.account}/authorizations/coinbase", {"metadata": {"via": "oauth"}}, headers=OAUTH)
    await run.get(f"{CDP}/{ids.account}", headers=ACME)


async def cdp_idempotency(run: Run, ids: CdpIds) -> None:
    keyed = {**ACME, "X-Idempotency-Key": "golden-create-1"}
    await run.post(CDP, cdp_body(amount="3.00"), headers=keyed)
    await run.post(CDP, cdp_body(amount="3.00"), headers=keyed)  # replayed: the same session
    await run.post(CDP, cdp_body(amount="4.00"), headers=keyed)  # the key with another body: 422
    await run.post(CDP, cdp_body(amount="3.00"), headers={**GLOBEX, "X-Idempotency-Key": "golden-create-1"})
    session_id = (await run.get(f"{CDP}?pageSize=1", headers=ACME)).json["paymentSessions"][0]["paymentSessionId"]
    await run.act("cdp", session_id, "authorize")
    capture = {**ACME, "X-Idempotency-Key": "golden-capture-1"}
    await run.post(f"{CDP}/{session_id}/captures", {"amount": "1.00", "finalCapture": False}, headers=capture)
    await run.post(f"{CDP}/{session_id}/captures", {"amount": "1.00", "finalCapture": False}, headers=capture)
    await run.get(f"{CDP}/{session_id}/captures", headers=ACME)


async def cdp_hosted_page(run: Run, ids: CdpIds) -> None:
    await run.get(f"/cdp/payment-sessions/{ids.hosted}")
    await run.post(f"/cdp/payment-sessions/{ids.hosted}/authorize", form={"outcome": "sometimes"})
    await run.post(f"/cdp/payment-sessions/{ids.hosted}/authorize", form={"outcome": "succeeded"})
    await run.get(f"/cdp/payment-sessions/{ids.hosted}")
    await run.post(f"/cdp/payment-sessions/{ids.hosted}/authorize", form={"outcome": "succeeded"})
    await run.get("/cdp/payment-sessions/paymentSession_00000000-0000-4000-8000-000000000000")


async def cdp_deadlines(run: Run, ids: CdpIds) -> None:
    late = await cdp_create(run, amount="0.30")
    await run.advance(86400 + 1)  # past authorizationExpiresAt; CDP sessions never expire by themselves
    await run.act("cdp", late, "authorize")
    await run.get(f"{CDP}/{late}", headers=ACME)
    await run.post(f"{CDP}/{ids.auto}/refunds", {"source": {"address": PAYER}, "amount": "0.50"}, headers=ACME)
    await run.get(f"{CDP}/{ids.auto}", headers=ACME)


async def cdp_webhooks(run: Run, ids: CdpIds) -> None:
    await run.flush()
    deliveries = await run.get(f"/_sandbox/webhooks?provider=cdp&session_id={ids.plain}")
    await run.get("/_sandbox/webhooks?provider=cdp&event=acceptance.payment_session.canceled")
    await run.get("/_sandbox/inbox/cdp-globex-key")
    await run.post(f"/_sandbox/webhooks/{deliveries.json['deliveries'][0]['id']}/redeliver")
    await run.get(f"/_sandbox/events?provider=cdp&session_id={ids.plain}")


async def cdp_subscriptions(run: Run, ids: CdpIds) -> None:
    def subscription(url: str, events: list[str], **changes: Any) -> dict[str, Any]:
        body = {"description": "orders", "eventTypes": events, "target": {"url": url}, "labels": {}, "isEnabled": True}
        return {**body, **changes}

    await run.post(CDP_SUBSCRIPTIONS, {"eventTypes": [EVENT + "created"], "target": {"url": "https://x.example"}})
    await run.post(CDP_SUBSCRIPTIONS, subscription("https://shop.example.com/a", []), headers=HOOKS)
    await run.post(CDP_SUBSCRIPTIONS, subscription("ftp://shop.example.com/a", [EVENT + "created"]), headers=HOOKS)
    await run.post(CDP_SUBSCRIPTIONS, {"eventTypes": [EVENT + "created"], "isEnabled": True}, headers=HOOKS)
    keyed = {**HOOKS, "X-Idempotency-Key": "golden-subscription-1"}
    one = await run.post(
        CDP_SUBSCRIPTIONS,
        subscription("https://shop.example.com/a", [EVENT + "created"], metadata={"team": "pay"}),
        headers=keyed,
    )
    await run.post(
        CDP_SUBSCRIPTIONS,
        subscription("https://shop.example.com/a", [EVENT + "created"], metadata={"team": "pay"}),
        headers=keyed,
    )
    await run.post(CDP_SUBSCRIPTIONS, subscription("https://shop.example.com/b", [EVENT + "canceled"]), headers=HOOKS)
    await run.get(CDP_SUBSCRIPTIONS, headers=HOOKS)
    await run.get(f"{CDP_SUBSCRIPTIONS}?pageSize=1", headers=HOOKS)
    subscription_id = one.json["subscriptionId"]
    await run.get(f"{CDP_SUBSCRIPTIONS}/{subscription_id}", headers=HOOKS)
    await run.get(f"{CDP_SUBSCRIPTIONS}/{subscription_id}", headers=GLOBEX)
    changed = subscription(
        "https://shop.example.com/c",
        [EVENT + "created", EVENT + "created", EVENT + "capture_succeeded"],
        isEnabled=False,
        target={"url": "https://shop.example.com/c", "headers": {"x-shop": "1"}},
    )
    await run.put(f"{CDP_SUBSCRIPTIONS}/{subscription_id}", changed, headers=HOOKS)
    await run.put(f"{CDP_SUBSCRIPTIONS}/{subscription_id}", {"isEnabled": True}, headers=HOOKS)
    await run.get("/_sandbox/webhooks/endpoints")
    await run.delete(f"{CDP_SUBSCRIPTIONS}/{subscription_id}", headers=HOOKS)
    await run.delete(f"{CDP_SUBSCRIPTIONS}/{subscription_id}", headers=HOOKS)
    await run.get(CDP_SUBSCRIPTIONS, headers=HOOKS)


async def cdp_delayed_settlement(run: Run, ids: CdpIds) -> None:
    await run.scenario(DELAYED_SETTLEMENT)
    session_id = await cdp_create(run)
    await run.act("cdp", session_id, "authorize")
    await run.get(f"{CDP}/{session_id}", headers=ACME)  # still pending: it settles 60 s later
    await run.post(f"{CDP}/{session_id}/cancel", headers=ACME)
    await run.act("cdp", session_id, "settle")  # settles now, as planned (succeeded)
    await run.post(f"{CDP}/{session_id}/captures", {"amount": "0.50", "finalCapture": False}, headers=ACME)
    await run.post(f"{CDP}/{session_id}/voids", headers=ACME)
    await run.advance(60)  # the capture settles as the scenario plans it: failed
    await run.get(f"{CDP}/{session_id}", headers=ACME)
    await run.get(f"/_sandbox/cdp/sessions/{session_id}")
    await run.get("/_sandbox/cdp/sessions")
    await run.get(f"/_sandbox/events?provider=cdp&session_id={session_id}")
    await run.get("/_sandbox/requests?provider=cdp&limit=3")


async def cdp(run: Run) -> None:
    ids = CdpIds()
    for part in (
        cdp_auth_errors,
        cdp_creates,
        cdp_validation,
        cdp_reads,
        cdp_lifecycle,
        cdp_payer,
        cdp_idempotency,
        cdp_hosted_page,
        cdp_deadlines,
        cdp_webhooks,
        cdp_subscriptions,
        cdp_delayed_settlement,
    ):
        run.step = part.__name__
        await part(run, ids)


# CubePay -------------------------------------------------------------------------------------

CUBEPAY = "/cubepay/payment-sessions"
CUBE_PAYER = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"


@dataclass
class CubeIds:
    paid: str = ""
    paid_token: str = ""
    legacy: str = ""
    legacy_token: str = ""
    requested: str = ""
    expiring: str = ""
    merchant: str = ""


async def cube_create(run: Run, headers: dict[str, str] = CUBE, prefix: str = "/cubepay", **changes: Any) -> Any:
    return (
        await run.post(f"{prefix}/payment-sessions", {"amount": "50.00", "currency": "USD", **changes}, headers=headers)
    ).json


async def cubepay_auth_errors(run: Run, ids: CubeIds) -> None:
    await run.scenario(BASE)
    body = {"amount": "50.00", "currency": "USD"}
    await run.post(CUBEPAY, body)
    await run.post(CUBEPAY, body, headers={"Authorization": "Basic Y3ViZTpwYXk="})
    await run.post(CUBEPAY, body, headers={"Authorization": "Bearer key with spaces"})
    await run.post(CUBEPAY, body, headers=bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))


async def cubepay_creates(run: Run, ids: CubeIds) -> None:
    paid = await cube_create(run)
    ids.paid, ids.paid_token = paid["paymentSessionId"], paid["paymentSessionToken"]
    legacy = await cube_create(run, prefix="/cubepay/api/v1", amount="12.5")
    ids.legacy, ids.legacy_token = legacy["paymentSessionId"], legacy["paymentSessionToken"]
    ids.requested = (await cube_create(run, amount="20.00", requestId="order-42"))["paymentSessionId"]
    await cube_create(run, amount="20.00", requestId="order-42")  # replayed: the same session
    await cube_create(run, prefix="/cubepay/api/v1", amount="20.00", requestId="order-42")  # either prefix
    await cube_create(run, amount="99.00", requestId="order-42")  # the requestId with another body
    await cube_create(run, CUBE_OTHER, amount="20.00", requestId="order-42")  # request ids are per merchant
    ids.merchant = (await run.get(f"/_sandbox/cubepay/sessions/{ids.paid}")).json["sandbox"]["merchant"]


async def cubepay_validation(run: Run, ids: CubeIds) -> None:
    for body in (
        {"currency": "USD"},
        {"amount": "50.00"},
        {"amount": 50, "currency": "USD"},
        {"amount": "-5", "currency": "USD"},
        {"amount": "1.1234567", "currency": "USD"},
        {"amount": "50.00", "currency": "EUR"},
        {"amount": "50.00", "currency": "USD", "requestId": 7},
    ):
        await run.post(CUBEPAY, body, headers=CUBE)
    await run.post(CUBEPAY, raw=b"{not json", headers={**CUBE, "Content-Type": "application/json"})
    await run.post(CUBEPAY, headers=CUBE)


async def cubepay_reads(run: Run, ids: CubeIds) -> None:
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=CUBE)
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=bearer(ids.paid_token))
    await run.get(f"/cubepay/api/v1/payment-sessions/{ids.legacy}", headers=bearer(ids.legacy_token))
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=bearer(ids.legacy_token))  # a token is scoped to its session
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=bearer(ids.paid_token[:-4] + "AAAA"))
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=CUBE_OTHER)
    await run.get(f"{CUBEPAY}/ps_000000000000000000000000", headers=CUBE)
    await run.delete(f"{CUBEPAY}/{ids.paid}", headers=CUBE)
    await run.get("/cubepay/nothing-here", headers=CUBE)
    await run.get(f"/_sandbox/cubepay/sessions/{ids.paid}")


async def cubepay_wallet(run: Run, ids: CubeIds) -> None:
    token = bearer(ids.paid_token)
    connect = f"{CUBEPAY}/{ids.paid}/connect-wallet"
    await run.post(connect, {"userAddress": PAYER}, headers=CUBE)  # the SDK's routes take the session token
    await run.post(connect, {"userAddress": "0x1234"}, headers=token)
    await run.post(connect, {"userAddress": PAYER}, headers=token)  # 41 hex digits: one too many
    await run.post(connect, {"userAddress": CUBE_PAYER, "paymentMethodId": "usdc-sepolia"}, headers=token)
    await run.post(
        f"{CUBEPAY}/{ids.paid}/funding-transaction", {"fundingTransactionHash": "0x" + "ab" * 32}, headers=token
    )
    await run.post(f"/cubepay/sandbox-wallet/payment-sessions/{ids.paid}/transfer", {"amount": "20.00"}, headers=token)
    sent = await run.post(f"/cubepay/sandbox-wallet/payment-sessions/{ids.paid}/transfer", {}, headers=token)
    funding = {"fundingTransactionHash": sent.json["transactionHash"], "wait": True}
    await run.post(f"{CUBEPAY}/{ids.paid}/funding-transaction", funding, headers=token)
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=token)


async def cubepay_captures(run: Run, ids: CubeIds) -> None:
    captures = f"{CUBEPAY}/{ids.paid}/captures"
    first = {"requestId": "cap-1", "captureAmount": "20.00", "isFinalCapture": False}
    await run.post(f"{CUBEPAY}/{ids.legacy}/captures", first, headers=CUBE)  # not funded
    await run.post(captures, {"captureAmount": "20.00"}, headers=CUBE)
    await run.post(captures, {"requestId": "cap-x", "captureAmount": "80.00"}, headers=CUBE)
    await run.post(captures, {"requestId": "cap-x", "captureAmount": "-1"}, headers=CUBE)
    capture = await run.post(captures, first, headers=CUBE)
    await run.post(captures, first, headers=CUBE)  # replayed
    await run.post(captures, {**first, "captureAmount": "21.00"}, headers=CUBE)  # cap-1 with another body
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=CUBE)  # the capture settles before this read
    await run.get(f"{captures}/{capture.json['captureId']}", headers=CUBE)
    await run.get(f"{captures}/cap_unknown", headers=CUBE)
    final = {"requestId": "cap-2", "captureAmount": "25.00", "finalCapture": True}  # the legacy field name
    await run.post(f"/cubepay/api/v1/payment-sessions/{ids.paid}/captures", final, headers=CUBE)
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=CUBE)
    await run.post(captures, {"requestId": "cap-3", "captureAmount": "1.00"}, headers=CUBE)


async def cubepay_actions(run: Run, ids: CubeIds) -> None:
    await run.act("cubepay", ids.legacy, "connect", {"userAddress": "not-an-address"})
    await run.act("cubepay", ids.legacy, "connect", {"paymentMethodId": "usdc-sepolia"})
    await run.act("cubepay", ids.legacy, "fund", {"amount": "5.00"})  # short: still PENDING
    await run.act("cubepay", ids.legacy, "fund")  # the rest: FUNDED
    await run.act("cubepay", ids.legacy, "cancel")  # funded: cannot be canceled
    await run.act("cubepay", ids.legacy, "fail", {"error": "Chain reorganised."})
    await run.act("cubepay", ids.legacy, "fund")  # ERROR: cannot be funded
    await run.act("cubepay", ids.requested, "cancel")
    await run.act("cubepay", ids.requested, "fail")
    await run.act("cubepay", "ps_000000000000000000000000", "fund")
    await run.act("cubepay", ids.requested, "refund")  # no such action
    await run.get(f"{CUBEPAY}/{ids.legacy}", headers=CUBE)


async def cubepay_expiry(run: Run, ids: CubeIds) -> None:
    ids.expiring = (await cube_create(run, amount="7.00"))["paymentSessionId"]
    await run.advance(3600)  # unfunded sessions are CANCELED after an hour
    await run.get(f"{CUBEPAY}/{ids.expiring}", headers=CUBE)
    await run.get(f"{CUBEPAY}/{ids.paid}", headers=bearer(ids.paid_token))  # the token died with the hour too
    await run.act("cubepay", ids.expiring, "connect")


async def cubepay_delayed_capture(run: Run, ids: CubeIds) -> None:
    await run.scenario(DELAYED_SETTLEMENT)
    session_id = (await cube_create(run, amount="10.00"))["paymentSessionId"]
    await run.act("cubepay", session_id, "fund")
    captures = f"{CUBEPAY}/{session_id}/captures"
    await run.post(captures, {"requestId": "slow-1", "captureAmount": "10.00", "isFinalCapture": True}, headers=CUBE)
    await run.get(f"{CUBEPAY}/{session_id}", headers=CUBE)  # CAPTURING for 30 s
    await run.advance(30)  # settles as ERROR: the session is FUNDED again
    await run.get(f"{CUBEPAY}/{session_id}", headers=CUBE)
    await run.post(captures, {"requestId": "slow-2", "captureAmount": "10.00", "isFinalCapture": True}, headers=CUBE)
    await run.act("cubepay", session_id, "fail")  # a capture in flight fails with the session
    await run.get(f"/_sandbox/cubepay/sessions/{session_id}")


async def cubepay_webhooks(run: Run, ids: CubeIds) -> None:
    await run.flush()
    await run.get("/_sandbox/webhooks?provider=cubepay&state=delivered&event=FUNDED")
    await run.get("/_sandbox/events?provider=cubepay")


async def cubepay_base_webhooks(run: Run, ids: CubeIds) -> None:
    await run.flush()
    await run.get(f"/_sandbox/webhooks?provider=cubepay&session_id={ids.paid}")
    await run.get(f"/_sandbox/inbox/cubepay-{ids.merchant}")
    await run.get(f"/_sandbox/events?provider=cubepay&session_id={ids.paid}")
    await run.get("/_sandbox/cubepay/sessions")
    await run.get("/_sandbox/requests?provider=cubepay&limit=3")


async def cubepay_pages(run: Run, ids: CubeIds) -> None:
    await run.get("/cubepay/demo")
    await run.get("/cubepay/vendor/cubist-pay-client-sdk.umd.js")
    created = await run.post("/cubepay/demo/api/payment-sessions", {"amount": 12.5})
    await run.post("/cubepay/demo/api/payment-sessions", {"amount": -1})
    await run.get(f"{CUBEPAY}/{created.json['paymentSessionId']}", headers=bearer(created.json["paymentSessionToken"]))


async def cubepay(run: Run) -> None:
    ids = CubeIds()
    for part in (
        cubepay_auth_errors,
        cubepay_creates,
        cubepay_validation,
        cubepay_reads,
        cubepay_wallet,
        cubepay_captures,
        cubepay_actions,
        cubepay_expiry,
        cubepay_pages,
        cubepay_base_webhooks,
        cubepay_delayed_capture,
        cubepay_webhooks,
    ):
        run.step = part.__name__
        await part(run, ids)


# Payviox -------------------------------------------------------------------------------------


def order(number: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 10000,
        "currency": "USD",
        "customer": f"customer_{number}",
        "order_id": f"order_{number}",
        "description": "Premium subscription",
        "metadata": {"user_id": "usr_123", "plan": "premium"},
        "items": [{"name": "Premium Plan", "quantity": 1, "price": 10000}],
    }
    return {**body, **changes}


@dataclass
class PayvioxIds:
    paid: str = ""
    public: str = ""
    redirect: str = ""
    crypto: str = ""
    reviewed: str = ""
    declined: str = ""
    retried: str = ""
    hosted: str = ""
    expiring: str = ""


async def pv_create(run: Run, number: int, headers: dict[str, str] = SK, **changes: Any) -> str:
    return str((await run.post("/payviox/session", order(number, **changes), headers=headers)).json["session_id"])


async def payviox_auth_errors(run: Run, ids: PayvioxIds) -> None:
    await run.scenario(BASE)
    await run.post("/payviox/session", order(0))
    await run.post("/payviox/session", order(0), headers={"Authorization": "Bearer sk_live_acme"})
    await run.post("/payviox/session", order(0), headers={"Authorization": "Bearer nonsense"})
    await run.get("/payviox/balance", headers=PK)  # the secret key's endpoint


async def payviox_creates(run: Run, ids: PayvioxIds) -> None:
    ids.paid = await pv_create(run, 1)
    ids.public = await pv_create(run, 2, PK)  # a public key's session must be paid from the same IP
    redirect = await run.post("/payviox/session", order(3, paymentMethodId="zen_card"), headers=SK)
    ids.redirect = redirect.json["session_id"]
    ids.crypto = await pv_create(run, 4, ip="203.0.113.7")
    ids.reviewed = await pv_create(run, 5)
    ids.declined = await pv_create(run, 6)
    ids.retried = await pv_create(run, 7)
    ids.hosted = await pv_create(run, 8, PK)
    ids.expiring = await pv_create(run, 9)
    await pv_create(run, 1, SK_OTHER)  # order ids are unique per business only


async def payviox_validation(run: Run, ids: PayvioxIds) -> None:
    for body in (
        {},
        order(10, amount="100", items="x", currency="DOLLARS", metadata="m", customer=7),
        order(11, amount=99, items=[{"name": "Cheap", "quantity": 1, "price": 99}]),
        order(12, amount=20000),
        order(13, items=[{"name": "Bad", "quantity": 0, "price": "1"}]),
        order(1),  # order_id already taken
        order(14, paymentMethodId="no_such_method"),
    ):
        await run.post("/payviox/session", body, headers=SK)
    await run.post("/payviox/session", raw=b"{not json", headers={**SK, "Content-Type": "application/json"})


async def payviox_reads(run: Run, ids: PayvioxIds) -> None:
    await run.get(f"/payviox/payment/{ids.paid}", headers=SK)
    await run.get(f"/payviox/payment/{ids.paid}", headers=SK_OTHER)
    await run.get("/payviox/payment/00000000000000000000000000000000", headers=SK)
    await run.get("/payviox/payments/methods?currencies=EUR&countries=PL", headers=PK)
    await run.get("/payviox/payments/methods?is_company=maybe", headers=PK)
    await run.get(f"/payviox/session/{ids.paid}/payments", headers=PK)
    await run.get("/payviox/balance", headers=SK)
    await run.delete("/payviox/session", headers=SK)
    await run.get("/payviox/nothing-here", headers=SK)


async def payviox_actions(run: Run, ids: PayvioxIds) -> None:
    await run.act("payviox", ids.paid, "refund")  # nothing paid yet: refused
    await run.act("payviox", ids.paid, "pay", {"outcome": "succeeded", "user_agent": "Golden/1.0", "country": "DE"})
    await run.get(f"/payviox/payment/{ids.paid}", headers=SK)
    await run.act("payviox", ids.paid, "refund")
    await run.act("payviox", ids.paid, "refund")
    await run.act("payviox", ids.public, "pay", {"ip": "203.0.113.9"})  # not the session's IP: 403
    await run.act("payviox", ids.public, "pay", {"outcome": "pending_review", "payment_method": "paypal"})
    await run.act("payviox", ids.public, "review", {"decision": "maybe"})
    await run.act("payviox", ids.public, "review")  # approve
    await run.act("payviox", ids.reviewed, "pay", {"outcome": "pending_review"})
    await run.act("payviox", ids.reviewed, "review", {"decision": "decline"})
    await run.act("payviox", ids.declined, "pay", {"outcome": "declined"})
    await run.act("payviox", ids.retried, "pay", {"outcome": "failed"})
    await run.act("payviox", ids.retried, "pay", {"outcome": "succeeded", "payment_method": "no_such_method"})
    await run.act("payviox", ids.retried, "pay", {"outcome": "magic"})
    await run.act("payviox", ids.retried, "pay")
    await run.act("payviox", ids.crypto, "pay", {"outcome": "incomplete", "payment_method": "zen_usdt"})
    await run.act(
        "payviox", ids.crypto, "pay", {"outcome": "incomplete", "payment_method": "zen_usdt", "amount_paid": 3000}
    )
    await run.get(f"/payviox/payment/{ids.crypto}", headers=SK)
    await run.act("payviox", ids.crypto, "pay", {"outcome": "succeeded", "payment_method": "zen_usdt"})
    await run.act("payviox", "00000000000000000000000000000000", "pay")
    await run.act("payviox", ids.paid, "pay", raw=b"[1]", headers={"Content-Type": "application/json"})
    await run.get("/payviox/balance", headers=SK)


async def payviox_hosted_pages(run: Run, ids: PayvioxIds) -> None:
    await run.get(f"/payviox/secure/{ids.hosted}")
    await run.get(f"/payviox/secure/{ids.hosted}", headers={"X-Forwarded-For": "203.0.113.9"})  # another payer IP
    await run.post(f"/payviox/secure/{ids.hosted}/pay", form={"outcome": "succeeded", "method": "no_such_method"})
    await run.post(f"/payviox/secure/{ids.hosted}/pay", form={"outcome": "succeeded"})
    await run.get(f"/payviox/secure/{ids.hosted}")
    await run.get(f"/payviox/redirect/{ids.redirect}")
    await run.get(f"/payviox/secure/{ids.crypto}")
    await run.get("/payviox/secure/00000000000000000000000000000000")
    await run.get("/payviox/demo?key=pk_test_golden")
    await run.get("/payviox/sdk/payviox.js")


async def payviox_expiry(run: Run, ids: PayvioxIds) -> None:
    await run.advance(86400 - 1)
    await run.get(f"/payviox/payment/{ids.expiring}", headers=SK)
    await run.advance(1)  # 24 h: unpaid sessions expire
    await run.get(f"/payviox/payment/{ids.expiring}", headers=SK)
    await run.act("payviox", ids.expiring, "pay")


async def payviox_webhooks(run: Run, ids: PayvioxIds) -> None:
    await run.flush()
    await run.get("/_sandbox/webhooks?provider=payviox&merchant=acme")
    await run.get("/_sandbox/inbox/payviox-acme")
    endpoint = {"url": None, "secret": "whtoken_golden", "events": ["succeeded", "refunded"]}
    await run.put("/_sandbox/webhooks/endpoints/payviox/acme", endpoint)
    await run.put("/_sandbox/webhooks/endpoints/payviox/acme", {"url": 7})
    await run.get("/_sandbox/webhooks/endpoints")
    late = await pv_create(run, 16)
    await run.act("payviox", late, "pay")
    await run.flush()
    await run.get(f"/_sandbox/webhooks?provider=payviox&session_id={late}")
    await run.put("/_sandbox/inbox/golden", {"provider": "payviox", "secret": "whtoken_golden"})
    payload = b'{"type":"succeeded","amount":100}'
    good = hmac.new(b"whtoken_golden", payload, hashlib.sha256).hexdigest()
    await run.post("/_sandbox/inbox/golden", raw=payload, headers={"Signature": good})
    await run.post("/_sandbox/inbox/golden", raw=payload, headers={"Signature": "0" * 64})
    await run.get("/_sandbox/inbox/golden")
    await run.get(f"/_sandbox/payviox/sessions/{ids.paid}")
    await run.get("/_sandbox/payviox/sessions")
    await run.get(f"/_sandbox/events?provider=payviox&session_id={ids.public}")
    await run.get("/_sandbox/requests?provider=payviox&limit=3")


async def payviox_rate_limits(run: Run, ids: PayvioxIds) -> None:
    await run.scenario(RATE_LIMITS)
    await pv_create(run, 20, customer="alice")
    await pv_create(run, 21, customer="alice", ip="203.0.113.5")
    await run.post("/payviox/session", order(22, customer="alice", ip="203.0.113.6"), headers=SK)  # per customer
    await pv_create(run, 23, customer="bob")
    await run.post("/payviox/session", order(24, customer="carol"), headers=SK)  # per IP
    await run.post("/payviox/session", order(25, customer="dave"), headers={**PK, "X-Forwarded-For": "192.0.2.1"})
    await run.advance(60)  # a new window
    await run.post("/payviox/session", order(26, customer="carol"), headers=SK)
    await run.get("/_sandbox/requests?provider=payviox&limit=2")


async def payviox(run: Run) -> None:
    ids = PayvioxIds()
    for part in (
        payviox_auth_errors,
        payviox_creates,
        payviox_validation,
        payviox_reads,
        payviox_actions,
        payviox_hosted_pages,
        payviox_expiry,
        payviox_webhooks,
        payviox_rate_limits,
    ):
        run.step = part.__name__
        await part(run, ids)


# faults --------------------------------------------------------------------------------------


async def faults(run: Run) -> None:
    run.step = "faults"
    await run.scenario(FAULTS)
    await run.get("/_sandbox/payviox/sessions")  # the fixture, made in the past and expired
    for number in (30, 31, 32):
        await run.post("/payviox/session", order(number), headers=SK)  # the 2nd: 503
    for amount in ("1.00", "2.00", "3.00"):
        await run.post(CDP, cdp_body(amount=amount), headers=ACME)  # the 2nd: 503
    for amount in ("1.00", "2.00", "3.00"):
        await run.post(CUBEPAY, {"amount": amount, "currency": "USD"}, headers=CUBE)  # the 2nd: 429
    await run.get("/payviox/balance", headers=SK)
    await run.get(CDP, headers=ACME)
    await run.get(CDP, headers=ACME)  # every 2nd list: 409
    paid = (await run.post("/payviox/session", order(33), headers=SK)).json["session_id"]
    await run.act("payviox", paid, "pay", {}, headers={"X-Test-Case": "forbidden"})
    await run.act("payviox", paid, "pay", {})
    session_id = (await run.get(f"{CDP}?pageSize=1", headers=ACME)).json["paymentSessions"][0]["paymentSessionId"]
    await run.act("cdp", session_id, "authorize")
    keyed = {**ACME, "X-Idempotency-Key": "golden-lost-capture"}
    await run.post(f"{CDP}/{session_id}/captures", {"finalCapture": True}, headers=keyed)  # the answer is lost
    await run.post(f"{CDP}/{session_id}/captures", {"finalCapture": True}, headers=keyed)  # the retry replays it
    await run.get(f"{CDP}/{session_id}/captures", headers=ACME)
    cube = (await run.get("/_sandbox/cubepay/sessions")).json["sessions"][0]["paymentSessionId"]
    await run.act("cubepay", cube, "fund")
    await run.get(f"{CUBEPAY}/{cube}", headers=CUBE)  # slowed down, otherwise as usual
    await run.flush()
    await run.get("/_sandbox/webhooks?provider=payviox")
    await run.get("/_sandbox/inbox/payviox-acme")
    cube_merchant = (await run.get(f"/_sandbox/cubepay/sessions/{cube}")).json["sandbox"]["merchant"]
    await run.get(f"/_sandbox/inbox/cubepay-{cube_merchant}")
    await run.get("/_sandbox/scenario")
    await run.get("/_sandbox/requests?limit=6")
    await run.post("/_sandbox/reset")  # the same scenario again: counters at zero, the fixture rebuilt
    await run.get("/_sandbox/payviox/sessions")
    await run.get("/_sandbox/scenario")
    await run.post("/payviox/session", order(30), headers=SK)
    await run.post("/payviox/session", order(31), headers=SK)  # faulted again: the 2nd after the reset


SCRIPT: list[Callable[[Run], Awaitable[None]]] = [control_plane, cdp, cubepay, payviox, faults]


# the test ------------------------------------------------------------------------------------


async def transcript() -> list[dict[str, Any]]:
    """Play the script against a fresh app. A script step that breaks (a changed answer with no
    id in it) ends the run; the exchanges so far, and the error, are the transcript."""
    app = create_app()
    transport = httpx.ASGITransport(app=app, client=PEER)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test", headers=CLIENT_HEADERS) as http:
        run = Run(http)
        try:
            for part in SCRIPT:
                run.step = part.__name__
                await part(run)
        except Exception:
            run.exchanges.append({"step": run.step, "script_error": traceback.format_exc(limit=-3).splitlines()})
    return run.exchanges


def dumps(exchanges: list[dict[str, Any]]) -> str:
    document = {
        "about": "Recorded by tests/test_golden_transcript.py; rewrite with GOLDEN_UPDATE=1 and review the diff.",
        "exchanges": exchanges,
    }
    return json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def first_difference(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> str:
    for index in range(max(len(expected), len(actual))):
        old = expected[index] if index < len(expected) else None
        new = actual[index] if index < len(actual) else None
        if old == new:
            continue
        old_lines = json.dumps(old, indent=1, ensure_ascii=False).splitlines()
        new_lines = json.dumps(new, indent=1, ensure_ascii=False).splitlines()
        diff = "\n".join(difflib.unified_diff(old_lines, new_lines, "golden", "this run", lineterm="", n=4))
        entry = new or old or {}
        request = entry.get("request") or {"method": "(the script", "path": "broke)"}
        return (
            f"exchange #{index} (step {entry.get('step')}: {request['method']} {request['path']}) differs from "
            f"the golden transcript ({len(expected)} exchanges recorded, {len(actual)} now):\n{diff}"
        )
    return "the exchanges are equal; the file differs only in its framing"


async def test_the_run_matches_the_golden_transcript() -> None:
    exchanges = await transcript()
    text = dumps(exchanges)
    if os.environ.get("GOLDEN_UPDATE") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        pytest.skip(f"GOLDEN_UPDATE=1: wrote {len(exchanges)} exchanges to {GOLDEN}")
    assert GOLDEN.exists(), f"no {GOLDEN}: record it with GOLDEN_UPDATE=1"
    golden = GOLDEN.read_text(encoding="utf-8")
    if text != golden:
        pytest.fail(first_difference(json.loads(golden)["exchanges"], json.loads(text)["exchanges"]), pytrace=False)


async def test_the_run_is_deterministic() -> None:
    """Two fresh apps, one seed, the same script: the same transcript. If this fails, the golden
    test's failures mean nothing until whatever leaks wall time or randomness is normalised or fixed."""
    first, second = await transcript(), await transcript()
    if first != second:
        pytest.fail(first_difference(first, second), pytrace=False)
