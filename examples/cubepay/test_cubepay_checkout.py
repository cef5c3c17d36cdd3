"""A merchant's contract tests for a CubePay checkout, written against the sandbox.

Run them with `pytest examples/cubepay` (a live sandbox on a thread), add
`--sandbox-mode=inprocess` for no socket at all, or `--sandbox-url=http://127.0.0.1:4242` for a
sandbox you started with `sandbox serve`. The `sandbox` fixture comes from the sandbox's pytest
plugin; `sandbox.http` is an httpx client on it, and each test gets an API key of its own. The
payer's wallet and the chain are played by control actions (`sandbox.act(..., "fund")`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.pytest_plugin import SandboxHandle

WEBHOOK_SECRET = "whsec_my_shop"


def verify_signature(raw_body: bytes, signature: str, secret: str) -> bool:
    """Our webhook handler's check: `X-CubePay-Signature` is the hex HMAC-SHA256 of the raw body."""
    computed = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(computed, signature)


@dataclass
class CubePay:
    """Our backend's CubePay calls, made as the app makes them, with the base URL and key it is given."""

    http: httpx.Client
    base: str
    api_key: str

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(self.base + path, json=body, headers={"Authorization": f"Bearer {self.api_key}"})

    def create(self, amount: str = "50.00") -> str:
        created = self.post("/payment-sessions", {"amount": amount, "currency": "USD"})
        assert created.status_code == 200, created.text
        assert (created.json()["status"], created.json()["amount"]) == ("PENDING", amount)
        return str(created.json()["paymentSessionId"])

    def read(self, session_id: str) -> dict[str, Any]:
        response = self.http.get(
            f"{self.base}/payment-sessions/{session_id}", headers={"Authorization": f"Bearer {self.api_key}"}
        )
        assert response.status_code == 200, response.text
        session: dict[str, Any] = response.json()
        return session

    def capture(self, session_id: str, amount: str, *, final: bool, request_id: str) -> httpx.Response:
        body = {"requestId": request_id, "captureAmount": amount, "isFinalCapture": final}
        return self.post(f"/api/v1/payment-sessions/{session_id}/captures", body)


@pytest.fixture
def cubepay(sandbox: SandboxHandle) -> CubePay:
    return CubePay(sandbox.http, sandbox.url("cubepay"), sandbox.credentials("cubepay")["api_key"])


def test_a_funded_order_is_captured_in_two_parts(sandbox: SandboxHandle, cubepay: CubePay) -> None:
    session_id = cubepay.create()
    assert sandbox.act("cubepay", session_id, "fund").status_code == 200  # the payer sends what is owed
    funded = cubepay.read(session_id)
    assert (funded["status"], funded["capturableAmount"]) == ("FUNDED", "50.00")

    # the first parcel ships: capture part of it
    first = cubepay.capture(session_id, "20.00", final=False, request_id="order-4001-ship-1")
    assert first.status_code == 202
    assert (first.json()["status"], first.json()["captureAmount"]) == ("CAPTURING", "20.00")
    partly = cubepay.read(session_id)
    assert partly["status"] == "FUNDED"
    assert (partly["capturableAmount"], partly["capturedAmount"]) == ("30.00", "20.00")

    # the second parcel is short by one item: the final capture returns the rest to the payer
    final = cubepay.capture(session_id, "25.00", final=True, request_id="order-4001-ship-2")
    assert final.status_code == 202
    assert final.json()["refundAmount"] == "5.00"
    done = cubepay.read(session_id)
    assert done["status"] == "SUCCEEDED"
    assert (done["capturableAmount"], done["capturedAmount"], done["refundedAmount"]) == ("0.00", "45.00", "5.00")
    assert [c["status"] for c in done["captures"]] == ["CAPTURED", "CAPTURED"]


def test_an_under_funded_session_is_not_captured(sandbox: SandboxHandle, cubepay: CubePay) -> None:
    session_id = cubepay.create()
    assert sandbox.act("cubepay", session_id, "fund", amount="30.00").status_code == 200  # too little
    assert cubepay.read(session_id)["status"] == "PENDING"
    refused = cubepay.capture(session_id, "30.00", final=True, request_id="order-4002-ship")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "Payment session cannot be captured in status PENDING; only FUNDED sessions can."
    }


def test_a_retried_capture_is_not_captured_twice(sandbox: SandboxHandle, cubepay: CubePay) -> None:
    session_id = cubepay.create()
    assert sandbox.act("cubepay", session_id, "fund").status_code == 200
    first = cubepay.capture(session_id, "10.00", final=False, request_id="order-4003-ship-1")
    # our worker crashed before it stored the answer, and sends the same capture again
    again = cubepay.capture(session_id, "10.00", final=False, request_id="order-4003-ship-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["captureId"] == first.json()["captureId"]
    assert cubepay.read(session_id)["capturedAmount"] == "10.00"


def test_status_updates_arrive_signed(sandbox: SandboxHandle, cubepay: CubePay) -> None:
    # no URL: deliveries go to the sandbox's inbox for our merchant, signed with our secret
    sandbox.set_webhook_endpoint("cubepay", None, secret=WEBHOOK_SECRET)
    session_id = cubepay.create()
    assert sandbox.act("cubepay", session_id, "fund").status_code == 200
    assert cubepay.capture(session_id, "50.00", final=True, request_id="order-4004-ship").status_code == 202
    cubepay.read(session_id)  # the capture has settled by now
    sandbox.flush_webhooks()

    statuses = []
    for delivery in sandbox.inbox(f"cubepay-{sandbox.merchant('cubepay')}"):
        raw = delivery["body"].encode()
        assert verify_signature(raw, delivery["headers"]["X-CubePay-Signature"], WEBHOOK_SECRET)
        assert not verify_signature(raw, delivery["headers"]["X-CubePay-Signature"], "whsec_someone_else")
        update = json.loads(raw)
        assert update["paymentSessionId"] == session_id
        statuses.append(update["status"])
    assert statuses == ["FUNDED", "CAPTURING", "SUCCEEDED"]
