"""Memory, measured in-process: bytes per stored session, and flatness over a long run.

Requests go straight into the ASGI app (no sockets), through the whole pipeline. Per session:
fill the journal first (it is capped, so it stops growing), then create N sessions and divide
the growth of traced memory by N, split by the module that allocated it. Long run: requests
that store nothing (a 400, which is still authenticated, rate-limited and journaled) must
leave memory flat once the journal is full; and the idempotency cache must stop at its cap.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import proc

# This checkout's sandbox, whatever the venv installed (a shared venv's editable install may be
# another checkout's): every in-process figure of the bench imports it through this module.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.app import create_app
from sandbox.registry import ScenarioModel
from sandbox.state import Settings
from sandbox.store import Remembered, Store

ASGIApp = Callable[..., Any]
HEADERS = [(b"host", b"bench"), (b"authorization", b"Bearer sk_test_bench"), (b"content-type", b"application/json")]
RAISED_LIMITS = {"payviox": {"rate_limits": {"per_ip": 10**9, "per_customer": 10**9}}}


def session_body(n: int) -> bytes:
    return json.dumps(
        {
            "amount": 1500,
            "currency": "EUR",
            "customer": f"cust-{n}",
            "order_id": f"order-{n}",
            "items": [{"name": "Widget", "quantity": 3, "price": 500}],
        }
    ).encode()


def invalid_body(n: int) -> bytes:
    return json.dumps({"amount": 1500, "currency": "EUR", "customer": "one-customer"}).encode()  # no order_id


async def post(app: ASGIApp, path: str, body: bytes, headers: list[tuple[bytes, bytes]] = HEADERS) -> int:
    """One POST through the ASGI app; returns the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(app: ASGIApp, body: Callable[[int], bytes], start: int, count: int, expect: int) -> None:
    for n in range(start, start + count):
        status = await post(app, "/payviox/session", body(n))
        if status != expect:
            raise RuntimeError(f"request {n} answered {status}, expected {expect}")


def bench_app(max_sessions: int = Settings.max_sessions) -> ASGIApp:
    scenario = ScenarioModel.model_validate({"clock": {"manual": True}, "providers": RAISED_LIMITS})
    return create_app(Settings(scenario=scenario, seed=1, max_sessions=max_sessions))


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@dataclass(frozen=True)
class SessionMemory:
    sessions: int
    bytes_per_session: float
    by_module: list[tuple[str, float]]  # (module file, bytes per session), largest first


def per_session(count: int = 10_000, journal_fill: int = 3_000) -> SessionMemory:
    app = bench_app()
    tracemalloc.start()
    try:
        asyncio.run(drive(app, session_body, 0, journal_fill, 201))
        gc.collect()
        before, start = tracemalloc.take_snapshot(), traced()
        asyncio.run(drive(app, session_body, journal_fill, count, 201))
        gc.collect()
        after, end = tracemalloc.take_snapshot(), traced()
    finally:
        tracemalloc.stop()
    stats = after.compare_to(before, "filename")
    modules = [(_short(stat.traceback[0].filename), stat.size_diff / count) for stat in stats[:4]]
    return SessionMemory(count, (end - start) / count, modules)


@dataclass(frozen=True)
class Flatness:
    requests: int
    checkpoints: list[tuple[int, float]]  # (requests so far, this process's RSS in MiB)

    @property
    def growth_mib(self) -> float:
        """RSS after the last checkpoint minus after the first (the journal is full by then)."""
        return self.checkpoints[-1][1] - self.checkpoints[0][1]


def long_run(requests: int = 200_000, every: int = 40_000) -> Flatness:
    """Requests that store nothing: once the journal is full, memory must not grow.

    Measured as RSS, untraced: tracemalloc would make 200,000 requests take minutes."""
    app = bench_app()
    points = []
    for start in range(0, requests, every):
        asyncio.run(drive(app, invalid_body, start, every, 400))
        gc.collect()
        points.append((start + every, proc.rss_mib()))
    return Flatness(requests, points)


@dataclass(frozen=True)
class CacheMemory:
    cap: int
    kept: int  # entries left after `keys` distinct keys
    keys: int
    full_bytes: int  # traced memory with the cache full
    growth_bytes: int  # from 2x the cap to the end: the table resizes once after the cap, then stays put


def idempotency_cap(keys: int = 200_000) -> CacheMemory:
    """Fill a `Store`'s idempotency cache with `keys` distinct keys (small replies)."""
    store = Store()
    cap = store._idempotency_cap
    now = datetime.now(UTC)
    marks: dict[int, int] = {}
    tracemalloc.start()
    try:
        base = traced()
        for n in range(1, keys + 1):
            body = b'{"id":"%08d","status":"created"}' % n
            store.remember("bench", "merchant", f"key-{n}", Remembered("f" * 64, 201, body, {}, now))
            if n in (cap, 2 * cap, keys):
                marks[n] = traced() - base
    finally:
        tracemalloc.stop()
    return CacheMemory(cap, len(store._idempotency), keys, marks[cap], marks[keys] - marks[2 * cap])


def _short(filename: str) -> str:
    path = Path(filename)
    return f"{path.parent.name}/{path.name}"
