"""`--state-dir` writes only what changed (sandbox/rows.py): after a flush, changing one session of
many rewrites that session's row alone, an evicted session's row goes, and a restart brings back
the store exactly (insertion and settle order, so the same sessions are evicted next, each
merchant's listing, deadlines, unique claims, idempotency records, rate-limit windows) along
with pending webhook retries. Shown by the rows in the file, not by timing."""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.app import create_app
from sandbox.namespaces import Namespaces
from sandbox.registry import PROVIDERS, ScenarioModel
from sandbox.state import Sandbox, Settings
from sandbox.statedir import FILENAME, StateDir, StateDirError
from sandbox.store import Remembered
from tests.support.apps import client_for
from tests.support.control import Control
from tests.support.payviox_calls import OTHER_SECRET, SECRET, create

pytestmark = pytest.mark.anyio
SCENARIO = {"clock": {"start": "2026-01-01T00:00:00Z", "manual": True}}


def _settings(max_sessions: int = 100_000) -> Settings:
    return Settings(scenario=ScenarioModel.model_validate(SCENARIO), seed=5, max_sessions=max_sessions)


@contextlib.asynccontextmanager
async def _served(state: Path, max_sessions: int = 100_000) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The app on `state`, without its lifespan: the test flushes when it wants to."""
    app = create_app(_settings(max_sessions), state_dir=str(state))
    async with client_for(app) as client:
        yield client, app.state
    app.state.storage.close()


async def _flush(state: Any) -> int:
    before = state.storage.rows_written
    await state.storage.flush(state.namespaces)
    return int(state.storage.rows_written - before)


def _records(state: Path) -> dict[str, tuple[int, bytes]]:
    """Each stored record's row: its number and value, by record id."""
    with contextlib.closing(sqlite3.connect(state / FILENAME)) as db:
        found = db.execute("SELECT seq, key, value FROM rows WHERE kind = 'record'").fetchall()
    return {key.partition("/")[2]: (seq, value) for seq, key, value in found}


async def test_changing_one_session_of_many_rewrites_only_its_row(tmp_path: Path) -> None:
    async with _served(tmp_path) as (client, state):
        made = [await create(client, order_id=f"o{n}", customer=f"c{n}") for n in range(30)]
        assert await _flush(state) >= 30
        before = _records(tmp_path)
        assert set(made) <= set(before)
        paid = await client.post(f"/_sandbox/payviox/sessions/{made[7]}/actions/pay", json={})
        assert paid.status_code == 200
        written = await _flush(state)
        after = _records(tmp_path)
    assert written <= 3  # the session, its settle mark: not the 30 sessions
    changed = {key for key in before if after[key] != before[key]}
    assert changed == {made[7]}
    assert after[made[7]][0] == before[made[7]][0]  # changed in place: its place in the order kept


async def test_a_flush_with_nothing_changed_writes_no_row(tmp_path: Path) -> None:
    async with _served(tmp_path) as (client, state):
        await create(client)
        await _flush(state)
        assert await _flush(state) == 0
        await client.get("/_sandbox/health")
        assert await _flush(state) == 0  # the namespace is written again, none of its rows


async def test_an_evicted_sessions_row_is_deleted(tmp_path: Path) -> None:
    async with _served(tmp_path, max_sessions=5) as (client, state):
        made = [await create(client, order_id=f"o{n}", customer=f"c{n}") for n in range(5)]
        await _flush(state)
        newest = await create(client, order_id="o5", customer="c5")  # full: the oldest goes
        assert await _flush(state) <= 3
        assert set(_records(tmp_path)) == {*made[1:], newest}


async def test_a_reset_rewrites_the_namespace_whole(tmp_path: Path) -> None:
    async with _served(tmp_path) as (client, state):
        for n in range(3):
            await create(client, order_id=f"o{n}", customer=f"c{n}")
        await _flush(state)
        await client.post("/_sandbox/reset")
        made = await create(client, order_id="fresh")
        await _flush(state)
        assert set(_records(tmp_path)) == {made}


def _shape(sandbox: Sandbox) -> dict[str, Any]:
    """The store and limiter as their indexes hold them, orders included."""
    store = sandbox.store
    return {
        "records": list(store._records),
        "settled": list(store._settled),
        "merchants": {key: [record.id for record in line.values()] for key, line in store._by_merchant.items()},
        "deadlines": sorted(entry for entry in store._deadlines if (entry[1], entry[2]) in store._records),
        "unique": store._unique,
        "idempotency": list(store._idempotency.items()),
        "windows": dict(sandbox.limiter._windows),
        "window_order": list(sandbox.limiter._windows),
        "webhooks": sandbox.webhooks.list({}),
    }


async def _play(client: httpx.AsyncClient, sandbox: Sandbox) -> list[str]:
    await client.put("/_sandbox/webhooks/endpoints/payviox/acme", json={"url": "http://127.0.0.1:9/", "secret": "s"})
    made = []
    for n in range(12):
        headers = OTHER_SECRET if n % 3 == 0 else SECRET
        made.append(await create(client, headers, order_id=f"o{n}", customer=f"c{n % 5}"))
    for session in (made[4], made[1], made[9]):  # settled in this order, not the order they were made in
        declined = await client.post(f"/_sandbox/payviox/sessions/{session}/actions/pay", json={"outcome": "declined"})
        assert declined.status_code == 200
    await client.post("/_sandbox/webhooks/flush")  # the endpoint refuses: retries wait
    for key in ("k1", "k2", "k1"):  # k1 again: moved to the end
        sandbox.store.remember("payviox", "acme", key, Remembered(key, 201, b"{}", {}, sandbox.clock.now()))
    return made


async def test_a_restart_brings_back_the_store_exactly(tmp_path: Path) -> None:
    async with _served(tmp_path, max_sessions=14) as (client, state):
        sandbox = state.namespaces.default
        made = await _play(client, sandbox)
        await _flush(state)
        await client.post(
            "/_sandbox/clock/advance", json={"seconds": 90_000}
        )  # past the 24 h expiry: deadlines come due
        await create(client, order_id="late", customer="c9")
        await client.get(f"/payviox/payment/{made[2]}", headers=SECRET)
        await _flush(state)  # incremental, on top of the first
        expected = _shape(sandbox)
        assert len(expected["deadlines"]) == 1  # the twelve came due and went; the late one waits
        await state.storage.flush(state.namespaces, final=True)

    namespaces = Namespaces(_settings(14), PROVIDERS)
    storage = StateDir(tmp_path)
    try:
        assert storage.open(namespaces) == 1
        restored = namespaces.default
        assert _shape(restored) == expected
        # the same sessions go next: the settled ones in the order they settled, then the oldest
        store, gone = restored.store, []
        for n in range(4):
            before = set(store._records)
            store.add("payviox", dataclasses.replace(store.get("payviox", made[0]), id=f"x{n}", history=()))
            gone += [record_id for _, record_id in before - set(store._records)]
        assert gone == [made[4], made[1], made[9]]
        # deadlines still come due: the sessions expire when the clock passes them
        restored.clock.advance(3 * 86400)
        assert restored.expire_due()
    finally:
        storage.close()


@pytest.mark.parametrize(
    "value",
    [b"\x80\x05garbage", pickle.dumps((("os", "system"), ("echo",), None)), pickle.dumps(print)],
    ids=["damaged", "a class not allowed", "a function"],
)
async def test_a_bad_record_row_stops_the_start(tmp_path: Path, value: bytes) -> None:
    async with _served(tmp_path) as (client, state):
        made = await create(client)
        await state.storage.flush(state.namespaces, final=True)
    with contextlib.closing(sqlite3.connect(tmp_path / FILENAME)) as db, db:
        db.execute("UPDATE rows SET value = ? WHERE key = ?", (value, f"payviox/{made}"))
    before = (tmp_path / FILENAME).read_bytes()
    with pytest.raises(StateDirError, match="namespace 'default' cannot be loaded"):
        StateDir(tmp_path).open(Namespaces(_settings(), PROVIDERS))
    assert (tmp_path / FILENAME).read_bytes() == before


async def test_a_mandate_made_through_the_control_api_survives_a_restart(tmp_path: Path) -> None:
    async with _served(tmp_path) as (client, state):
        made = await Control(client).create_mandate(status="approval_succeeded", max_per_authorization="5.00")
        await Control(client).change_mandate(made["id"], revoked=True)
        await state.storage.flush(state.namespaces, final=True)
    async with _served(tmp_path) as (client, _):
        kept = await Control(client).mandates()
    assert [(each["id"], each["revoked"], each["max_per_authorization"]) for each in kept] == [
        (made["id"], True, "5.00")
    ]
