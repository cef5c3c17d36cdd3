"""What contract coverage costs a request: `POST /payviox/session` in-process, counting on and off.

Two apps, the same but for their default sandbox's `coverage`: the real one, or `Off`, whose
methods do nothing. Requests go straight into the ASGI app (bench/memory.py's `post`), the
whole pipeline included; batches alternate between the two apps so the machine's neighbours
weigh on both alike, and each side keeps its fastest batch. `make bench` prints the figure.

For a figure that does not depend on the neighbours, count instructions with callgrind over
two request counts and divide the difference (the start-up cancels out):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/coverage_cost.py --only on 300
    ... --only on 1300, --only off 300, --only off 1300: (I(1300) - I(300)) / 1000 per request
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

import memory

BATCH = 1_000
ROUNDS = 7


class Off:
    """A coverage that counts nothing: the same calls, no work."""

    def request(self, *args: Any) -> None: ...

    def transitions(self, *args: Any) -> None: ...

    def sent(self, *args: Any) -> None: ...

    def delivered(self, *args: Any) -> None: ...

    def fault(self, *args: Any) -> None: ...


def app(counting: bool) -> memory.ASGIApp:
    made = memory.bench_app()
    if not counting:
        made.state.sandbox.coverage = Off()
    return made


@dataclass(frozen=True)
class Cost:
    on_us: float  # CPU microseconds per request, counting
    off_us: float

    @property
    def added_us(self) -> float:
        return self.on_us - self.off_us


def measure() -> Cost:
    apps = {True: app(True), False: app(False)}
    best = {True: float("inf"), False: float("inf")}
    start = 0

    async def run() -> None:
        nonlocal start
        for counting in (True, False):  # warm-up: caches, the journal filled to its cap
            await memory.drive(apps[counting], memory.session_body, start, 2_000, 201)
            start += 2_000
        for _ in range(ROUNDS):
            for counting in (True, False):
                began = time.process_time()
                await memory.drive(apps[counting], memory.session_body, start, BATCH, 201)
                best[counting] = min(best[counting], (time.process_time() - began) / BATCH * 1e6)
                start += BATCH

    asyncio.run(run())
    return Cost(best[True], best[False])


def report(cost: Cost) -> str:
    share = cost.added_us / cost.off_us * 100 if cost.off_us else 0.0
    return (
        f"contract coverage          POST /payviox/session in-process: {cost.on_us:.1f} us of CPU counting, "
        f"{cost.off_us:.1f} us not ({cost.added_us:+.1f} us, {share:+.1f}%; best of {ROUNDS} batches of {BATCH:,})"
    )


def only(counting: bool, requests: int) -> None:
    """`requests` requests on one app, nothing else: for callgrind."""
    asyncio.run(memory.drive(app(counting), memory.session_body, 0, requests, 201))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--only":
        only(sys.argv[2] == "on", int(sys.argv[3]))
    else:
        print(report(measure()))
