"""The pytest plugin with CubePay: fresh credentials per test, in live and in-process mode.

A CubePay merchant is a digest of its API key, so `GET /_sandbox/providers` names it next to
the key (`merchant`), and the handle's `merchant()` and `set_webhook_endpoint()` use that.
"""

from __future__ import annotations

import pytest

MODES = ["--sandbox-mode=live", "--sandbox-mode=inprocess"]

CUBEPAY_FLOW = """
import hashlib
import hmac
import json


def test_cubepay_session(sandbox):
    key = {"Authorization": "Bearer " + sandbox.credentials("cubepay")["api_key"]}
    base = sandbox.url("cubepay")
    created = sandbox.http.post(base + "/payment-sessions", json={"amount": "12.50", "currency": "USD"}, headers=key)
    assert created.status_code == 200, created.text
    session_id = created.json()["paymentSessionId"]
    assert sandbox.act("cubepay", session_id, "fund").status_code == 200
    read = sandbox.http.get(base + "/payment-sessions/" + session_id, headers=key).json()
    assert (read["status"], read["capturableAmount"]) == ("FUNDED", "12.50")
    merchant = sandbox.merchant("cubepay")
    assert sandbox.session("cubepay", session_id)["sandbox"]["merchant"] == merchant


def test_cubepay_webhooks_reach_the_tenants_inbox(sandbox):
    sandbox.set_webhook_endpoint("cubepay", None, secret="whsec_mine")  # no URL: the built-in inbox
    key = {"Authorization": "Bearer " + sandbox.credentials("cubepay")["api_key"]}
    created = sandbox.http.post(sandbox.url("cubepay") + "/payment-sessions",
                                json={"amount": "5.00", "currency": "USD"}, headers=key)
    sandbox.act("cubepay", created.json()["paymentSessionId"], "fund")
    sandbox.flush_webhooks()
    [entry] = sandbox.inbox("cubepay-" + sandbox.merchant("cubepay"))
    assert json.loads(entry["body"])["status"] == "FUNDED"
    expected = hmac.new(b"whsec_mine", entry["body"].encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, entry["headers"]["X-CubePay-Signature"])
"""


@pytest.mark.parametrize("mode", MODES)
def test_cubepay_credentials_create_a_session_of_the_tests_own_merchant(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(CUBEPAY_FLOW)
    pytester.runpytest(mode).assert_outcomes(passed=2)


def test_two_tests_get_two_cubepay_merchants(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
SEEN = []

def test_one(sandbox):
    SEEN.append((sandbox.credentials("cubepay")["api_key"], sandbox.merchant("cubepay")))

def test_two(sandbox):
    SEEN.append((sandbox.credentials("cubepay")["api_key"], sandbox.merchant("cubepay")))
    keys, merchants = zip(*SEEN)
    assert len(set(keys)) == 2 and len(set(merchants)) == 2
    assert all(merchant.startswith("mch_") for merchant in merchants)
""")
    pytester.runpytest("--sandbox-mode=inprocess", "-p", "no:randomly").assert_outcomes(passed=2)


STRICT_THEN_PER_TEST_KEY = """
import pytest

SHOP = {"merchants": {"shop": {"cubepay": {"api_keys": ["shop-key-1"], "merchant_id": "mch_shop",
                                           "webhook": {"secret": "whsec_shop"}}}}}
BODY = {"amount": "5.00", "currency": "USD"}


@pytest.mark.sandbox(scenario=SHOP)
def test_a_scenario_that_declares_keys(sandbox):
    url = sandbox.url("cubepay") + "/payment-sessions"
    own = {"Authorization": "Bearer " + sandbox.credentials("cubepay")["api_key"]}
    refused = sandbox.http.post(url, json=BODY, headers=own)
    assert refused.status_code == 401 and "invalid or revoked" in refused.json()["error"]
    made = sandbox.http.post(url, json=BODY, headers={"Authorization": "Bearer shop-key-1"})
    assert made.status_code == 200, made.text
    sandbox.act("cubepay", made.json()["paymentSessionId"], "fund")
    sandbox.flush_webhooks()
    [entry] = sandbox.inbox("cubepay-mch_shop")
    assert entry["verified"] is True


def test_the_next_test_gets_its_own_key_again(sandbox):
    own = {"Authorization": "Bearer " + sandbox.credentials("cubepay")["api_key"]}
    made = sandbox.http.post(sandbox.url("cubepay") + "/payment-sessions", json=BODY, headers=own)
    assert made.status_code == 200, made.text
    session = sandbox.session("cubepay", made.json()["paymentSessionId"])
    assert session["sandbox"]["merchant"] == sandbox.merchant("cubepay")
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_strict_cubepay_scenario_refuses_the_per_test_key_and_does_not_outlive_its_test(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makepyfile(STRICT_THEN_PER_TEST_KEY)
    pytester.runpytest(mode, "-p", "no:randomly").assert_outcomes(passed=2)
