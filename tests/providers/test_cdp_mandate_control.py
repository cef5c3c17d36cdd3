"""CDP mandates made and changed through the control API (`/_sandbox/cdp/mandates`), no scenario.

Every documented outcome of `POST .../authorizations/mandate` is reached by creating a mandate,
or changing one, over HTTP; bad control bodies get the control API's 400 / 404 / 409, never a
500; the mandates are per namespace, refilled from the scenario by a reset, bounded, and kept
by a snapshot.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.providers.cdp.mandate_table import CAP
from tests.support.apps import START, client_for, make_app
from tests.support.cdp_calls import ACME, BASE, create, error_of, post, session_body
from tests.support.control import Control
from tests.test_bad_input import BODIES

pytestmark = pytest.mark.anyio

PAYER = {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e", "network": "base", "asset": "usdc"}


def mandate_id(n: int) -> str:
    return f"mandate_00000000-0000-4000-8000-{n:012d}"


async def draw(client: httpx.AsyncClient, mandate: str, **changes: Any) -> httpx.Response:
    """Create a session (1.00 USDC unless `amount` says otherwise) and authorize it against `mandate`."""
    session_id = (await create(client, **changes))["paymentSessionId"]
    return await post(client, session_id, "authorizations/mandate", {"mandateId": mandate})


async def test_a_created_mandate_authorizes_and_shows_as_the_scenario_declares_it(
    client: httpx.AsyncClient, control: Control
) -> None:
    made = await control.create_mandate(source=PAYER, max_per_period={"amount": 5, "period": "week"})
    assert made["id"].startswith("mandate_")
    assert made == {
        "id": made["id"],
        "status": "approval_succeeded",
        "canceled": False,
        "revoked": False,
        "expires_at": None,
        "max_per_authorization": None,
        "max_per_period": {"amount": "5", "period": "week"},
        "source": PAYER,
    }
    assert await control.mandate(made["id"]) == made
    assert await control.mandates() == [made]
    authorized = await draw(client, made["id"])
    assert authorized.status_code == 200, authorized.text
    assert authorized.json()["source"] == PAYER
    # the id came from the seeded RNG: the same after a reset
    await control.reset()
    assert (await control.create_mandate())["id"] == made["id"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "approval_pending"}, (409, "mandate_action_pending")),
        ({"status": "revocation_pending"}, (409, "mandate_action_pending")),
        ({"revoked": True}, (422, "mandate_revoked")),
        ({"status": "revocation_succeeded"}, (422, "mandate_revoked")),
        ({"canceled": True}, (422, "mandate_canceled")),
        ({"status": "canceled"}, (422, "mandate_canceled")),
        ({"expires_at": "2025-12-31T23:59:59Z"}, (400, "mandate_expired")),
        ({"status": "created"}, (422, "mandate_invalid_status")),
        ({"status": "approval_failed"}, (422, "mandate_invalid_status")),
        ({"max_per_authorization": "0.99"}, (422, "mandate_policy_violation")),
        ({"max_per_period": {"amount": "1.50", "period": "day"}}, (422, "mandate_policy_violation")),
    ],
)
async def test_changing_a_mandate_reaches_each_documented_error(
    client: httpx.AsyncClient, control: Control, change: dict[str, Any], expected: tuple[int, str]
) -> None:
    mandate = (await control.create_mandate(id=mandate_id(1)))["id"]
    assert (await draw(client, mandate)).status_code == 200  # 1.00 drawn today
    changed = await control.change_mandate(mandate, **change)
    assert changed == await control.mandate(mandate)
    assert {name: changed[name] for name in change} == change  # shown as given
    assert error_of(await draw(client, mandate)) == expected
    restored = {name: None for name in change if name in ("expires_at", "max_per_authorization", "max_per_period")}
    await control.change_mandate(mandate, status="approval_succeeded", revoked=False, canceled=False, **restored)
    assert (await draw(client, mandate)).status_code == 200  # and back


async def test_a_created_mandate_reaches_each_error_in_the_state_it_is_created_in(
    client: httpx.AsyncClient, control: Control
) -> None:
    cases = [
        ({"status": "approval_pending", "revoked": True}, (409, "mandate_action_pending")),
        ({"revoked": True, "canceled": True}, (422, "mandate_revoked")),
        ({"canceled": True, "expires_at": "2025-01-01T00:00:00"}, (422, "mandate_canceled")),
        ({"expires_at": "2026-01-01T01:00:00Z", "status": "created"}, (400, "mandate_expired")),
        ({"status": "created"}, (422, "mandate_invalid_status")),
        ({"max_per_authorization": "0.50"}, (422, "mandate_policy_violation")),
    ]
    made = [(await control.create_mandate(**fields))["id"] for fields, _ in cases]
    await control.advance(2 * 3600)  # past the one that expires an hour in
    for mandate, (fields, expected) in zip(made, cases, strict=True):
        assert error_of(await draw(client, mandate)) == expected, fields


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "words"),
    [
        ("POST", "", b"{", 400, "JSON object"),
        ("POST", "", b"[]", 400, "JSON object"),
        ("POST", "", b'{"id": "nope"}', 400, "id:"),
        ("POST", "", b'{"statuss": "created"}', 400, "did you mean 'status'"),
        ("POST", "", b'{"status": "approved"}', 400, "status: must be one of"),
        ("POST", "", b'{"revoked": [1]}', 400, "revoked:"),
        ("POST", "", b'{"expires_at": 5e999}', 400, "expires_at:"),
        ("POST", "", b'{"max_per_authorization": "lots"}', 400, "max_per_authorization:"),
        ("POST", "", b'{"max_per_authorization": -1}', 400, "max_per_authorization:"),
        ("POST", "", b'{"max_per_period": {"amount": 1}}', 400, "max_per_period.period:"),
        ("POST", "", b'{"source": {"address": 7}}', 400, "source.address:"),
        ("POST", "", b'{"id": "' + mandate_id(1).encode() + b'"}', 409, "already"),
        ("PATCH", "/" + mandate_id(1), b"null", 400, "JSON object"),
        ("PATCH", "/" + mandate_id(1), b'{"id": "' + mandate_id(2).encode() + b'"}', 400, "cannot change"),
        ("PATCH", "/" + mandate_id(1), b'{"status": null}', 400, "status:"),
        ("PATCH", "/" + mandate_id(2), b"{}", 404, "no cdp mandates"),
        ("GET", "/" + mandate_id(2), b"", 404, "no cdp mandates"),
        ("DELETE", "/" + mandate_id(2), b"", 404, "no cdp mandates"),
    ],
)
async def test_bad_control_requests_get_the_control_apis_errors(
    client: httpx.AsyncClient, control: Control, method: str, path: str, content: bytes, status: int, words: str
) -> None:
    await control.create_mandate(id=mandate_id(1))
    response = await client.request(method, "/_sandbox/cdp/mandates" + path, content=content)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "message"} and words in response.json()["message"]
    assert await control.mandates() == [await control.mandate(mandate_id(1))]  # nothing changed


@pytest.mark.parametrize(("method", "path"), [("POST", ""), ("PATCH", "/" + mandate_id(1))])
async def test_hostile_bodies_never_get_a_500(
    client: httpx.AsyncClient, control: Control, method: str, path: str
) -> None:
    await control.create_mandate(id=mandate_id(1))
    for label, raw in BODIES:
        response = await client.request(
            method, "/_sandbox/cdp/mandates" + path, content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code < 500 and isinstance(response.json(), dict), (label, response.text[:300])


async def test_providers_without_mandates_and_unknown_providers_are_404(client: httpx.AsyncClient) -> None:
    for path in ["/_sandbox/payviox/mandates", "/_sandbox/nope/mandates", "/_sandbox/cubepay/mandates/x"]:
        response = await client.get(path)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


async def test_a_deleted_mandate_is_unknown_to_the_api(client: httpx.AsyncClient, control: Control) -> None:
    mandate = (await control.create_mandate())["id"]
    assert (await control.raw.delete_mandate(mandate)).json() == {"deleted": mandate}
    assert error_of(await draw(client, mandate)) == (404, "not_found")


async def test_creating_past_the_cap_is_refused_until_one_goes(client: httpx.AsyncClient, control: Control) -> None:
    await control.load_scenario({"providers": {"cdp": {"mandates": [{"id": mandate_id(n)} for n in range(CAP)]}}})
    listed = (await control.raw.mandates()).json()
    assert (len(listed["mandates"]), listed["max_mandates"]) == (CAP, CAP)
    refused = await control.raw.create_mandate()
    assert (refused.status_code, refused.json()["error"]) == (409, "limit_reached")
    await control.change_mandate(mandate_id(0), revoked=True)  # changing one never adds one
    await control.raw.delete_mandate(mandate_id(0))
    assert (await control.raw.create_mandate()).status_code == 201


async def test_a_reset_brings_back_the_scenarios_mandates(client: httpx.AsyncClient, control: Control) -> None:
    declared = {"id": mandate_id(1), "expires_at": "2026-02-01T00:00:00"}  # naive: UTC, as the clock reads it
    await control.load_scenario({"clock": {"start": START}, "providers": {"cdp": {"mandates": [declared]}}})
    shown = await control.mandate(mandate_id(1))
    assert shown["expires_at"] == "2026-02-01T00:00:00Z"
    await control.change_mandate(mandate_id(1), revoked=True)
    extra = (await control.create_mandate())["id"]
    assert error_of(await draw(client, mandate_id(1))) == (422, "mandate_revoked")
    await control.reset()
    assert await control.mandates() == [shown]
    assert (await control.raw.mandate(extra)).status_code == 404
    assert (await draw(client, mandate_id(1))).status_code == 200


async def test_a_mandate_belongs_to_the_namespace_it_was_made_in() -> None:
    async with client_for(make_app()) as client:
        mine, theirs = Control(client, "/ns/mine"), Control(client, "/ns/theirs")
        mandate = (await mine.create_mandate(id=mandate_id(1)))["id"]
        assert await theirs.mandates() == []
        assert (await theirs.raw.mandate(mandate)).status_code == 404
        assert await Control(client).mandates() == []  # the default namespace is one more
        for namespace, expected in [("/ns/mine", 200), ("/ns/theirs", 404)]:
            made = await client.post(namespace + BASE, json=session_body(), headers=ACME)
            path = f"{namespace}{BASE}/{made.json()['paymentSessionId']}/authorizations/mandate"
            drawn = await client.post(path, json={"mandateId": mandate}, headers=ACME)
            assert drawn.status_code == expected, drawn.text
        # the same name in both: two mandates, changed apart
        await theirs.create_mandate(id=mandate, revoked=True)
        assert (await mine.mandate(mandate))["revoked"] is False


async def test_a_created_mandate_survives_a_snapshot_round_trip(client: httpx.AsyncClient, control: Control) -> None:
    mandate = (await control.create_mandate(max_per_period={"amount": "2.50", "period": "day"}))["id"]
    assert (await draw(client, mandate, amount="2.00")).status_code == 200
    await control.change_mandate(mandate, expires_at="2026-06-01T00:00:00Z")
    shown = await control.mandate(mandate)
    saved = (await client.get("/_sandbox/snapshot")).content
    await control.reset()
    assert await control.mandates() == []
    for prefix in ["", "/ns/copy"]:  # into the namespace it came from, and into another
        restored = await client.put(f"{prefix}/_sandbox/snapshot", content=saved)
        assert restored.status_code == 200, restored.text
        copy = Control(client, prefix)
        assert await copy.mandates() == [shown]
        # the draw the snapshot holds still counts against the mandate's day
        session = (await client.post(prefix + BASE, json=session_body(amount="1.00"), headers=ACME)).json()
        drawn = await client.post(
            f"{prefix}{BASE}/{session['paymentSessionId']}/authorizations/mandate",
            json={"mandateId": mandate},
            headers=ACME,
        )
        assert error_of(drawn) == (422, "mandate_policy_violation")
