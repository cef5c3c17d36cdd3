"""The pytest plugin with CDP: Coinbase's own client (`cdp-sdk`) on a test's fresh credentials.

`sandbox.credentials("cdp")` is a real Ed25519 key in cdp-sdk's format whose key id is the
test's tenant, so the JWT's `sub` names the tenant's merchant. cdp-sdk talks aiohttp over a
socket, so the flow runs against the live server and skips in in-process mode (no socket).
"""

from __future__ import annotations

import pytest

CDP_FLOW = """
import asyncio
import json

import pytest
from cdp.openapi_client.api.payment_sessions_api import PaymentSessionsApi
from cdp.openapi_client.cdp_api_client import CdpApiClient
from cdp.openapi_client.models.create_payment_session_request import CreatePaymentSessionRequest

BODY = {"amount": "2.50", "asset": "usdc", "target": {"address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"}}


@pytest.fixture
def live(sandbox, pytestconfig):
    if pytestconfig.getoption("--sandbox-mode") == "inprocess":
        pytest.skip("cdp-sdk speaks aiohttp over a real socket; in-process mode has none")
    return sandbox


def create(sandbox):
    keys = sandbox.credentials("cdp")

    async def run():
        async with CdpApiClient(keys["api_key_id"], keys["api_key_secret"], base_path=sandbox.url("cdp"),
                                max_network_retries=0) as client:
            request = CreatePaymentSessionRequest.from_dict(BODY)
            return await PaymentSessionsApi(client).create_payment_session(create_payment_session_request=request)

    return asyncio.run(run())


def test_cdp_sdk_creates_a_session_of_the_tests_own_merchant(live):
    created = create(live)
    assert created.status == "created"
    keys = live.credentials("cdp")
    assert keys["api_key_id"] == live.tenant == live.merchant("cdp")
    assert live.session("cdp", created.payment_session_id)["sandbox"]["merchant"] == live.tenant


def test_the_key_is_real_strict_mode_verifies_its_jwts(live):
    keys = live.credentials("cdp")
    live.load_scenario({"providers": {"cdp": {"api_keys": [{"id": keys["api_key_id"],
                                                              "secret": keys["api_key_secret"]}]}}})
    try:
        assert create(live).status == "created"
    finally:
        live.load_scenario({})  # a scenario loaded mid-test outlives the test's reset


def test_cdp_webhooks_reach_the_tenants_inbox(live):
    created = create(live)
    live.flush_webhooks()
    [entry] = live.inbox("cdp-" + live.merchant("cdp"))
    event = json.loads(entry["body"])
    assert event["eventType"] == "acceptance.payment_session.created"
    assert event["data"]["paymentSession"]["paymentSessionId"] == created.payment_session_id
    assert entry["verified"]
"""


def test_cdp_sdk_with_the_plugins_credentials_on_a_live_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CDP_FLOW)
    pytester.runpytest("--sandbox-mode=live").assert_outcomes(passed=3)


def test_in_process_mode_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CDP_FLOW)
    result = pytester.runpytest("--sandbox-mode=inprocess", "-rs")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["*cdp-sdk speaks aiohttp over a real socket*"])


def test_credentials_are_fresh_per_test_and_stable_per_tenant(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import base64

SEEN = []

def test_one(sandbox):
    SEEN.append((sandbox.tenant, sandbox.credentials("cdp")))

def test_two(sandbox):
    SEEN.append((sandbox.tenant, sandbox.credentials("cdp")))
    (tenant_one, one), (tenant_two, two) = SEEN
    assert one["api_key_id"] == tenant_one and two["api_key_id"] == tenant_two
    assert one["api_key_secret"] != two["api_key_secret"]
    assert len(base64.b64decode(one["api_key_secret"])) == 64  # Ed25519 seed + public key
    again = sandbox.http.get("/_sandbox/providers", params={"tenant": tenant_one}).json()["providers"]
    assert next(p for p in again if p["name"] == "cdp")["credentials"] == one
""")
    pytester.runpytest("--sandbox-mode=inprocess", "-p", "no:randomly").assert_outcomes(passed=2)
