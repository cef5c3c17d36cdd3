"""CDP actions: captures, voids, refunds, their balances, settlement on the clock, expiry guards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import ACME, BASE, GLOBEX, authorized, create, error_of, get, post
from tests.support.control import Control

pytestmark = pytest.mark.anyio

REFUND_TO = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}


def balances(session: dict[str, Any]) -> tuple[str, str, str, str]:
    b = session["balances"]
    return b["capturable"], b["captured"], b["refundable"], b["refunded"]


async def test_authorization_settles_on_the_next_read(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    described = (await control.act("cdp", session_id, "authorize")).json()
    assert described["status"] == "authorization_pending"
    assert described["authorizations"][0]["status"] == "pending"
    assert described["balances"]["capturable"] == "0"  # balances move when an action succeeds
    session = await get(client, session_id)
    assert session["status"] == "authorization_succeeded"
    assert balances(session) == ("1.00", "0", "0", "0")
    authorization = session["authorizations"][0]
    assert authorization["authorizationId"].startswith("authorization_")
    assert (authorization["status"], authorization["amount"]) == ("succeeded", "1.00")
    assert session["source"] == authorization["source"]
    assert session["source"]["network"] == "base" and session["source"]["asset"] == "usdc"
    assert authorization["onchainTransactions"][0]["network"] == "base"


async def test_partial_captures_then_final_capture_releases_the_rest(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client, amount="10.00"))["paymentSessionId"]
    first = await post(client, session_id, "captures", {"amount": "3", "finalCapture": False, "metadata": {"n": "1"}})
    assert first.status_code == 200
    capture = first.json()
    assert capture["captureId"].startswith("capture_")
    assert (capture["status"], capture["amount"], capture["finalCapture"]) == ("pending", "3.00", False)
    assert capture["metadata"] == {"n": "1"} and capture["paymentSessionId"] == session_id
    assert (await get(client, session_id))["status"] == "capture_succeeded"
    assert balances(await get(client, session_id)) == ("7.00", "3.00", "3.00", "0")
    await post(client, session_id, "captures", {"amount": "2.50", "finalCapture": True})
    session = await get(client, session_id)
    assert balances(session) == ("0", "5.50", "5.50", "0")  # the remaining 4.50 went back to the payer
    assert [c["status"] for c in session["captures"]] == ["succeeded", "succeeded"]
    again = await post(client, session_id, "captures", {"finalCapture": True})
    assert error_of(again) == (400, "no_capturable_balance")


async def test_capture_without_amount_takes_everything(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client))["paymentSessionId"]
    capture = (await post(client, session_id, "captures", {"finalCapture": False})).json()
    assert capture["amount"] == "1.00"
    assert balances(await get(client, session_id)) == ("0", "1.00", "1.00", "0")


async def test_capture_rules(client: httpx.AsyncClient) -> None:
    fresh = (await create(client))["paymentSessionId"]
    assert error_of(await post(client, fresh, "captures", {"finalCapture": True})) == (400, "no_capturable_balance")
    session_id = (await authorized(client))["paymentSessionId"]
    too_much = await post(client, session_id, "captures", {"amount": "1.01", "finalCapture": True})
    assert error_of(too_much) == (400, "invalid_request")
    assert error_of(await post(client, session_id, "captures", {"amount": "0.5"})) == (400, "invalid_request")
    assert error_of(await post(client, session_id, "captures", {"finalCapture": "yes"})) == (400, "invalid_request")
    assert error_of(await post(client, session_id, "captures", None)) == (400, "invalid_request")
    foreign = await post(client, session_id, "captures", {"finalCapture": True}, headers=GLOBEX)
    assert error_of(foreign) == (404, "not_found")


async def test_void_releases_all_capturable_even_after_a_partial_capture(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client, amount="2.00"))["paymentSessionId"]
    await post(client, session_id, "captures", {"amount": "0.50", "finalCapture": False})
    await get(client, session_id)
    void = (await post(client, session_id, "voids", {"metadata": {"why": "out of stock"}})).json()
    assert void["voidId"].startswith("void_")
    assert (void["status"], void["amount"]) == ("pending", "1.50")
    session = await get(client, session_id)
    assert session["status"] == "void_succeeded"
    assert balances(session) == ("0", "0.50", "0.50", "0")
    assert error_of(await post(client, session_id, "voids")) == (400, "no_voidable_balance")
    assert error_of(await post(client, session_id, "captures", {"finalCapture": True})) == (
        400,
        "no_capturable_balance",
    )


async def test_partial_refunds_up_to_captured(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client))["paymentSessionId"]
    assert error_of(await post(client, session_id, "refunds", {"source": REFUND_TO})) == (400, "no_refundable_balance")
    await post(client, session_id, "captures", {"finalCapture": True})
    await get(client, session_id)
    refund = (
        await post(
            client,
            session_id,
            "refunds",
            {"source": REFUND_TO, "amount": "0.40", "reason": "Customer returned the item."},
        )
    ).json()
    assert refund["refundId"].startswith("refund_")
    assert (refund["status"], refund["amount"], refund["source"]) == ("pending", "0.40", REFUND_TO)
    assert refund["reason"] == "Customer returned the item."
    assert balances(await get(client, session_id)) == ("0", "1.00", "0.60", "0.40")
    over = await post(client, session_id, "refunds", {"source": REFUND_TO, "amount": "0.61"})
    assert error_of(over) == (400, "invalid_request")
    rest = (
        await post(
            client,
            session_id,
            "refunds",
            {"source": {"accountId": "account_af2937b0-9846-4fe7-bfe9-ccc22d935114", "asset": "usdc"}},
        )
    ).json()
    assert rest["amount"] == "0.60"
    session = await get(client, session_id)
    assert (session["status"], balances(session)) == ("refund_succeeded", ("0", "1.00", "0", "1.00"))
    assert error_of(await post(client, session_id, "refunds", {"source": REFUND_TO})) == (400, "no_refundable_balance")


async def test_refund_needs_a_source(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client))["paymentSessionId"]
    await post(client, session_id, "captures", {"finalCapture": True})
    assert error_of(await post(client, session_id, "refunds", {})) == (400, "invalid_request")
    assert error_of(await post(client, session_id, "refunds", {"source": {"iban": "x"}})) == (400, "invalid_request")


async def test_auto_capture_captures_after_a_successful_authorization(client: httpx.AsyncClient) -> None:
    session = await authorized(client, autoCapture=True)
    assert session["status"] == "capture_succeeded"
    assert balances(session) == ("0", "1.00", "1.00", "0")
    assert [c["finalCapture"] for c in session["captures"]] == [True]


async def test_actions_are_listed_newest_first_and_fetched_by_id(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client, amount="3.00"))["paymentSessionId"]
    ids = []
    for _ in range(3):
        ids.append(
            (await post(client, session_id, "captures", {"amount": "1", "finalCapture": False})).json()["captureId"]
        )
        await get(client, session_id)
    page = (await client.get(f"{BASE}/{session_id}/captures?pageSize=2", headers=ACME)).json()
    assert [c["captureId"] for c in page["captures"]] == ids[::-1][:2]
    rest = (await client.get(f"{BASE}/{session_id}/captures?pageToken={page['nextPageToken']}", headers=ACME)).json()
    assert [c["captureId"] for c in rest["captures"]] == ids[:1] and "nextPageToken" not in rest
    one = await client.get(f"{BASE}/{session_id}/captures/{ids[0]}", headers=ACME)
    assert one.json()["captureId"] == ids[0] and one.json()["status"] == "succeeded"
    missing = await client.get(
        f"{BASE}/{session_id}/captures/capture_00000000-0000-4000-8000-000000000000", headers=ACME
    )
    assert error_of(missing) == (404, "not_found")
    assert missing.json()["errorMessage"] == "Capture with the given ID does not exist."
    authorizations = (await client.get(f"{BASE}/{session_id}/authorizations", headers=ACME)).json()["authorizations"]
    auth_id = authorizations[0]["authorizationId"]
    assert (await client.get(f"{BASE}/{session_id}/authorizations/{auth_id}", headers=ACME)).status_code == 200
    for kind in ("voids", "refunds"):
        assert (await client.get(f"{BASE}/{session_id}/{kind}", headers=ACME)).json() == {kind: []}
    other = await client.get(f"{BASE}/{session_id}/authorizations", headers=GLOBEX)
    assert error_of(other) == (404, "not_found")


async def test_a_new_action_while_one_is_pending_is_refused() -> None:
    app = make_app(providers={"cdp": {"settlement": {"delay_seconds": 60}}})
    async with client_for(app) as client:
        control = Control(client)
        session_id = (await create(client))["paymentSessionId"]
        await control.act("cdp", session_id, "authorize")
        assert (await get(client, session_id))["status"] == "authorization_pending"
        assert error_of(await post(client, session_id, "cancel")) == (400, "payment_session_action_pending")
        await control.advance(60)
        session = await get(client, session_id)
        assert session["status"] == "authorization_succeeded"
        assert session["authorizations"][0]["updatedAt"] == "2026-01-01T00:01:00.000Z"  # settled at its time
        await post(client, session_id, "captures", {"amount": "0.50", "finalCapture": False})
        pending = await post(client, session_id, "captures", {"amount": "0.50", "finalCapture": False})
        assert error_of(pending) == (400, "payment_session_action_pending")
        assert error_of(await post(client, session_id, "voids")) == (400, "payment_session_action_pending")
        settled = await control.act("cdp", session_id, "settle", outcome="failed")
        assert settled.json()["status"] == "capture_failed"
        capture = settled.json()["captures"][0]
        assert capture["error"] == {
            "code": "capture_failed",
            "message": "The capture could not be completed.",
            "occurredAt": "2026-01-01T00:01:00.000Z",
        }
        assert balances(settled.json()) == ("1.00", "0", "0", "0")  # a failed capture moves nothing
        assert error_of(await control.act("cdp", session_id, "settle")) == (400, "invalid_request")


async def test_scenario_outcome_fails_authorizations() -> None:
    app = make_app(providers={"cdp": {"settlement": {"authorization": "failed"}}})
    async with client_for(app) as client:
        control = Control(client)
        session_id = (await create(client))["paymentSessionId"]
        await control.act("cdp", session_id, "authorize")
        session = await get(client, session_id)
        assert session["status"] == "authorization_failed"
        assert session["authorizations"][0]["error"]["code"] == "insufficient_funds"
        assert "source" not in session and balances(session) == ("0", "0", "0", "0")
        assert error_of(await control.act("cdp", session_id, "authorize")) == (
            400,
            "payment_session_already_authorized",
        )
        assert error_of(await post(client, session_id, "cancel")) == (400, "invalid_request")


async def test_control_outcome_overrides_the_scenario(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    await control.act("cdp", session_id, "authorize", outcome="failed")
    assert (await get(client, session_id))["status"] == "authorization_failed"
    assert error_of(await control.act("cdp", session_id, "authorize", outcome="maybe")) == (400, "invalid_request")


async def test_deadlines_guard_actions_without_changing_status(client: httpx.AsyncClient, control: Control) -> None:
    expiring = (
        await create(
            client,
            expiries={
                "authorizationExpiresAt": "2026-01-01T01:00:00Z",
                "captureExpiresAt": "2026-01-01T02:00:00Z",
                "refundExpiresAt": "2026-01-01T03:00:00Z",
            },
        )
    )["paymentSessionId"]
    late = (
        await create(
            client,
            expiries={
                "authorizationExpiresAt": "2026-01-01T01:00:00Z",
                "captureExpiresAt": "2026-01-01T01:00:00Z",
                "refundExpiresAt": "2026-01-01T01:00:00Z",
            },
        )
    )["paymentSessionId"]
    await control.act("cdp", expiring, "authorize")
    await control.advance(3601)
    assert error_of(await control.act("cdp", late, "authorize")) == (400, "authorization_expired")
    assert (await get(client, late))["status"] == "created"  # no automatic transition
    await post(client, expiring, "captures", {"amount": "0.50", "finalCapture": False})
    await control.advance(3600)
    assert error_of(await post(client, expiring, "captures", {"finalCapture": True})) == (400, "capture_expired")
    assert (await get(client, expiring))["status"] == "capture_succeeded"
    assert (await post(client, expiring, "voids")).status_code == 200  # void has no deadline
    await get(client, expiring)
    await control.advance(3600)
    assert error_of(await post(client, expiring, "refunds", {"source": REFUND_TO})) == (400, "refund_expired")
    assert (await post(client, late, "cancel")).status_code == 200  # cancel is how a stale session ends


async def test_transitions_reach_the_event_outbox(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await authorized(client, autoCapture=True))["paymentSessionId"]
    events = await control.events("cdp", session_id)
    assert [event["to"] for event in events] == [
        "created",
        "authorization_pending",
        "authorization_succeeded",
        "capture_pending",
        "capture_succeeded",
    ]


async def test_control_api_describes_the_session(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    described = await control.session("cdp", session_id)
    assert described["paymentSessionId"] == session_id
    # exactly what POST /_sandbox/cdp/sessions/{id}/actions/{action} accepts in that state
    assert described["sandbox"]["allowed_actions"] == ["authorize"]
    assert described["sandbox"]["hosted_page"] == f"/cdp/payment-sessions/{session_id}"
    assert (await control.act("cdp", session_id, "settle")).status_code == 400
    pending = (await control.act("cdp", session_id, "authorize")).json()
    assert pending["sandbox"]["allowed_actions"] == ["settle"]
    settled = await control.session("cdp", session_id)  # settled on the next request (delay 0)
    assert settled["status"] == "authorization_succeeded"
    assert settled["sandbox"]["allowed_actions"] == []
    assert (await control.act("cdp", session_id, "authorize")).status_code == 400
    assert (await control.act("cdp", session_id, "settle")).status_code == 400
