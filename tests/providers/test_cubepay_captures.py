"""Captures: 202 CAPTURING, settled on the sandbox clock; partial back to FUNDED, final to SUCCEEDED."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.control import Control
from tests.support.cubepay_calls import API_KEY, OTHER_KEY, capture, create, funded, read

pytestmark = pytest.mark.anyio


async def test_a_capture_is_accepted_as_capturing_and_settles_by_the_next_read(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    response = await capture(client, session_id, "20.00")
    assert response.status_code == 202
    accepted = response.json()
    assert list(accepted) == ["captureId", "captureAmount", "refundAmount", "status"]
    assert re.fullmatch(r"cap_[a-z0-9]{24}", accepted["captureId"])
    assert (accepted["captureAmount"], accepted["refundAmount"], accepted["status"]) == ("20.00", "0.00", "CAPTURING")

    session = await read(client, session_id)  # default delay 0: settled before this read
    assert session["status"] == "FUNDED"
    assert (session["capturableAmount"], session["capturedAmount"], session["refundedAmount"]) == (
        "30.00",
        "20.00",
        "0.00",
    )
    [settled] = session["captures"]
    assert settled["captureId"] == accepted["captureId"]
    assert settled["status"] == "CAPTURED"
    assert re.fullmatch(r"0x[0-9a-f]{64}", settled["captureTransferTransactionHash"])
    assert settled["refundTransferTransactionHash"] is None
    assert settled["isFinalCapture"] is False


async def test_a_final_capture_refunds_the_rest_and_succeeds(client: httpx.AsyncClient, control: Control) -> None:
    session_id = await funded(client)
    await capture(client, session_id, "20.00", request_id="first")
    final = await capture(client, session_id, "25.00", final=True, request_id="second")
    assert final.status_code == 202
    assert (final.json()["captureAmount"], final.json()["refundAmount"]) == ("25.00", "5.00")
    session = await read(client, session_id)
    assert session["status"] == "SUCCEEDED"
    assert (session["capturableAmount"], session["capturedAmount"], session["refundedAmount"]) == (
        "0.00",
        "45.00",
        "5.00",
    )
    assert re.fullmatch(r"0x[0-9a-f]{64}", session["captures"][1]["refundTransferTransactionHash"])
    history = (await control.session("cubepay", session_id))["history"]
    assert [(step["action"], step["to"]) for step in history] == [
        ("connect", "PENDING"),
        ("fund", "FUNDED"),
        ("capture", "CAPTURING"),
        ("capture_partial", "FUNDED"),
        ("capture", "CAPTURING"),
        ("capture_final", "SUCCEEDED"),
    ]


async def test_an_over_payment_is_refunded_by_the_final_capture(client: httpx.AsyncClient, control: Control) -> None:
    session_id = (await create(client))["paymentSessionId"]
    await control.act("cubepay", session_id, "fund", amount="60.00")
    final = await capture(client, session_id, "50.00", final=True)
    assert final.json()["refundAmount"] == "10.00"
    assert (await read(client, session_id))["refundedAmount"] == "10.00"


async def test_a_final_capture_of_zero_refunds_everything(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    assert (await capture(client, session_id, "0", final=True)).json()["refundAmount"] == "50.00"
    assert (await read(client, session_id))["status"] == "SUCCEEDED"


async def test_over_capture_and_wrong_state_are_refused(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    over = await capture(client, session_id, "50.01")
    assert (over.status_code, over.json()) == (
        400,
        {"error": "captureAmount 50.01 exceeds the capturable amount 50.00."},
    )

    pending = (await create(client))["paymentSessionId"]
    early = await capture(client, pending, "1.00")
    assert early.status_code == 400
    assert early.json() == {"error": "Payment session cannot be captured in status PENDING; only FUNDED sessions can."}

    await capture(client, session_id, "50.00", final=True, request_id="done")
    await read(client, session_id)
    late = await capture(client, session_id, "1.00", request_id="late")
    assert late.json() == {"error": "Payment session cannot be captured in status SUCCEEDED; only FUNDED sessions can."}


async def test_a_second_capture_while_one_is_in_flight_is_refused() -> None:
    async with client_for(make_app(providers={"cubepay": {"capture_delay_seconds": 30}})) as client:
        control = Control(client)
        session_id = await funded(client)
        assert (await capture(client, session_id, "10.00")).status_code == 202
        session = await read(client, session_id)
        assert (session["status"], session["captures"][0]["status"], session["capturableAmount"]) == (
            "CAPTURING",
            "CAPTURING",
            "40.00",
        )
        busy = await capture(client, session_id, "10.00", request_id="cap-2")
        assert busy.json()["error"].startswith("Payment session cannot be captured in status CAPTURING")
        await control.advance(30)
        assert (await read(client, session_id))["status"] == "FUNDED"


async def test_captures_that_fail_leave_the_funds_capturable() -> None:
    async with client_for(make_app(providers={"cubepay": {"capture_outcome": "ERROR"}})) as client:
        session_id = await funded(client)
        await capture(client, session_id, "10.00")
        session = await read(client, session_id)
        assert session["status"] == "FUNDED"
        assert session["capturableAmount"] == "50.00"
        assert session["captures"][0]["status"] == "ERROR"
        assert session["captures"][0]["error"]


async def test_the_fail_action_ends_a_capture_in_flight() -> None:
    async with client_for(make_app(providers={"cubepay": {"capture_delay_seconds": 30}})) as client:
        control = Control(client)
        session_id = await funded(client)
        await capture(client, session_id, "10.00")
        failed = (await control.act("cubepay", session_id, "fail", error="chain halted")).json()
        assert failed["status"] == "ERROR"
        assert (failed["captures"][0]["status"], failed["captures"][0]["error"]) == ("ERROR", "chain halted")


async def test_capture_request_ids_replay_the_same_capture(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    first = await capture(client, session_id, "10.00", request_id="same")
    again = await capture(client, session_id, "10.00", request_id="same")
    assert again.status_code == 202
    assert again.json() == first.json()
    assert len((await read(client, session_id))["captures"]) == 1


async def test_a_capture_retried_under_the_other_prefix_is_the_same_capture(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    first = await capture(client, session_id, "10.00", request_id="both")
    body = {"isFinalCapture": False, "captureAmount": "10.00", "requestId": "both"}
    again = await client.post(f"/cubepay/payment-sessions/{session_id}/captures", json=body, headers=API_KEY)
    assert (again.status_code, again.json()) == (202, first.json())
    assert len((await read(client, session_id))["captures"]) == 1


async def test_get_a_capture(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    capture_id = (await capture(client, session_id, "10.00")).json()["captureId"]
    path = f"/cubepay/api/v1/payment-sessions/{session_id}/captures"
    response = await client.get(f"{path}/{capture_id}", headers=API_KEY)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "captureId",
        "status",
        "captureAmount",
        "refundAmount",
        "captureTransferTransactionHash",
        "refundTransferTransactionHash",
        "isFinalCapture",
        "createdAt",
    ]
    assert (body["status"], body["captureAmount"]) == ("CAPTURED", "10.00")
    missing = await client.get(f"{path}/cap_missing", headers=API_KEY)
    assert (missing.status_code, missing.json()) == (404, {"error": "Capture not found."})
    theirs = await client.get(f"{path}/{capture_id}", headers=OTHER_KEY)
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"captureAmount": "1.00"}, "The 'requestId' field is required."),
        ({"requestId": "r"}, "The 'captureAmount' field is required."),
        ({"requestId": "r", "captureAmount": "-1"}, "The 'captureAmount' field must be a positive number."),
        ({"requestId": "r", "captureAmount": "0"}, "The 'captureAmount' field must be a positive number."),
        (
            {"requestId": "r", "captureAmount": "1", "isFinalCapture": "true"},
            "The 'isFinalCapture' field must be a boolean.",
        ),
    ],
)
async def test_capture_bodies_are_validated(client: httpx.AsyncClient, body: dict[str, object], message: str) -> None:
    session_id = await funded(client)
    response = await client.post(f"/cubepay/payment-sessions/{session_id}/captures", json=body, headers=API_KEY)
    assert (response.status_code, response.json()) == (400, {"error": message})


async def test_captures_need_the_api_key_not_the_session_token(client: httpx.AsyncClient, control: Control) -> None:
    created = await create(client)
    await control.act("cubepay", created["paymentSessionId"], "fund")
    response = await client.post(
        f"/cubepay/payment-sessions/{created['paymentSessionId']}/captures",
        json={"requestId": "r", "captureAmount": "1.00"},
        headers={"Authorization": f"Bearer {created['paymentSessionToken']}"},
    )
    assert response.status_code == 401


async def test_the_legacy_final_capture_flag_is_read_when_the_new_one_is_absent(client: httpx.AsyncClient) -> None:
    session_id = await funded(client)
    body = {"requestId": "r", "captureAmount": "50.00", "finalCapture": True}
    await client.post(f"/cubepay/api/v1/payment-sessions/{session_id}/captures", json=body, headers=API_KEY)
    assert (await read(client, session_id))["status"] == "SUCCEEDED"
