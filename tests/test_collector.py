"""The request path leaves no reference cycles: what `sandbox/collector.py` relies on when it
freezes whatever survives a young collection (a cycle left in frozen state waits for the next
full collection, when the server is idle).

Every provider's flows (creates, reads, payer and control actions, the errors: no credentials,
malformed JSON, an unknown id, an unmatched path or method) run once to warm up, then again
under `gc.DEBUG_SAVEALL`; a collection must then find nothing. Requests go straight into the
ASGI app: an HTTP client's own transport objects would be counted too.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from tests.support import cdp_calls, cubepay_calls, payviox_calls
from tests.support.apps import PEER, make_app

Request = tuple[str, str, dict[str, str], Any]


async def _call(app: Any, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, bytes]:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"sandbox.test"), *((k.lower().encode(), v.encode()) for k, v in headers.items())]
        + ([(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())] if raw else []),
        "client": PEER,
        "server": ("sandbox.test", 80),
        "state": {},
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(chunks)


def _act(provider: str, session_id: str, action: str, **body: Any) -> Request:
    return ("POST", f"/_sandbox/{provider}/sessions/{session_id}/actions/{action}", {}, body)


def _flows(n: int) -> Iterator[Request | tuple[str, str]]:
    """Requests of every provider; ("id", provider) takes the last create's id for the `{id}` that follow."""
    pv, cp, cdp = payviox_calls.SECRET, cubepay_calls.API_KEY, cdp_calls.ACME
    yield ("POST", "/payviox/session", pv, payviox_calls.order(order_id=f"o{n}", customer=f"c{n}"))
    yield ("id", "payviox")
    yield ("GET", "/payviox/payment/{id}", pv, None)
    yield ("GET", "/payviox/payments/methods", pv, None)
    yield _act("payviox", "{id}", "pay")
    yield ("POST", "/payviox/session", {}, payviox_calls.order())  # no credentials: 401
    yield ("POST", "/payviox/session", pv, b'{"amount": ')  # malformed: per-field 422s
    yield ("GET", "/payviox/payment/unknown", pv, None)  # 404
    yield ("DELETE", "/payviox/session", pv, None)  # 405
    yield ("POST", "/cubepay/payment-sessions", cp, {"amount": "50.00", "currency": "USD"})
    yield ("id", "cubepay")
    yield ("GET", "/cubepay/payment-sessions/{id}", cp, None)
    yield _act("cubepay", "{id}", "fund")
    body = {"requestId": f"cap-{n}", "captureAmount": "10.00", "isFinalCapture": False}
    yield ("POST", "/cubepay/api/v1/payment-sessions/{id}/captures", cp, body)
    yield ("POST", "/cubepay/payment-sessions", cp, b"[[[")  # malformed
    yield ("GET", "/cubepay/payment-sessions/ps_unknown", cp, None)
    yield ("POST", cdp_calls.BASE, cdp, cdp_calls.session_body())
    yield ("id", "cdp")
    yield ("GET", cdp_calls.BASE + "/{id}", cdp, None)
    yield _act("cdp", "{id}", "authorize")
    yield _act("cdp", "{id}", "settle")
    yield ("POST", cdp_calls.BASE + "/{id}/capture", cdp, {"amount": "1.00"})
    yield ("GET", cdp_calls.BASE + "?pageSize=2", cdp, None)
    yield ("POST", cdp_calls.BASE, {}, cdp_calls.session_body())  # 401
    yield ("POST", cdp_calls.BASE, cdp, b"{")  # malformed
    yield ("GET", "/_sandbox/journal?limit=5", {}, None)
    yield ("POST", "/_sandbox/clock/advance", {}, {"seconds": 60})


async def _play(app: Any, rounds: range) -> list[int]:
    statuses: list[int] = []
    for n in rounds:
        last, current = b"", ""
        for step in _flows(n):
            if step[0] == "id":  # the create just answered: its session id
                created = json.loads(last)
                current = str(created.get("session_id") or created.get("paymentSessionId"))
                continue
            method, path, headers, body = step  # type: ignore[misc]
            status, last = await _call(app, method, path.replace("{id}", current), headers, body)
            statuses.append(status)
    return statuses


def test_the_request_path_leaves_no_reference_cycles() -> None:
    app = make_app()

    async def run() -> tuple[list[int], list[Any]]:
        await _play(app, range(3))  # warm up: caches, lazily built tables, first-use imports
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            statuses = await _play(app, range(3, 13))
            gc.collect()
            return statuses, list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    statuses, garbage = asyncio.run(run())
    assert {401, 404, 405} <= set(statuses) and 200 in statuses and 201 in statuses, statuses
    assert garbage == [], sorted({type(each).__name__ for each in garbage})


PROBE = """
import gc, weakref
from sandbox import collector

class Node:
    pass

collector.tune()
kept = [[] for _ in range(5_000)]  # state: lives on
gc.collect(0)  # a young collection: its survivors are frozen, the older generations stay empty
print(gc.get_freeze_count() >= 5_000, gc.get_count()[1:] == (0, 0))
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle...
gone = weakref.ref(a)
gc.collect(0)  # ...that lives long enough to be frozen...
del a, b
gc.collect()  # ...is out of reach of every automatic collection, a full one included
print(gone() is not None)
print(collector.collect_all() > 0, gone() is None, gc.get_freeze_count() >= 5_000)
"""


def test_survivors_are_frozen_and_a_full_collection_frees_frozen_cycles() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["True"] * 6, result.stdout + result.stderr


IDLE_PROBE = """
import asyncio, gc, weakref
from sandbox import collector

class Node:
    pass

collector.tune()

async def main():
    task = asyncio.create_task(collector.collect_when_idle(tick=0.05, quiet_every=0.2, longest=60))
    await asyncio.sleep(0)
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.collect(0)  # frozen with the survivors of a young collection
    del a, b
    await asyncio.sleep(0.1)
    early = gone() is not None  # not yet: less than quiet_every since the start
    await asyncio.sleep(0.5)  # a quiet tick after quiet_every: the full collection ran
    task.cancel()
    print(early, gone() is None)

asyncio.run(main())
"""


def test_an_idle_server_runs_a_full_collection_that_frees_frozen_cycles() -> None:
    result = subprocess.run([sys.executable, "-c", IDLE_PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["True", "True"], result.stdout + result.stderr
