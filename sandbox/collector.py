"""When a long-running `sandbox serve` lets CPython's cycle collector run: what survives goes
out of its scans, and full collections wait for a quiet moment.

Why. Stored sessions, logs and journals live for minutes to hours; CPython's collector scans
every tracked object of a generation each time it collects it. Left to its thresholds, the
middle and old generations fill with that state, and a collection of them scans all of it:
with the young threshold at 1,000 and the middle one at 1,000, a middle collection after
~100,000 `POST /payviox/session` scanned 327,000 objects and took 251 ms of CPU, every client
waiting (the p99 of `make bench`); a full one grows with every stored session.

What. The request path leaves no reference cycles behind (tests/test_collector.py runs every
provider's flows under `gc.DEBUG_SAVEALL` and finds no garbage), so what survives a young
collection is state, or a request in flight that reference counting frees when it ends. So
after every collection its survivors are frozen (`gc.freeze`, the permanent generation no
automatic collection scans; made for forking servers, and O(1)): the middle and old generations
stay empty whatever is stored, and a young collection scans only what came since the last.
(Freezing after middle collections only, as this did first, left each one ~15,000 objects to
scan: 3.5 ms every ~2,000 requests, every client waiting, which set the p99 of `make bench`.)
Frozen objects that die are still freed at once by reference counting, as every acyclic
object is.

A cycle that forms in frozen state, or dies there, is freed only by a full collection of
everything, which `collect_when_idle` runs when anything was frozen since the last one: once
the server has allocated nothing for a second (no young collection came due), at most every
`QUIET_EVERY` seconds, and at least every `LONGEST` seconds under uninterrupted load. The pause
(about a second per million stored objects) then falls where no client waits, or rarely.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from typing import Any

YOUNG = 1_000  # allocations between young collections
MIDDLE = 10  # young collections between middle ones (which find the middle generation empty)
QUIET_EVERY = 60.0  # seconds between full collections at most, when the server is idle
LONGEST = 3_600.0  # seconds between full collections at most, under uninterrupted load


_frozen = 0  # freezes so far: `gc.get_freeze_count()` would walk every frozen object to say


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    global _frozen
    if phase == "stop":
        gc.freeze()
        _frozen += 1


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cycle collection in the block: `serve` starts under it. Startup makes ~100 young
    collections that free a few hundred objects (imports and class creation leave almost no
    garbage): ~12 M instructions, ~1 % of the time to first answer. `tune` freezes what startup
    made right after, those few hundred objects with it: the next `collect_all` frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def tune() -> None:
    """Freeze what startup loaded (it never dies) and every later collection's survivors."""
    gc.freeze()  # without a collect first: startup's few KiB of garbage are not worth the time to first answer
    gc.set_threshold(YOUNG, MIDDLE, MIDDLE)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def collect_all() -> int:
    """A full collection of everything, the frozen state included; what survives is frozen again."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


async def collect_when_idle(tick: float = 1.0, quiet_every: float = QUIET_EVERY, longest: float = LONGEST) -> None:
    """Run `collect_all` in the first quiet tick `quiet_every` seconds after the last, or after
    `longest` regardless, when anything was frozen since."""
    loop = asyncio.get_running_loop()
    last, frozen = loop.time(), _frozen
    young = gc.get_stats()[0]["collections"]
    while True:
        await asyncio.sleep(tick)
        now, seen = loop.time(), gc.get_stats()[0]["collections"]
        quiet, young = seen == young, seen
        grown = _frozen > frozen  # nothing new frozen: nothing new to look at
        if grown and ((quiet and now - last >= quiet_every) or now - last >= longest):
            collect_all()
            last, frozen = loop.time(), _frozen
            young = gc.get_stats()[0]["collections"]
