"""`GET /_sandbox/snapshot` downloads a namespace's state, `PUT` restores it (into the same
namespace or another); a snapshot that is not one this sandbox made answers 400 and changes nothing."""

from __future__ import annotations

import io
import json
import pickle
import zlib

import httpx
import pytest

from sandbox import persist
from tests.support.payviox_calls import SECRET, create, order

pytestmark = pytest.mark.anyio


async def _snapshot(client: httpx.AsyncClient, prefix: str = "") -> bytes:
    response = await client.get(f"{prefix}/_sandbox/snapshot")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "attachment" in response.headers["content-disposition"]
    return response.content


async def test_restore_brings_back_sessions_clock_and_the_rng(client: httpx.AsyncClient) -> None:
    first = await create(client, order_id="a")
    await client.post(f"/_sandbox/payviox/sessions/{first}/actions/pay", json={})
    await client.post("/_sandbox/clock/advance", json={"seconds": 3600})
    saved = await _snapshot(client)
    view = (await client.get(f"/_sandbox/payviox/sessions/{first}")).json()
    clock = (await client.get("/_sandbox/clock")).json()
    after_save = await create(client, order_id="b")  # what the state makes next

    await client.post("/_sandbox/reset")
    assert (await client.get(f"/_sandbox/payviox/sessions/{first}")).status_code == 404
    restored = await client.put("/_sandbox/snapshot", content=saved)
    assert restored.status_code == 200, restored.text
    assert restored.json()["sessions"] == 1 and restored.json()["from_namespace"] == "default"
    assert (await client.get(f"/_sandbox/payviox/sessions/{first}")).json() == view
    assert (await client.get("/_sandbox/clock")).json() == clock
    assert await create(client, order_id="b") == after_save  # the RNG goes on from the saved state
    # the order_id claim came back too
    again = await client.post("/payviox/session", json=order(order_id="a"), headers=SECRET)
    assert again.status_code != 201


async def test_restore_into_another_namespace(client: httpx.AsyncClient) -> None:
    first = await create(client, order_id="a")
    saved = await _snapshot(client)
    restored = await client.put("/ns/colleague/_sandbox/snapshot", content=saved)
    assert restored.status_code == 200 and restored.json()["namespace"] == "colleague"
    shown = await client.get(f"/ns/colleague/payviox/payment/{first}", headers=SECRET)
    assert shown.status_code == 200 and shown.json()["session_id"] == first
    # the namespaces stay apart: a change in one does not reach the other
    await client.post(f"/ns/colleague/_sandbox/payviox/sessions/{first}/actions/pay", json={})
    mine = (await client.get(f"/_sandbox/payviox/sessions/{first}")).json()
    theirs = (await client.get(f"/ns/colleague/_sandbox/payviox/sessions/{first}")).json()
    assert mine["status"] != theirs["status"]
    assert (await _snapshot(client, "/ns/colleague")).startswith(persist.MAGIC)


def _forged(payload: object) -> bytes:
    """A snapshot with a valid header around a pickle of `payload`."""
    header = json.dumps({"format": persist.FORMAT, "version": persist.__version__, "namespace": "x"}).encode()
    return persist.MAGIC + header + b"\n" + zlib.compress(pickle.dumps(payload))


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("echo pwned",))


async def test_a_bad_snapshot_is_a_400_and_changes_nothing(client: httpx.AsyncClient) -> None:
    first = await create(client, order_id="a")
    good = await _snapshot(client)
    header_end = good.index(b"\n", len(persist.MAGIC)) + 1
    other_version = good.replace(f'"version": "{persist.__version__}"'.encode(), b'"version": "0.0.1"')
    store_as_string = _forged({**_state(good), "store": "not a store"})
    bad_record = _state(good)
    record = bad_record["store"].get("payviox", first)
    record.amount = "a lot"  # a field that does not fit its annotation
    cases = {
        b"": "not a sandbox state",
        b"hello": "not a sandbox state",
        good[:header_end] + b"garbage": "damaged",
        good[:-30]: "damaged",
        other_version: "written by sandbox '0.0.1'",
        _forged(_Boom()): "may not contain",
        _forged([1, 2]): "not what this sandbox writes",
        store_as_string: "store",
        _forged(bad_record): "PayvioxSession.amount",
    }
    for blob, reason in cases.items():
        answer = await client.put("/_sandbox/snapshot", content=blob)
        assert answer.status_code == 400, (blob[:60], answer.text)
        assert answer.json()["error"] == "invalid_snapshot" and reason in answer.json()["message"], answer.text
    shown = await client.get(f"/payviox/payment/{first}", headers=SECRET)
    assert shown.status_code == 200  # the namespace kept its state


def _state(blob: bytes) -> dict[str, object]:
    body = zlib.decompress(blob[blob.index(b"\n", len(persist.MAGIC)) + 1 :])

    class Loose(pickle.Unpickler):
        def persistent_load(self, pid: object) -> object:
            return None  # the webhook policies: none in these states

    loaded = Loose(io.BytesIO(body)).load()
    assert isinstance(loaded, dict)
    return loaded
