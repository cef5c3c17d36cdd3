"""Stored sessions are capped (Settings.max_sessions, `sandbox serve --max-sessions`): past the cap
the longest-settled sessions go, then the oldest, and a session that is gone answers its
provider's own 404, as an id it never made. Over real HTTP through the app."""

from __future__ import annotations

import httpx
import pytest

from sandbox import cli, serve
from tests.support import cdp_calls, cubepay_calls, payviox_calls
from tests.support.apps import client_for, make_app
from tests.support.control import Control

pytestmark = pytest.mark.anyio


async def test_an_evicted_payviox_session_is_a_404_and_its_order_id_is_free_again() -> None:
    async with client_for(make_app(max_sessions=3)) as client:
        first = await payviox_calls.create(client, order_id="o0")
        never = await client.get("/payviox/payment/" + "z" * 32, headers=payviox_calls.SECRET)
        later = [await payviox_calls.create(client, order_id=f"o{n}") for n in range(1, 4)]
        gone = await client.get(f"/payviox/payment/{first}", headers=payviox_calls.SECRET)
        assert (gone.status_code, gone.json()) == (never.status_code, never.json()) == (404, never.json())
        assert (await client.get(f"/_sandbox/payviox/sessions/{first}")).status_code == 404
        for session_id in later:
            await payviox_calls.details(client, session_id)
        await payviox_calls.create(client, order_id="o0")  # the claim went with the session


async def test_settled_sessions_go_before_older_live_ones() -> None:
    async with client_for(make_app(max_sessions=3)) as client:
        control = Control(client)
        live = await payviox_calls.create(client, order_id="o0")
        settled = await payviox_calls.create(client, order_id="o1")
        assert (await control.act("payviox", settled, "pay", outcome="declined")).status_code == 200
        await payviox_calls.create(client, order_id="o2")
        await payviox_calls.create(client, order_id="o3")  # full: the declined one goes, not the older open one
        await payviox_calls.details(client, live)
        gone = await client.get(f"/payviox/payment/{settled}", headers=payviox_calls.SECRET)
        assert gone.status_code == 404


async def test_cdp_lists_page_over_what_is_kept_and_refuse_a_token_naming_an_evicted_session() -> None:
    async with client_for(make_app(max_sessions=5)) as client:
        made = [(await cdp_calls.create(client))["paymentSessionId"] for _ in range(8)]
        kept = made[3:][::-1]  # newest first
        listed, token = [], None
        while True:
            query = {"pageSize": "2", **({"pageToken": token} if token else {})}
            page = await client.get(cdp_calls.BASE, params=query, headers=cdp_calls.ACME)
            assert page.status_code == 200, page.text
            listed += [session["paymentSessionId"] for session in page.json()["paymentSessions"]]
            token = page.json().get("nextPageToken")
            if not token:
                break
        assert listed == kept
        first_page = await client.get(cdp_calls.BASE, params={"pageSize": "1"}, headers=cdp_calls.ACME)
        stale = first_page.json()["nextPageToken"]  # names the newest session
        for _ in range(5):
            await cdp_calls.create(client)
        refused = await client.get(cdp_calls.BASE, params={"pageToken": stale}, headers=cdp_calls.ACME)
        assert refused.status_code == 400
        gone = await client.get(f"{cdp_calls.BASE}/{made[0]}", headers=cdp_calls.ACME)
        assert gone.status_code == 404


async def test_an_evicted_cubepay_session_is_a_404() -> None:
    async with client_for(make_app(max_sessions=2)) as client:
        first = await cubepay_calls.create(client)
        await cubepay_calls.create(client)
        await cubepay_calls.create(client)
        token = cubepay_calls.bearer(first["paymentSessionToken"])
        gone = await client.get(f"/cubepay/payment-sessions/{first['paymentSessionId']}", headers=token)
        assert gone.status_code == 404, gone.text


def test_the_cap_comes_from_the_flag_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def cap(*argv: str) -> int:
        return int(serve.resolve(cli._parser().parse_args(["serve", *argv]))["max_sessions"])

    monkeypatch.delenv("SANDBOX_MAX_SESSIONS", raising=False)
    assert cap() == 100_000
    monkeypatch.setenv("SANDBOX_MAX_SESSIONS", "250")
    assert cap() == 250
    assert cap("--max-sessions", "7") == 7
    monkeypatch.setenv("SANDBOX_MAX_SESSIONS", "0")
    with pytest.raises(ValueError, match="SANDBOX_MAX_SESSIONS"):
        cap()
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["serve", "--max-sessions", "-3"])


async def test_inboxes_keep_the_newest_deliveries_only(client: httpx.AsyncClient) -> None:
    for n in range(1_005):
        await client.post("/_sandbox/inbox/many", content=f'{{"n": {n}}}'.encode())
    kept = (await client.get("/_sandbox/inbox/many")).json()["deliveries"]
    assert len(kept) == 1_000
    assert kept[0]["body"] == '{"n": 5}'
