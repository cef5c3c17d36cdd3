"""Every CDP response body the sandbox gives, checked against the spec's own schemas.

A recorder on the client keeps every answer under `/cdp/platform`; a scripted tour visits all
fifteen paths (every operation, successes and the errors each can raise); then each body is
validated against the schema the spec declares for that path, method and status (or `Error`,
for statuses a path does not list, such as 401). The spec is the copy in `specs/`, taken
unchanged from the shared contract.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS31Validator

from tests.support.apps import make_app
from tests.support.cdp_calls import ACCOUNT, ACME, BASE, create, get, post
from tests.support.control import Control

pytestmark = pytest.mark.anyio

SPEC = yaml.safe_load((Path(__file__).parent / "specs" / "cdp-payment-sessions.openapi.yaml").read_text())
PAYER = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"
OAUTH = {"Authorization": "Bearer coinbase-oauth-token", "cb-authz-id": "f47ac10b-58cc-4372-a567-0e02b2c3d479"}


def _template(method: str, path: str) -> str:
    """The spec path this request matched: the one with the fewest parameters."""
    found = []
    for template, operations in SPEC["paths"].items():
        pattern = "^/cdp/platform" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if method.lower() in operations and re.match(pattern, path):
            found.append((template.count("{"), template))
    assert found, f"{method} {path} is not in the spec"
    return min(found)[1]


def _schema(response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def validate(method: str, path: str, status: int, body: Any) -> tuple[str, str]:
    template = _template(method, path)
    declared = SPEC["paths"][template][method.lower()]["responses"]
    schema = _schema(declared[str(status)]) if str(status) in declared else {"$ref": "#/components/schemas/Error"}
    validator = OAS31Validator(
        {**schema, "components": SPEC["components"]}, format_checker=OAS31Validator.FORMAT_CHECKER
    )
    validator.validate(body)
    return method.upper(), template


async def tour(client: httpx.AsyncClient) -> None:
    """Visit every path: successes first, then the errors each operation can raise."""
    control = Control(client)
    wallet = await create(
        client,
        metadata={"k": "v"},
        redirect={"successUrl": "https://merchant.example.com/ok"},
        customerDisplay={"merchantName": "Acme", "displayAmount": {"amount": "1.37", "currency": "cad"}},
    )
    sid = wallet["paymentSessionId"]
    await client.get(f"{BASE}?pageSize=1", headers=ACME)
    options = (await client.get(f"{BASE}/{sid}/authorizations/wallet/options?addresses={PAYER},0xB")).json()
    option = options["options"][0]
    signed = [{"payloadId": option["payloads"][0]["payloadId"], "signature": "0x" + "ab" * 65}]
    await client.post(
        f"{BASE}/{sid}/authorizations/wallet", json={"optionId": option["optionId"], "signedPayloads": signed}
    )
    await get(client, sid)
    auth_id = (await client.get(f"{BASE}/{sid}/authorizations", headers=ACME)).json()["authorizations"][0][
        "authorizationId"
    ]
    await client.get(f"{BASE}/{sid}/authorizations/{auth_id}", headers=ACME)
    capture = (await post(client, sid, "captures", {"amount": "0.40", "finalCapture": False})).json()
    await client.get(f"{BASE}/{sid}/captures", headers=ACME)
    await client.get(f"{BASE}/{sid}/captures/{capture['captureId']}", headers=ACME)
    refund = (await post(client, sid, "refunds", {"source": {"address": PAYER}, "amount": "0.10"})).json()
    await client.get(f"{BASE}/{sid}/refunds", headers=ACME)
    await client.get(f"{BASE}/{sid}/refunds/{refund['refundId']}", headers=ACME)
    void = (await post(client, sid, "voids", {"metadata": {"why": "stock"}})).json()
    await client.get(f"{BASE}/{sid}/voids", headers=ACME)
    await client.get(f"{BASE}/{sid}/voids/{void['voidId']}", headers=ACME)
    await get(client, sid)
    x402 = (await create(client))["paymentSessionId"]
    await client.post(f"{BASE}/{x402}/authorizations/x402")  # 402
    payload = {"x402Version": 2, "payload": {"authorization": {"from": PAYER}}}
    await client.post(
        f"{BASE}/{x402}/authorizations/x402",
        headers={"PAYMENT-SIGNATURE": base64.b64encode(json.dumps(payload).encode()).decode()},
    )
    coinbase = (await create(client, target={"accountId": ACCOUNT, "asset": "usd"}))["paymentSessionId"]
    await client.post(f"{BASE}/{coinbase}/authorizations/coinbase", json={}, headers=OAUTH)
    await client.post(
        f"{BASE}/{coinbase}/authorizations/coinbase", headers={**ACME, "cb-authz-id": OAUTH["cb-authz-id"]}
    )
    await get(client, coinbase)
    await post(client, coinbase, "captures", {"finalCapture": True})
    failing = (await create(client))["paymentSessionId"]
    await control.act("cdp", failing, "authorize", outcome="failed")
    await get(client, failing)
    canceled = (await create(client))["paymentSessionId"]
    await post(client, canceled, "cancel", {"cancellationReason": "changed mind"})
    # errors
    unknown = "paymentSession_00000000-0000-4000-8000-000000000000"
    await client.post(BASE, json={"amount": "x"}, headers=ACME)
    await client.post(
        BASE,
        json={"amount": "1", "asset": "usdc", "target": {"address": "0x1"}},
        headers={**ACME, "X-Idempotency-Key": "k"},
    )
    await client.post(
        BASE,
        json={"amount": "2", "asset": "usdc", "target": {"address": "0x1"}},
        headers={**ACME, "X-Idempotency-Key": "k"},
    )
    await client.get(BASE)
    await client.get(f"{BASE}?pageToken=nope", headers=ACME)
    for path in ("", "/authorizations", "/captures", "/voids", "/refunds"):
        await client.get(f"{BASE}/{unknown}{path}", headers=ACME)
    for kind, prefix in (
        ("authorizations", "authorization"),
        ("captures", "capture"),
        ("voids", "void"),
        ("refunds", "refund"),
    ):
        await client.get(f"{BASE}/{sid}/{kind}/{prefix}_00000000-0000-4000-8000-000000000000", headers=ACME)
    await post(client, canceled, "cancel")
    await post(client, unknown, "cancel")
    await post(client, sid, "captures", {"finalCapture": True})
    await post(client, sid, "voids")
    await post(client, canceled, "refunds", {"source": {"address": PAYER}})
    await client.get(f"{BASE}/{x402}/authorizations/wallet/options")
    await client.get(f"{BASE}/{unknown}/authorizations/wallet/options?addresses={PAYER}")
    await client.post(f"{BASE}/{canceled}/authorizations/wallet", json={"optionId": "x", "signedPayloads": []})
    await client.post(f"{BASE}/{canceled}/authorizations/x402")
    await client.post(f"{BASE}/{coinbase}/authorizations/coinbase", json={}, headers=OAUTH)


async def test_every_response_matches_the_spec() -> None:
    seen: list[tuple[str, str, int, Any]] = []

    async def record(response: httpx.Response) -> None:
        if response.url.path.startswith("/cdp/platform/"):
            await response.aread()
            seen.append((response.request.method, response.url.path, response.status_code, response.json()))

    app = make_app()
    transport = httpx.ASGITransport(app=app, client=("198.51.100.10", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test", event_hooks={"response": [record]}
    ) as client:
        await tour(client)
    covered = {validate(method, path, status, body) for method, path, status, body in seen if status == 200}
    for method, path, status, body in seen:
        if status != 200:
            validate(method, path, status, body)
    every = {(method.upper(), template) for template, ops in SPEC["paths"].items() for method in ops}
    assert covered == every, f"no 200 seen for {sorted(every - covered)}"
    statuses = {status for _, _, status, _ in seen}
    assert {200, 400, 401, 402, 403, 404, 422} <= statuses
