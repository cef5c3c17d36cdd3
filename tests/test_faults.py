"""Scenario faults over HTTP: every match, every `when`, every act, both phases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest

from sandbox.faults import error_classes
from sandbox.registry import ScenarioModel
from sandbox.sabotage import DroppedConnection
from sandbox.scenarios import ScenarioError, load_text
from sandbox.threaded import serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.control import Control, SyncControl

pytestmark = pytest.mark.anyio

SECRET = {"Authorization": "Bearer sk_test_acme"}
OTHER = {"Authorization": "Bearer sk_test_globex"}
ORDERS = iter(range(1_000_000))


def order(**changes: Any) -> dict[str, Any]:
    number = next(ORDERS)  # a new order and customer each time, so Payviox's own limits stay out of the way
    body = {"amount": 1000, "currency": "USD", "customer": f"c{number}", "order_id": f"o{number}"}
    body["items"] = [{"name": "Plan", "quantity": 1, "price": 1000}]
    return {**body, **changes}


def fault(act: dict[str, Any], phase: str = "before_commit", **match: Any) -> dict[str, Any]:
    return {"phase": phase, "match": {"provider": "payviox", "operation": "create_session", **match}, "act": act}


async def create(client: httpx.AsyncClient, headers: dict[str, str] = SECRET, **changes: Any) -> httpx.Response:
    return await client.post("/payviox/session", json=order(**changes), headers=headers)


async def statuses(client: httpx.AsyncClient, count: int) -> list[int]:
    return [(await create(client)).status_code for _ in range(count)]


async def sessions(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return await Control(client).sessions("payviox")


def app_with(*rules: dict[str, Any], **scenario: Any) -> httpx.AsyncClient:
    return client_for(make_app(faults=list(rules), **scenario))


# acts -----------------------------------------------------------------------------------------


async def test_a_domain_error_is_rendered_in_the_providers_own_envelope() -> None:
    async with app_with(fault({"error": "rate_limited", "retry_after": 30, "scope": "customer"})) as client:
        response = await create(client)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {
        "error": "rate_limit_exceeded",
        "message": "Too many session requests",
        "type": "customer",
        "retry_after": 30,
    }


async def test_a_before_commit_fault_changes_no_state() -> None:
    async with app_with(fault({"error": "unavailable"})) as client:
        response = await create(client)
        assert response.status_code == 503
        assert response.json() == {"error": "Service Unavailable"}
        assert response.headers["X-Sandbox-Fault"] == "faults[0]"
        assert await sessions(client) == []


async def test_a_raw_reply_is_sent_as_given() -> None:
    raw = {"respond": {"status": 502, "body": {"upstream": "down"}, "headers": {"X-Edge": "lb-3"}}}
    async with app_with(fault(raw)) as client:
        response = await create(client)
    assert (response.status_code, response.json(), response.headers["X-Edge"]) == (502, {"upstream": "down"}, "lb-3")


async def test_latency_alone_answers_normally_but_late() -> None:
    app = make_app(faults=[fault({"latency": 2})])
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=0.5) as client:
            with pytest.raises(httpx.ReadTimeout):
                await create(client)
    async with client_for(app) as client:
        control = Control(client)
        journal = await control.requests()
    assert journal[-1]["status"] == 201  # it ran normally once the wait was over
    assert journal[-1]["notes"] == ["fault faults[0] fired before commit"]


def test_a_dropped_connection_is_a_transport_error_on_a_live_server() -> None:
    app = make_app(faults=[fault({"drop": True})])
    with serve_in_thread(app) as url:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{url}/payviox/session", json=order(), headers=SECRET)
        SyncControl(url).health()  # the server lives on: it answers 200


def test_a_truncated_body_is_an_incomplete_read_on_a_live_server() -> None:
    app = make_app(faults=[fault({"truncate": True}, phase="after_commit")])
    with serve_in_thread(app) as url:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{url}/payviox/session", json=order(), headers=SECRET)
        listed = SyncControl(url).sessions("payviox")
        assert len(listed) == 1  # after commit: the session exists though the client saw half a body


async def test_a_truncated_answer_carries_the_cors_headers_of_the_answer_it_cuts() -> None:
    """Provider operations add CORS's headers themselves (pipeline.serve_matched): a truncated
    answer sends its original's headers, so those headers must be the ones decorated."""
    app = make_app(faults=[fault({"truncate": True}, phase="after_commit")])
    body = json.dumps(order()).encode()
    headers = [(b"host", b"sandbox.test"), (b"origin", b"https://shop.example"), (b"content-type", b"application/json")]
    headers += [(name.lower().encode(), value.encode()) for name, value in SECRET.items()]
    scope = {"type": "http", "method": "POST", "path": "/payviox/session", "raw_path": b"/payviox/session",
             "query_string": b"", "root_path": "", "scheme": "http", "headers": headers,
             "client": ("198.51.100.10", 5000), "server": ("sandbox.test", 80)}  # fmt: skip
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with pytest.raises(DroppedConnection):  # no socket to close in-process: the cut is an error
        await app(scope, receive, send)
    started = dict(sent[0]["headers"])
    assert sent[0]["status"] == 201 and started[b"access-control-allow-origin"] == b"*"
    assert started[b"vary"] == b"Origin"


async def test_in_process_a_dropped_connection_is_also_an_httpx_transport_error() -> None:
    async with app_with(fault({"drop": True})) as client:
        with pytest.raises(httpx.TransportError) as caught:
            await create(client)
    assert isinstance(caught.value, DroppedConnection)


# after commit and idempotency ------------------------------------------------------------------

CDP = {"Authorization": "Bearer " + jwt.encode({"sub": "acme-key", "iss": "cdp"}, "k" * 32, algorithm="HS256")}
CDP_BODY = {"amount": "1.00", "asset": "usdc", "target": {"address": "0x" + "ab" * 20, "network": "base"}}


async def test_after_commit_the_change_stands_and_an_idempotent_retry_gets_the_original() -> None:
    lost = {
        "phase": "after_commit",
        "match": {"provider": "cdp", "operation": "create_payment_session"},
        "when": {"times": 1},
        "act": {"error": "unavailable"},
    }
    async with app_with(lost) as client:
        control = Control(client)
        headers = {**CDP, "X-Idempotency-Key": "order-42"}
        first = await client.post("/cdp/platform/v2/payment-sessions", json=CDP_BODY, headers=headers)
        assert first.status_code == 503
        made = await control.sessions("cdp")
        assert len(made) == 1  # committed although the client got an error
        retry = await client.post("/cdp/platform/v2/payment-sessions", json=CDP_BODY, headers=headers)
        assert retry.status_code == 200, retry.text
        assert retry.json()["paymentSessionId"] == made[0]["paymentSessionId"]
        assert len(await control.sessions("cdp")) == 1


async def test_after_commit_ignores_calls_that_failed() -> None:
    async with app_with(fault({"error": "unavailable"}, phase="after_commit")) as client:
        control = Control(client)
        assert (await create(client, amount=5)).status_code == 400  # the handler refused: nothing committed
        assert (await create(client)).status_code == 503
        rule = (await control.scenario())["faults"][0]
    assert (rule["matched"], rule["fired"]) == (1, 1)


# matching --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("match", "hit", "miss"),
    [
        ({"merchant": "acme"}, {}, {"headers": OTHER}),
        ({"body": {"currency": "EUR"}}, {"currency": "EUR"}, {"currency": "USD"}),
        (
            {"body": {"items": [{"name": "Gold", "quantity": 1, "price": 1000}]}},
            {"items": [{"name": "Gold", "quantity": 1, "price": 1000}]},
            {},
        ),
        ({"headers": {"X-Test-Case": "flaky"}}, {"headers": {**SECRET, "x-test-case": "flaky"}}, {}),
        ({"method": "post", "path": "/payviox/sess*"}, {}, None),
    ],
)
async def test_matching(match: dict[str, Any], hit: dict[str, Any], miss: dict[str, Any] | None) -> None:
    async with app_with(fault({"error": "unavailable"}, **match)) as client:
        assert (await create(client, **hit)).status_code == 503
        if miss is not None:
            assert (await create(client, **miss)).status_code == 201


async def test_operation_and_path_must_both_match() -> None:
    rule = {"match": {"provider": "payviox", "path": "/payviox/payment/*"}, "act": {"error": "unavailable"}}
    async with app_with(rule) as client:
        session = (await create(client)).json()["session_id"]
        assert (await client.get(f"/payviox/payment/{session}", headers=SECRET)).status_code == 503
        assert (await client.get("/payviox/balance", headers=SECRET)).status_code == 200


async def test_a_fault_on_another_provider_leaves_this_one_alone() -> None:
    rule = {"match": {"provider": "cdp"}, "act": {"error": "unavailable"}}
    async with app_with(rule) as client:
        assert (await create(client)).status_code == 201


# when ------------------------------------------------------------------------------------------


async def test_nth_fires_on_that_call_only() -> None:
    async with app_with({**fault({"error": "unavailable"}), "when": {"nth": 2}}) as client:
        assert await statuses(client, 4) == [201, 503, 201, 201]


async def test_times_fires_then_behaves() -> None:
    async with app_with({**fault({"error": "unavailable"}), "when": {"times": 2}}) as client:
        assert await statuses(client, 4) == [503, 503, 201, 201]


async def test_every_kth_call() -> None:
    async with app_with({**fault({"error": "unavailable"}), "when": {"every": 3}}) as client:
        assert await statuses(client, 6) == [201, 201, 503, 201, 201, 503]


async def test_after_an_instant_on_the_sandbox_clock() -> None:
    rule = {**fault({"error": "unavailable"}), "when": {"after": "2026-01-01T01:00:00Z"}}
    async with app_with(rule) as client:
        control = Control(client)
        assert await statuses(client, 1) == [201]
        await control.advance(3600)
        assert await statuses(client, 1) == [503]


async def test_a_probability_is_drawn_from_the_seeded_rng() -> None:
    rule = {**fault({"error": "unavailable"}), "when": {"probability": 0.5}}
    runs = []
    for _ in range(2):
        async with app_with(rule) as client:
            runs.append(await statuses(client, 30))
    assert runs[0] == runs[1]  # same seed, same pattern
    assert {201, 503} == set(runs[0])
    async with client_for(make_app(seed=8, faults=[rule])) as client:
        assert await statuses(client, 30) != runs[0]


async def test_the_first_rule_that_fires_answers_and_every_rule_counts() -> None:
    first = {**fault({"error": "unavailable"}), "name": "first", "when": {"nth": 2}}
    second = {**fault({"respond": {"status": 418}}), "name": "second"}
    async with app_with(first, second) as client:
        control = Control(client)
        assert await statuses(client, 3) == [418, 503, 418]
        shown = (await control.scenario())["faults"]
    assert [(rule["name"], rule["matched"], rule["fired"]) for rule in shown] == [("first", 3, 1), ("second", 3, 2)]


async def test_the_journal_notes_the_fault() -> None:
    async with app_with(fault({"error": "unavailable"}, phase="after_commit")) as client:
        control = Control(client)
        await create(client)
        entry = (await control.requests())[-1]
    assert entry["status"] == 201
    assert entry["notes"] == ["fault faults[0] fired after commit (the change stands)"]


async def test_latency_rules_add_their_delay_and_let_a_later_rule_answer() -> None:
    slow = {**fault({"latency": 0.01}), "name": "slow"}
    down = {**fault({"error": "unavailable"}), "name": "down"}
    async with app_with(slow, down) as client:
        control = Control(client)
        assert await statuses(client, 1) == [503]
        entry = (await control.requests())[-1]
        shown = (await control.scenario())["faults"]
    assert entry["notes"][:2] == ["fault slow fired before commit", "fault down fired before commit"]
    assert [rule["fired"] for rule in shown] == [1, 1]


async def test_method_must_match() -> None:
    rule = {"match": {"provider": "payviox", "method": "get"}, "act": {"error": "unavailable"}}
    async with app_with(rule) as client:
        assert (await create(client)).status_code == 201  # a POST
        assert (await client.get("/payviox/balance", headers=SECRET)).status_code == 503


async def test_an_instant_without_a_zone_is_utc() -> None:
    rule = {**fault({"error": "unavailable"}), "when": {"after": "2026-01-01T01:00:00"}}
    async with app_with(rule) as client:
        control = Control(client)
        assert await statuses(client, 1) == [201]
        await control.advance(3600)
        assert await statuses(client, 1) == [503]


# every domain code, every provider -------------------------------------------------------------

CUBEPAY = {"Authorization": "Bearer cubepay_test_faults"}
# One authenticated call per provider, and how to recognise its error envelope.
CALLS: dict[str, tuple[str, str, dict[str, str], Any]] = {
    "payviox": ("GET", "/payviox/balance", SECRET, None),
    "cdp": ("POST", "/cdp/platform/v2/payment-sessions", CDP, CDP_BODY),
    "cubepay": ("POST", "/cubepay/payment-sessions", CUBEPAY, {"amount": "1.00", "currency": "USD"}),
}
ENVELOPES = {
    # {"error": ...} (with more keys for 403 and 429), or Laravel's {field: [messages]}
    "payviox": lambda body: "error" in body or all(isinstance(value, list) for value in body.values()),
    "cdp": lambda body: {"errorType", "errorMessage", "correlationId"} <= set(body),
    "cubepay": lambda body: set(body) == {"error"},
}

MESSAGES = {  # the human-readable part of each envelope
    "payviox": lambda body: body.get("error") or all(body.values()),
    "cdp": lambda body: body["errorMessage"],
    "cubepay": lambda body: body["error"],
}


@pytest.mark.parametrize("provider", sorted(CALLS))
@pytest.mark.parametrize("code", sorted(error_classes()))
async def test_every_domain_error_renders_in_each_providers_own_envelope(provider: str, code: str) -> None:
    rule = {"name": "injected", "match": {"provider": provider}, "act": {"error": code, "retry_after": 7}}
    method, path, headers, body = CALLS[provider]
    async with app_with(rule) as client:
        response = await client.request(method, path, headers=headers, json=body)
    assert response.headers["X-Sandbox-Fault"] == "injected"
    # only `internal` is a 500: every other code is a client-visible error the provider knows
    assert (response.status_code == 500) == (code == "internal"), (response.status_code, response.text)
    assert 400 <= response.status_code < 600
    assert ENVELOPES[provider](response.json()), response.text
    assert MESSAGES[provider](response.json()), f"a rule without a message still says something: {response.text}"
    if code == "rate_limited":
        assert (response.status_code, response.headers["Retry-After"]) == (429, "7")


def test_an_error_a_rule_cannot_build_is_refused_when_the_scenario_loads() -> None:
    """CDP's x402 402 needs its session's challenge: naming it is a line-numbered error, not a crash."""
    with pytest.raises(ScenarioError) as refused:
        load_text(ScenarioModel, "faults:\n  - act: {error: payment_required}\n", "s.yaml")
    assert refused.value.problems[0].startswith("s.yaml:2: faults.0.act: unknown error code 'payment_required'")
