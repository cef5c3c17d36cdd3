"""Fixed-window request counters on the sandbox clock.

A limit is "N per window" keyed by (provider, merchant, bucket, subject), e.g. Payviox's
session creations per IP and per customer. A window opens at the first hit and closes
`window` seconds later; the hit that would be N+1 is refused with the whole seconds until the
window closes, which is what a `Retry-After` header and Payviox's `retry_after` field carry.
(DESIGN.md suggested token buckets; providers state their limits as "N per minute" and a fixed
window reproduces that phrasing and the documented `retry_after: 60` exactly.)

The table is kept in the order windows close (a window that opens again moves to the end), and
each hit drops up to two windows from the front that are closed, or that are past the cap
(MAX_WINDOWS): memory stays flat however many IPs and customers a long run sees, in O(1) per
hit. (It used to be swept whole when it had doubled: a pause of up to 160 ms at 100,000
windows, the p99 of `make bench` once sessions were stored.) With windows of different lengths
the order is only roughly the closing order, and a closed window may wait behind an open one;
the cap still holds. Past it the windows opened longest ago are forgotten and their subjects
start a fresh window: a limit can then be exceeded, only by a client that spreads its requests
over 100,000+ subjects (a run creating 5,000 sessions a second, each for a new customer, opens
300,000 windows a minute).

With `--state-dir`, `changes` (tracked.py) follows which windows a flush must write: put at the
end, changed in place, or gone.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.errors import RateLimited
from sandbox.tracked import Tracked

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
        self._windows: OrderedDict[tuple[str, str, str, str], tuple[datetime, int]] = OrderedDict()  # (closes, count)
        self.changes: Tracked | None = None  # what `--state-dir` writes next (statedir.py); None without it

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "changes": None}  # a snapshot carries the state, not a flush's bookkeeping

    def hit(self, provider: str, merchant: str, rule: Limit, now: datetime) -> None:
        """Count one request against `rule`; raise `RateLimited` if it is over."""
        key = (provider, merchant, rule.bucket, rule.subject)
        windows = self._windows
        window = windows.get(key)
        if window is not None and now < window[0]:
            closes, count = window
        else:  # a new window, or one that opens again: it closes last
            closes, count = now + timedelta(seconds=rule.window), 0
        if count >= rule.limit:
            wait = max(1, math.ceil((closes - now).total_seconds()))
            raise RateLimited("too many requests", retry_after=wait, scope=rule.bucket)
        last = count == 0
        if last and window is not None:
            windows.move_to_end(key)
        if self.changes is not None:
            (self.changes.put if last else self.changes.touch)(key)
        windows[key] = (closes, count + 1)
        if last:  # the table grew (or its order moved): drop what closed at its front
            self._drop_closed(now)

    def _drop_closed(self, now: datetime) -> None:
        windows = self._windows
        for _ in range(2):  # a hit opens at most one window: dropping up to two keeps up
            oldest, (closes, _) = next(iter(windows.items()))
            if closes > now and len(windows) <= MAX_WINDOWS:
                return
            del windows[oldest]
            if self.changes is not None:
                self.changes.drop(oldest)
            if not windows:
                return
