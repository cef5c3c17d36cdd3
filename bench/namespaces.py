"""Namespaces, measured in-process: what idle ones cost in memory, and whether they slow the API.

Memory: the traced growth from creating 1,000 namespaces that are then left idle (each a whole
sandbox: clock, RNG, store, journal, outbox, the default scenario's fixtures). CPU: process time
per `POST /payviox/session` straight into the ASGI app (no sockets), on the root path with no
other namespace, on the root path with 1,000 idle ones, and inside a namespace: the first two
show that idle namespaces do not move the API's cost, the third what the `/ns/{name}` lookup adds.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from dataclasses import dataclass

from memory import RAISED_LIMITS, post, session_body

from sandbox.app import create_app
from sandbox.namespaces import Limits
from sandbox.registry import ScenarioModel
from sandbox.state import Settings

IDLE = 1_000
REQUESTS = 1_000
ROUNDS = 5  # the minimum over rounds: process time on a shared machine still swings with its caches


@dataclass(frozen=True)
class Figures:
    idle_mib: float  # traced, for IDLE namespaces together
    root_us: float  # CPU per request, root path, no other namespace
    root_with_idle_us: float  # the same with IDLE idle namespaces
    namespaced_us: float  # the same inside /ns/{name}


def _app() -> object:
    scenario = ScenarioModel.model_validate({"providers": RAISED_LIMITS})
    return create_app(Settings(scenario=scenario, seed=1, max_sessions=10**6), Limits(max_namespaces=IDLE + 10))


def _cpu_per_request(app: object, prefix: str, start: int) -> float:
    async def run(first: int) -> None:
        for n in range(first, first + REQUESTS):
            status = await post(app, f"{prefix}/payviox/session", session_body(n))
            assert status == 201, status

    asyncio.run(run(start))  # warm-up: caches, the namespace's first use
    best = float("inf")
    for round_ in range(1, ROUNDS + 1):
        began = time.process_time()
        asyncio.run(run(start + round_ * REQUESTS))
        best = min(best, time.process_time() - began)
    return best / REQUESTS * 1e6


def measure() -> Figures:
    app = _app()
    root = _cpu_per_request(app, "", 0)
    namespaces = app.state.namespaces  # type: ignore[attr-defined]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for index in range(IDLE):
        namespaces.get(f"idle-{index}")
    gc.collect()
    idle_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    with_idle = _cpu_per_request(app, "", 100_000)
    namespaced = _cpu_per_request(app, "/ns/bench", 200_000)
    return Figures(idle_bytes / 2**20, root, with_idle, namespaced)


def report(figures: Figures) -> None:
    print(
        f"namespaces                 {IDLE:,} idle: {figures.idle_mib:.1f} MiB traced together (goal < 50 MiB); "
        f"CPU per POST /payviox/session: root {figures.root_us:.0f} us, root with {IDLE:,} idle "
        f"{figures.root_with_idle_us:.0f} us ({figures.root_with_idle_us / figures.root_us - 1:+.1%}), "
        f"in /ns/bench {figures.namespaced_us:.0f} us ({figures.namespaced_us / figures.root_us - 1:+.1%})"
    )


if __name__ == "__main__":
    report(measure())
