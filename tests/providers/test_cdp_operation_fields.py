"""cdp-sdk 1.51's operation fields over HTTP: `externalReferenceId` and `customerDisplay.referenceCode`
on authorizations, captures, voids and refunds (validated, stored, echoed; the reference code
falls back to the session's `orderCode`), and the `orderCode` CDP generates when none is sent."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support.apps import client_for, make_app
from tests.support.cdp_calls import authorized, create, error_of, get, post

pytestmark = pytest.mark.anyio
REFUND_TO = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}


def shown(action: dict[str, Any]) -> tuple[Any, Any]:
    return action.get("externalReferenceId"), action.get("customerDisplay")


async def test_order_code_is_generated_when_left_out_and_kept_when_sent(client: httpx.AsyncClient) -> None:
    first, second = await create(client), await create(client, customerDisplay={"merchantName": "Acme"})
    codes = [first["customerDisplay"]["orderCode"], second["customerDisplay"]["orderCode"]]
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code) for code in codes) and codes[0] != codes[1]
    assert second["customerDisplay"]["merchantName"] == "Acme"
    mine = await create(client, customerDisplay={"orderCode": "ORDER-7"})
    assert mine["customerDisplay"] == {"orderCode": "ORDER-7"}
    assert (await get(client, first["paymentSessionId"]))["customerDisplay"] == first["customerDisplay"]


async def test_generated_order_codes_are_seeded() -> None:
    async def codes() -> list[str]:
        async with client_for(make_app(seed=7)) as http:
            return [(await create(http))["customerDisplay"]["orderCode"] for _ in range(3)]

    assert await codes() == await codes()


async def test_capture_void_refund_echo_and_store_their_fields(client: httpx.AsyncClient) -> None:
    session = await authorized(client, amount="10.00", customerDisplay={"orderCode": "ORD-1"})
    session_id = session["paymentSessionId"]
    assert shown(session["authorizations"][0]) == (None, {"referenceCode": "ORD-1"})  # the orderCode fallback
    capture = await post(
        client,
        session_id,
        "captures",
        {
            "amount": "4",
            "finalCapture": False,
            "externalReferenceId": "cap-ext-1",
            "customerDisplay": {"referenceCode": "RC-1"},
        },
    )
    assert shown(capture.json()) == ("cap-ext-1", {"referenceCode": "RC-1"})
    refund = await post(
        client, session_id, "refunds", {"source": REFUND_TO, "amount": "1", "externalReferenceId": "ref-1"}
    )
    assert shown(refund.json()) == ("ref-1", {"referenceCode": "ORD-1"})
    void = await post(client, session_id, "voids", {"customerDisplay": {"referenceCode": "V-1"}})
    assert shown(void.json()) == (None, {"referenceCode": "V-1"})
    stored = await get(client, session_id)
    assert shown(stored["captures"][0]) == ("cap-ext-1", {"referenceCode": "RC-1"})
    assert shown(stored["refunds"][0]) == ("ref-1", {"referenceCode": "ORD-1"})
    assert shown(stored["voids"][0]) == (None, {"referenceCode": "V-1"})


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("captures", {"finalCapture": True, "externalReferenceId": "x" * 257}),
        ("captures", {"finalCapture": True, "customerDisplay": {"referenceCode": "x" * 129}}),
        ("captures", {"finalCapture": True, "customerDisplay": "RC"}),
        ("captures", {"finalCapture": True, "externalReferenceId": 5}),
        ("voids", {"externalReferenceId": "x" * 257}),
        ("refunds", {"source": REFUND_TO, "customerDisplay": {"referenceCode": "x" * 129}}),
    ],
)
async def test_too_long_fields_are_400(client: httpx.AsyncClient, what: str, body: dict[str, Any]) -> None:
    session_id = (await authorized(client))["paymentSessionId"]
    if what == "refunds":
        await post(client, session_id, "captures", {"finalCapture": True})
    assert error_of(await post(client, session_id, what, body)) == (400, "invalid_request")
    assert len((await get(client, session_id)).get(what, [])) == 0  # nothing was started


async def test_the_longest_allowed_values_are_taken(client: httpx.AsyncClient) -> None:
    session_id = (await authorized(client))["paymentSessionId"]
    body = {"finalCapture": True, "externalReferenceId": "e" * 256, "customerDisplay": {"referenceCode": "r" * 128}}
    capture = await post(client, session_id, "captures", body)
    assert capture.status_code == 200 and shown(capture.json()) == ("e" * 256, {"referenceCode": "r" * 128})
