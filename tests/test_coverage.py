"""Contract coverage (`GET /_sandbox/coverage`): the catalogue comes from the providers' own
tables, a fresh sandbox counts nothing, and a scripted run counts exactly what it did."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox import coverage_report
from sandbox.faults import KINDS
from sandbox.registry import PROVIDERS
from tests.support.apps import client_for, make_app
from tests.support.payviox_calls import SECRET, create, order

pytestmark = pytest.mark.anyio


async def coverage(client: httpx.AsyncClient, prefix: str = "") -> dict[str, Any]:
    response = await client.get(f"{prefix}/_sandbox/coverage")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def counted(report: dict[str, Any]) -> dict[str, Any]:
    """Every non-zero count of a report, keyed readably: what a run did, and nothing else."""
    found: dict[str, Any] = {}
    for name, block in report["providers"].items():
        for op in block["operations"]:
            if op["calls"] or op["statuses"]:
                found[f"{name} {op['method']} {op['path']}"] = (op["calls"], op["statuses"])
        for step in block["transitions"]:
            if step["count"]:
                found[f"{name} {step['from']} -> {step['to']}"] = step["count"]
        for error in block["errors"]:
            if error["count"]:
                found[f"{name} error {error['code']} {error['status']}"] = error["count"]
        for hook in block["webhooks"]:
            if hook["sent"] or hook["delivered"]:
                found[f"{name} webhook {hook['event']}"] = (hook["sent"], hook["delivered"])
        for fault in block["faults"]:
            if fault["fired"]:
                found[f"{name} fault {fault['kind']}"] = fault["fired"]
        for dimension, count in block["other"].items():
            if count:
                found[f"{name} other {dimension}"] = count
    return found


def test_the_catalogue_holds_every_row_of_every_providers_tables() -> None:
    """Every operation, lifecycle transition, error row, webhook event type and fault kind of each
    provider is an entry of its report, and nothing else is."""
    report = make_app().state.sandbox.coverage.report()
    assert set(report["providers"]) == set(PROVIDERS)
    for name, provider in PROVIDERS.items():
        block = report["providers"][name]
        assert [(op["method"], op["path"]) for op in block["operations"]] == [
            (op.method, op.path) for op in provider.operations
        ]
        pairs = {(source, target) for (source, _), target in provider.lifecycle.table.items()}
        assert {(step["from"], step["to"]) for step in block["transitions"]} == pairs
        assert len(block["transitions"]) == len(pairs)
        for (source, action), target in provider.lifecycle.table.items():
            entry = next(step for step in block["transitions"] if (step["from"], step["to"]) == (source, target))
            assert action in entry["actions"]
        assert {(error["code"], error["status"], error["kind"]) for error in block["errors"]} == {
            (code, wire.status, wire.kind) for code, wire in provider.errors.items()
        }
        events = provider.webhooks.policy.event_types if provider.webhooks else frozenset()
        assert {hook["event"] for hook in block["webhooks"]} == set(events)
        assert [fault["kind"] for fault in block["faults"]] == list(KINDS)
        assert report["summary"][name]["operations"] == f"0/{len(provider.operations)}"


async def test_a_fresh_sandbox_counts_nothing(client: httpx.AsyncClient) -> None:
    report = await coverage(client)
    assert counted(report) == {}
    for name, block in report["providers"].items():
        for dimension in coverage_report.DIMENSIONS:
            assert report["summary"][name][dimension] == f"0/{len(block[dimension])}"
            assert block[dimension], f"{name} has no {dimension} in its catalogue"
    assert not coverage_report.used(report)


SCENARIO = {
    "clock": {"start": "2026-01-01T00:00:00Z", "manual": True},
    "faults": [
        {
            "name": "one 429",
            "match": {"provider": "payviox", "operation": "create_session"},
            "when": {"times": 1},
            "act": {"error": "rate_limited"},
        }
    ],
}


async def test_a_scripted_run_counts_exactly_what_it_did(client: httpx.AsyncClient) -> None:
    session_id = await create(client)  # 201
    assert (await client.post("/payviox/session", json={"amount": 1}, headers=SECRET)).status_code == 400
    assert (await client.get("/payviox/payment/nope", headers=SECRET)).status_code == 404
    assert (await client.get("/payviox/no/such/route", headers=SECRET)).status_code == 404  # no operation: other
    pay = "/_sandbox/payviox/sessions/{}/actions/{}"
    assert (await client.post(pay.format(session_id, "pay"), json={"outcome": "succeeded"})).status_code == 200
    assert (await client.post(pay.format(session_id, "refund"))).status_code == 200
    assert (await client.post(pay.format(session_id, "refund"))).status_code == 409  # invalid_state, no operation
    assert (await client.post("/_sandbox/webhooks/flush")).status_code == 200  # to the built-in inbox: delivered
    # A sandbox reset and a scenario load keep the counts; the scenario's fault fires once.
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert (await client.put("/_sandbox/scenario", json=SCENARIO)).status_code == 200
    limited = await client.post("/payviox/session", json=order(order_id="o2"), headers=SECRET)
    assert limited.status_code == 429

    report = await coverage(client)
    assert counted(report) == {
        "payviox POST /session": (3, {"201": 1, "400": 1, "429": 1}),
        "payviox GET /payment/{session_id}": (1, {"404": 1}),
        "payviox other operations": 1,
        "payviox open -> succeeded": 1,
        "payviox succeeded -> refunded": 1,
        "payviox error invalid_request 400": 1,
        "payviox error not_found 404": 2,
        "payviox error invalid_state 409": 1,
        "payviox error rate_limited 429": 1,
        "payviox webhook succeeded": (1, 1),
        "payviox webhook refunded": (1, 1),
        "payviox fault error:rate_limited": 1,
    }
    summary = report["summary"]["payviox"]
    assert summary["operations"].startswith("2/") and summary["transitions"].startswith("2/")
    assert summary["errors"].startswith("4/") and summary["webhooks"].startswith("2/")
    assert summary["faults"].startswith("1/")

    assert (await client.post("/_sandbox/coverage/reset")).json() == {"status": "reset"}
    assert counted(await coverage(client)) == {}


async def test_an_undelivered_webhook_is_sent_but_not_hit(client: httpx.AsyncClient) -> None:
    session_id = await create(client)
    await client.post(f"/_sandbox/payviox/sessions/{session_id}/actions/pay", json={"outcome": "declined"})
    report = await coverage(client)
    assert counted(report)["payviox webhook declined"] == (1, 0)  # queued, never flushed
    assert report["summary"]["payviox"]["webhooks"].startswith("0/")


async def test_each_namespace_counts_its_own(client: httpx.AsyncClient) -> None:
    response = await client.post("/ns/one/payviox/session", json=order(), headers=SECRET)
    assert response.status_code == 201
    assert counted(await coverage(client, "/ns/one")) == {"payviox POST /session": (1, {"201": 1})}
    assert counted(await coverage(client)) == {}
    assert counted(await coverage(client, "/ns/two")) == {}


async def test_cdp_and_cubepay_are_counted_in_their_own_blocks() -> None:
    app = make_app()
    async with client_for(app) as client:
        assert (await client.get("/cdp/platform/v2/payment-sessions")).status_code == 401
        assert (await client.get("/cubepay/payment-sessions/x")).status_code in (401, 403)
        found = counted(await coverage(client))
    assert found["cdp GET /platform/v2/payment-sessions"] == (1, {"401": 1})
    assert found["cdp error unauthorized 401"] == 1
    assert [key for key in found if key.startswith("cubepay") and "/payment-sessions/{session_id}" in key]
    assert not [key for key in found if key.startswith("payviox")]


def test_reports_merge_by_entry_and_recompute_the_summary() -> None:
    sandbox = make_app().state.sandbox
    first = sandbox.coverage.report()
    entry = first["providers"]["payviox"]["operations"][0]
    entry["calls"], entry["statuses"] = 2, {"201": 2}
    second = sandbox.coverage.report()
    other = second["providers"]["payviox"]["operations"][0]
    other["calls"], other["statuses"] = 1, {"400": 1}
    second["providers"]["payviox"]["transitions"][0]["count"] = 5
    merged = coverage_report.merge([first, second])
    block = merged["providers"]["payviox"]
    assert block["operations"][0]["calls"] == 3 and block["operations"][0]["statuses"] == {"201": 2, "400": 1}
    assert block["transitions"][0]["count"] == 5
    assert merged["summary"]["payviox"]["operations"].startswith("1/")
    assert first["providers"]["payviox"]["operations"][0]["calls"] == 2  # inputs untouched


def test_thresholds() -> None:
    assert coverage_report.parse_thresholds("transitions:80, errors:50") == {"transitions": 80.0, "errors": 50.0}
    assert set(coverage_report.parse_thresholds("10")) == set(coverage_report.DIMENSIONS)
    with pytest.raises(ValueError, match="unknown coverage dimension"):
        coverage_report.parse_thresholds("branches:80")
    with pytest.raises(ValueError, match="percentage"):
        coverage_report.parse_thresholds("errors:lots")
    report = make_app().state.sandbox.coverage.report()
    assert coverage_report.shortfalls(report, {"errors": 100}) == []  # nothing touched: nothing to hold
    report["providers"]["payviox"]["errors"][0]["count"] = 1
    assert coverage_report.shortfalls(report, {"errors": 9}) == []
    [line] = coverage_report.shortfalls(report, {"errors": 10})
    assert line == "errors coverage 9.1% (1/11) is below 10%"  # Payviox's rows only: the one provider touched


def test_the_html_page_escapes_everything_and_colours_hits() -> None:
    report = make_app().state.sandbox.coverage.report()
    block = report["providers"]["payviox"]
    block["operations"][0]["path"] = "/<script>alert(1)</script>"
    block["operations"][0]["calls"] = 1
    report["providers"]["<b>evil</b>"] = block
    page = coverage_report.page(report)
    assert "<script>" not in page and "<b>evil" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;evil&lt;/b&gt;" in page
    assert page.count('class="hit"') == 2  # the one operation hit, in both copies of the block
    assert "never exercised" in page and "429 rate_limited (rate_limit_exceeded)" in page


def test_the_summary_names_the_telling_misses() -> None:
    report = make_app().state.sandbox.coverage.report()
    lines = coverage_report.lines(report)
    assert lines[0].startswith("cdp: operations 0/")
    assert lines[-1].startswith("never exercised: ")
    assert "payviox 401 unauthorized" in lines[-1] and "cdp transition created -> canceled" in lines[-1]
    report["providers"]["payviox"]["operations"][0]["calls"] = 1  # once a run used Payviox only
    lines = coverage_report.lines(report)
    assert lines[0].startswith("cdp: operations 0/")  # every provider's figures,
    assert "payviox 401 unauthorized" in lines[-1] and "cdp" not in lines[-1]  # the used one's misses
