"""Fixed-window request counters on the sandbox clock.

A limit is "N per window" keyed by (provider, merchant, bucket, subject), e.g. Payviox's
session creations per IP and per customer. A window opens at the first hit and closes
`window` seconds later; the hit that would be N+1 is refused with the whole seconds until the
window closes, which is what a `Retry-After` header and Payviox's `retry_after` field carry.
(DESIGN.md suggested token buckets; providers state their limits as "N per minute" and a fixed
window reproduces that phrasing and the documented `retry_after: 60` exactly.) Closed windows
are swept when the table grows, so memory stays flat however many IPs a long run sees. Open
windows are capped too (MAX_WINDOWS): a run creating thousands of sessions a second with a new
customer each would otherwise keep rate x window of them (300,000 a minute at 5,000/s). Past the
cap the half opened longest ago are forgotten, and their subjects start a fresh window: a limit
can then be exceeded, only by a client that spreads its requests over 50,000+ subjects.

With `--state-dir`, `changes` (tracked.py) follows which windows a flush must write; a sweep
rebuilds the table, so the flush after it writes the table whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.errors import RateLimited
from sandbox.tracked import Tracked

_SWEEP_AT = 10_000
MAX_WINDOWS = 100_000


# Not frozen: two are built per Payviox session creation, and a frozen dataclass sets each
# field through object.__setattr__ (~5k more instructions per Limit, callgrind). Nothing
# hashes or keeps a Limit; `hit` reads it once.
@dataclass(slots=True)
class Limit:
    bucket: str
    subject: str
    limit: int
    window: float


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[tuple[str, str, str, str], tuple[datetime, int]] = {}  # key -> (closes, count)
        self._sweep_at = _SWEEP_AT
        self.changes: Tracked | None = None  # what `--state-dir` writes next (statedir.py); None without it

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "changes": None}  # a snapshot carries the state, not a flush's bookkeeping

    def hit(self, provider: str, merchant: str, rule: Limit, now: datetime) -> None:
        """Count one request against `rule`; raise `RateLimited` if it is over."""
        key = (provider, merchant, rule.bucket, rule.subject)
        closes, count = self._windows.get(key, (now, 0))
        if now >= closes:
            closes, count = now + timedelta(seconds=rule.window), 0
        if count >= rule.limit:
            wait = max(1, math.ceil((closes - now).total_seconds()))
            raise RateLimited("too many requests", retry_after=wait, scope=rule.bucket)
        if self.changes is not None:  # an open window keeps its place in the order
            (self.changes.touch if key in self._windows else self.changes.put)(key)
        self._windows[key] = (closes, count + 1)
        if len(self._windows) > self._sweep_at:
            if self.changes is not None:
                self.changes.give_up()
            # Sweep only when the table has doubled, so the cost per hit stays O(1) amortized.
            self._windows = {key: value for key, value in self._windows.items() if value[0] > now}
            if len(self._windows) > MAX_WINDOWS // 2:  # insertion order: the newest half stays
                self._windows = dict(list(self._windows.items())[-(MAX_WINDOWS // 2) :])
            self._sweep_at = min(MAX_WINDOWS, max(_SWEEP_AT, 2 * len(self._windows)))
