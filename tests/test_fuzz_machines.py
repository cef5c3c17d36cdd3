"""Random action sequences per provider (hypothesis `RuleBasedStateMachine`), the money checked
after every step; and a CubePay fuzz generated from its validation rules (it has no OpenAPI spec).

Each machine creates sessions and drives them through the provider's API and the control API's
actions (authorize/fund/pay, capture, void, refund, settle, fail, expire by moving the clock),
in any order, with amounts under, at and over what is allowed. After every step each session is
read back over HTTP and its invariants checked: CDP's are `check_invariants` of
tests/providers/test_cdp_balances.py; CubePay's that captured + capturable + refunded never
exceed what was funded, none negative, each a sum of its captures; Payviox's that what was
received never exceeds the amount (short only while incomplete) and the state is one the
lifecycle knows. Every answer is below 500. Derandomized and bounded (`FUZZ_STEPS` examples
per machine of up to 15 steps, default 20 in `make test`, FUZZ_CASES / 10 under `make fuzz`; the CubePay
fuzz 120 cases, FUZZ_CASES under `make fuzz`).
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from starlette.testclient import TestClient

from sandbox.providers.payviox.lifecycle import LIFECYCLE as PAYVIOX_LIFECYCLE
from tests.providers.test_cdp_balances import check_invariants
from tests.support.apps import make_app
from tests.support.cdp_calls import ACME, BASE, session_body
from tests.support.payviox_calls import SECRET, order

CASES = int(os.environ.get("FUZZ_CASES", "0"))
EXAMPLES = int(os.environ.get("FUZZ_STEPS", str(max(20, CASES // 10))))
RUN = settings(
    max_examples=EXAMPLES,
    stateful_step_count=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CUBEPAY = {"Authorization": "Bearer cubepay_test_acme"}
AMOUNTS = st.sampled_from(["0.01", "0.50", "1.00", "3.33", "9.99", "10.00", "12.00", "0", "-1", "abc", None])
CENTS = Decimal("0.01")


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text)
    return response


class _Machine(RuleBasedStateMachine):
    provider = ""
    scenario: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        self.http = TestClient(make_app(providers=self.scenario), base_url="http://sandbox.test")
        self.sessions: list[str] = []

    def teardown(self) -> None:
        self.http.close()

    def act(self, session_id: str, action: str, **body: Any) -> httpx.Response:
        return _ok(self.http.post(f"/_sandbox/{self.provider}/sessions/{session_id}/actions/{action}", json=body))

    @rule(seconds=st.sampled_from([1, 5, 60, 3600, 86400 * 2]))
    def advance(self, seconds: int) -> None:
        _ok(self.http.post("/_sandbox/clock/advance", json={"seconds": seconds}))


class CdpMachine(_Machine):
    provider = "cdp"
    scenario = {"cdp": {"settlement": {"delay_seconds": 2}}}

    @rule(auto=st.booleans())
    def create(self, auto: bool) -> None:
        created = _ok(self.http.post(BASE, json=session_body(amount="10.00", autoCapture=auto), headers=ACME))
        self.sessions.append(created.json()["paymentSessionId"])

    @rule(data=st.data(), outcome=st.sampled_from(["succeeded", "failed"]))
    def authorize(self, data: st.DataObject, outcome: str) -> None:
        if self.sessions:
            self.act(data.draw(st.sampled_from(self.sessions)), "authorize", outcome=outcome)

    @rule(data=st.data(), outcome=st.sampled_from(["succeeded", "failed"]))
    def settle(self, data: st.DataObject, outcome: str) -> None:
        if self.sessions:
            self.act(data.draw(st.sampled_from(self.sessions)), "settle", outcome=outcome)

    @rule(data=st.data(), what=st.sampled_from(["captures", "voids", "refunds"]), amount=AMOUNTS, final=st.booleans())
    def money(self, data: st.DataObject, what: str, amount: str | None, final: bool) -> None:
        if not self.sessions:
            return
        session_id = data.draw(st.sampled_from(self.sessions))
        body: dict[str, Any] = {}
        if what == "captures":
            body["finalCapture"] = final
        if what == "refunds":
            body["source"] = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}
        if amount is not None and what != "voids":
            body["amount"] = amount
        _ok(self.http.post(f"{BASE}/{session_id}/{what}", json=body, headers=ACME))

    @invariant()
    def balances(self) -> None:
        for session_id in self.sessions:
            check_invariants(_ok(self.http.get(f"{BASE}/{session_id}", headers=ACME)).json())


class CubePayMachine(_Machine):
    provider = "cubepay"
    scenario = {"cubepay": {"capture_delay_seconds": 2}}

    @rule(amount=st.sampled_from(["10.00", "0.50", "99.99"]))
    def create(self, amount: str) -> None:
        made = _ok(
            self.http.post("/cubepay/payment-sessions", json={"amount": amount, "currency": "USD"}, headers=CUBEPAY)
        )
        if made.status_code == 200:
            self.sessions.append(made.json()["paymentSessionId"])

    @rule(data=st.data(), action=st.sampled_from(["connect", "fund", "cancel", "fail"]), amount=AMOUNTS)
    def control(self, data: st.DataObject, action: str, amount: str | None) -> None:
        if self.sessions:
            body = {"amount": amount} if action == "fund" and amount is not None else {}
            self.act(data.draw(st.sampled_from(self.sessions)), action, **body)

    @rule(data=st.data(), amount=AMOUNTS, final=st.booleans(), request_id=st.sampled_from(["a", "b", "c", "d"]))
    def capture(self, data: st.DataObject, amount: str | None, final: bool, request_id: str) -> None:
        if not self.sessions:
            return
        session_id = data.draw(st.sampled_from(self.sessions))
        body = {"requestId": request_id, "captureAmount": amount, "isFinalCapture": final}
        _ok(self.http.post(f"/cubepay/api/v1/payment-sessions/{session_id}/captures", json=body, headers=CUBEPAY))

    @invariant()
    def balances(self) -> None:
        for session_id in self.sessions:
            session = _ok(self.http.get(f"/cubepay/payment-sessions/{session_id}", headers=CUBEPAY)).json()
            capturable, captured, refunded = (
                Decimal(session[key] or 0) for key in ("capturableAmount", "capturedAmount", "refundedAmount")
            )
            assert min(capturable, captured, refunded) >= 0, session
            shown = _ok(self.http.get(f"/_sandbox/cubepay/sessions/{session_id}")).json()
            funded = Decimal(shown["sandbox"]["receivedAmount"])
            assert capturable + captured + refunded <= funded, (session, shown["sandbox"])
            settled = [c for c in session.get("captures") or [] if c["status"] == "CAPTURED"]
            assert captured == sum((Decimal(c["captureAmount"]) for c in settled), Decimal(0)), session
            if session["status"] in ("SUCCEEDED", "CANCELED", "EXPIRED"):
                assert capturable == 0, session


class PayvioxMachine(_Machine):
    provider = "payviox"

    @rule(amount=st.sampled_from([100, 2550, 10000]))
    def create(self, amount: int) -> None:
        body = order(
            amount=amount, order_id=f"o{len(self.sessions)}", items=[{"name": "x", "quantity": 1, "price": amount}]
        )
        made = _ok(self.http.post("/payviox/session", json=body, headers=SECRET))
        if made.status_code == 201:
            self.sessions.append(made.json()["session_id"])

    @rule(
        data=st.data(),
        outcome=st.sampled_from(["succeeded", "declined", "pending_review", "failed", "incomplete"]),
        paid=st.sampled_from([None, 1, 50, 99999]),
    )
    def pay(self, data: st.DataObject, outcome: str, paid: int | None) -> None:
        if self.sessions:
            body: dict[str, Any] = {"outcome": outcome}
            if outcome == "incomplete":
                body["payment_method"] = "crypto"
                if paid is not None:
                    body["amount_paid"] = paid
            self.act(data.draw(st.sampled_from(self.sessions)), "pay", **body)

    @rule(
        data=st.data(), action=st.sampled_from(["review", "refund"]), decision=st.sampled_from(["approve", "decline"])
    )
    def later(self, data: st.DataObject, action: str, decision: str) -> None:
        if self.sessions:
            body = {"decision": decision} if action == "review" else {}
            self.act(data.draw(st.sampled_from(self.sessions)), action, **body)

    @invariant()
    def amounts(self) -> None:
        states = {source for source, _ in PAYVIOX_LIFECYCLE.table} | set(PAYVIOX_LIFECYCLE.table.values())
        for session_id in self.sessions:
            shown = _ok(self.http.get(f"/_sandbox/payviox/sessions/{session_id}")).json()["sandbox"]
            assert shown["state"] in states, shown
            assert 0 <= shown["amount_received"], shown
            assert shown["amount_remaining"] >= 0, shown
            if shown["state"] == "incomplete":
                assert shown["amount_remaining"] > 0, shown


TestCdpMachine = RUN(CdpMachine).TestCase
TestCubePayMachine = RUN(CubePayMachine).TestCase
TestPayvioxMachine = RUN(PayvioxMachine).TestCase


# CubePay has no OpenAPI spec here: bodies built from its validation rules (sandbox/providers/cubepay/validation.py).
_MONEY = st.one_of(
    st.decimals(min_value=-10, max_value=10**9, places=2, allow_nan=False).map(str),
    st.sampled_from(["", "1e3", "0.001", "NaN", "Infinity", "1" * 40, "１２"]),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
)
_TEXT = st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.integers(), max_size=3))
_CREATE = st.fixed_dictionaries(
    {},
    optional={
        "amount": _MONEY,
        "currency": st.sampled_from(["USD", "usd", "EUR", "", "XXXXXX", 5]),
        "network": _TEXT,
        "tokenSymbol": _TEXT,
        "requestId": _TEXT,
        "metadata": st.one_of(st.dictionaries(st.text(max_size=8), _TEXT, max_size=3), _TEXT),
    },
)
_CAPTURE = st.fixed_dictionaries(
    {}, optional={"requestId": _TEXT, "captureAmount": _MONEY, "isFinalCapture": st.one_of(st.booleans(), _TEXT)}
)
_ID = st.text(min_size=1, max_size=40).filter(lambda text: not set(text) & set("/?#%"))


@settings(
    max_examples=max(120, CASES),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(create=_CREATE, capture=_CAPTURE, other=_ID, raw=st.binary(max_size=64))
def test_cubepay_bodies_from_its_validation_rules_never_break_it(
    create: dict[str, Any], capture: dict[str, Any], other: str, raw: bytes
) -> None:
    with TestClient(make_app(), base_url="http://sandbox.test") as http:
        made = _ok(http.post("/cubepay/payment-sessions", json=create, headers=CUBEPAY))
        body = made.json()
        if made.status_code == 200:
            session_id = body["paymentSessionId"]
            assert Decimal(body["amount"]) > 0 and isinstance(create.get("amount"), str), body
        else:
            assert made.status_code in (400, 422), made.text
            session_id = other
        session_id, other = quote(session_id, safe=""), quote(other, safe="")  # %0A and the like reach the routes
        for path in (f"/cubepay/payment-sessions/{session_id}", f"/cubepay/api/v1/payment-sessions/{other}"):
            _ok(http.get(path, headers=CUBEPAY))
        _ok(http.post(f"/cubepay/api/v1/payment-sessions/{session_id}/captures", json=capture, headers=CUBEPAY))
        _ok(http.post("/cubepay/payment-sessions", content=raw, headers=CUBEPAY))
