"""What changed in the store and the rate limiter since `--state-dir` last wrote them, so a flush
writes only that (statedir.py) instead of every session of the namespace.

A `Tracked` follows one insertion-ordered table (the store's records, their settle order and
idempotency records; the limiter's windows): keys `put` at the end of its order, keys changed
in place (`touch`), keys gone. Records are changed in place by whoever looked them up, so the
store touches every record it hands out for a request or the live loop; "changed" is thus
conservative (a record only read is written again), never short. The deadline heap is a
multiset, followed as a count per entry (`Deadlines`), entries of evicted records included until
the heap drops them.

Bounded: `fresh` and `changed` only hold keys the table holds; `gone` (and the deadline counts)
grow with what happens between two flushes, and past `bound` the tracker gives up (`overflow`):
the next flush writes that table whole. The same happens when the table rebuilds itself (the limiter's sweep). Nothing
tracks a table `--state-dir` does not follow: the trackers are None without it.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime


class Tracked:
    __slots__ = ("fresh", "changed", "gone", "overflow", "_bound")

    def __init__(self, bound: int) -> None:
        self.fresh: dict[Hashable, None] = {}  # put at the end of the order since the last flush, in that order
        self.changed: set[Hashable] = set()  # changed in place (their position kept)
        self.gone: set[Hashable] = set()
        self.overflow = False  # too much changed: the next flush writes the whole table
        self._bound = bound

    def put(self, key: Hashable) -> None:
        """`key` (new, or moved) is now last in the table's order."""
        if not self.overflow:
            self.changed.discard(key)
            self.fresh.pop(key, None)
            self.fresh[key] = None

    def touch(self, key: Hashable) -> None:
        if not self.overflow and key not in self.fresh:
            self.changed.add(key)

    def drop(self, key: Hashable) -> None:
        if self.overflow:
            return
        self.fresh.pop(key, None)
        self.changed.discard(key)
        self.gone.add(key)
        if len(self.gone) > self._bound:
            self.give_up()

    def give_up(self) -> None:
        self.overflow = True
        self.fresh, self.changed, self.gone = {}, set(), set()


Entry = tuple[datetime, str, str]  # a deadline: (at, provider, record id)


class Deadlines:
    """How many of each deadline entry were pushed (+) or popped (-) since the last flush."""

    __slots__ = ("delta", "overflow", "_bound")

    def __init__(self, bound: int) -> None:
        self.delta: dict[Entry, int] = {}
        self.overflow = False
        self._bound = bound

    def count(self, entry: Entry, by: int) -> None:
        if not self.overflow:
            self.delta[entry] = self.delta.get(entry, 0) + by  # a Counter's missing key costs a Python call
            if len(self.delta) > self._bound:
                self.give_up()

    def give_up(self) -> None:  # also when the heap drops its stale entries: the next flush writes it whole
        self.overflow, self.delta = True, {}


class StoreChanges:
    """Everything `--state-dir` follows in one `Store`."""

    __slots__ = ("records", "settled", "idempotency", "deadlines")

    def __init__(self, bound: int) -> None:
        self.records = Tracked(bound)
        self.settled = Tracked(bound)
        self.idempotency = Tracked(bound)
        self.deadlines = Deadlines(bound)
