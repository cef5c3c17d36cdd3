"""In-memory state: records per (provider, merchant), unique keys, deadlines, idempotency.

Every lookup is a dict hit, so the hot path stays O(1) in the number of stored sessions.
Deadlines sit in a heap: finding what came due costs O(log n) per due record and nothing when
nothing is due, so expiry can run before every request. Idempotency records are capped and
age out on the sandbox clock, so a week-long run keeps flat memory.

Records are capped too (`max_records`, `Settings.max_sessions`). When an insert goes past the
cap, one record goes: the one that settled (reached a state it can never leave, or expired:
`settle()`, called by `Sandbox.emit`) longest ago, else the oldest record of all. A record
that goes is forgotten by every index (its merchant's timeline, its unique claims, its
deadlines), so the provider answers its own 404 for it, as for an id it never made. Each
eviction is O(1) amortised: two insertion-ordered queues, no scan over the records; the
deadline heap drops entries of gone records when they outnumber the live ones.

With `--state-dir`, `changes` (tracked.py) follows what a flush must write: every record handed
out for a request or the live loop (`get`, `find`, `owned`, `page`, `due`) counts as changed,
since its finder may change it in place. `of_merchant` and `of_provider` are for reading only.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from sandbox.machine import Stateful
from sandbox.timeline import Timeline
from sandbox.tracked import StoreChanges

R = TypeVar("R", bound=Stateful)


@dataclass(slots=True)
class Remembered:
    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str]
    at: datetime


Key = tuple[str, str]  # (provider, record id)
UniqueKey = tuple[str, str, str, str]  # (provider, merchant, namespace, value)
Space = tuple[str, str, str]  # (provider, merchant, namespace): where a value must be unique


class Store:
    def __init__(self, idempotency_cap: int = 50_000, max_records: int = 100_000) -> None:
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self._records: OrderedDict[Key, Stateful] = OrderedDict()  # oldest first
        self._settled: OrderedDict[Key, None] = OrderedDict()  # settled longest ago first
        self._by_merchant: dict[Key, Timeline[Stateful]] = {}
        # Unique values by space, each value -> its owner's id; a record's claims (under its own
        # merchant), to forget with it: by (provider, namespace), record id -> the value it claimed,
        # or a list if several. Nested, not keyed by tuples: no tuple per claim (72 B a session).
        self._unique: dict[Space, dict[str, str]] = {}
        self._claims: dict[tuple[str, str], dict[str, str | list[str]]] = {}
        self._loose: set[UniqueKey] = set()  # claims made for no stored record: kept forever, stored apart
        self._deadlines: list[tuple[datetime, str, str]] = []
        self._stale = 0  # heap entries whose record is gone
        self._idempotency: OrderedDict[tuple[str, str, str], Remembered] = OrderedDict()
        self._idempotency_cap = idempotency_cap
        self.max_records = max_records
        self.evicted = 0  # how many records the cap made room by (shown by the control API)
        self._tables: dict[tuple[str, str], dict[str, object]] = {}  # (provider, table) -> id -> row
        self.changes: StoreChanges | None = None  # what `--state-dir` writes next (statedir.py); None without it

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "changes": None}  # a snapshot carries the state, not a flush's bookkeeping

    # records
    def add(self, provider: str, record: Stateful) -> None:
        key = (provider, record.id)
        changes = self.changes
        if changes is not None:  # a record put again under its key keeps its place
            (changes.records.touch if key in self._records else changes.records.put)(key)
        self._records[key] = record
        timeline = self._by_merchant.get((provider, record.merchant))
        if timeline is None:  # not setdefault: that would build a Timeline on every add
            timeline = self._by_merchant[(provider, record.merchant)] = Timeline()
        timeline.append(record.id, record)
        if record.expires_at is not None:
            self.schedule(provider, record.id, record.expires_at)
        while len(self._records) > self.max_records:
            self._evict_one()

    def settle(self, provider: str, record_id: str) -> None:
        """The record reached a state it never leaves (or expired): it goes first when the store is full."""
        key = (provider, record_id)
        if key in self._records and key not in self._settled:
            self._settled[key] = None
            if self.changes is not None:
                self.changes.settled.put(key)

    def _evict_one(self) -> None:
        while self._settled:
            key, _ = self._settled.popitem(last=False)
            if key in self._records:
                self._forget(key)
                return
        self._forget(next(iter(self._records)))

    def _forget(self, key: Key) -> None:
        record = self._records.pop(key)
        self._settled.pop(key, None)
        if self.changes is not None:
            self.changes.records.drop(key)
            self.changes.settled.drop(key)
        provider = key[0]
        timeline = self._by_merchant.get((provider, record.merchant))
        if timeline is not None:
            timeline.remove(record.id)
            if not timeline:
                del self._by_merchant[(provider, record.merchant)]
        for (name, namespace), held in self._claims.items():  # a namespace or two per provider
            claimed = held.pop(record.id, None) if name == provider else None
            for value in [claimed] if isinstance(claimed, str) else claimed or ():
                values = self._unique[(provider, record.merchant, namespace)]
                if values.get(value) == record.id:
                    del values[value]
                    if not values:  # as if never claimed: a namespace shell reloads without it
                        del self._unique[(provider, record.merchant, namespace)]
        self.evicted += 1
        self._stale += 1  # at most: a record may have no deadline left, or several
        if self._stale > 1024 and self._stale > len(self._deadlines) // 2:
            self._deadlines = [entry for entry in self._deadlines if (entry[1], entry[2]) in self._records]
            heapq.heapify(self._deadlines)
            self._stale = 0
            if self.changes is not None:
                self.changes.deadlines.give_up()

    def _touch(self, provider: str, record_id: str) -> None:
        if self.changes is not None:
            self.changes.records.touch((provider, record_id))

    def get(self, provider: str, record_id: str) -> Stateful | None:
        record = self._records.get((provider, record_id))
        if record is not None:
            self._touch(provider, record_id)
        return record

    def find(self, provider: str, record_id: str, kind: type[R]) -> R | None:
        """The record, if it exists and is a `kind` (a provider's own record class)."""
        record = self.get(provider, record_id)
        return record if isinstance(record, kind) else None

    def owned(self, provider: str, merchant: str, record_id: str, kind: type[R]) -> R | None:
        """The record if it exists, is a `kind` and belongs to this merchant, else None."""
        timeline = self._by_merchant.get((provider, merchant))
        record = timeline.get(record_id) if timeline is not None else None
        if record is not None:
            self._touch(provider, record_id)
        return record if isinstance(record, kind) else None

    def of_merchant(self, provider: str, merchant: str, kind: type[R]) -> list[R]:
        """The merchant's records, oldest first (a provider stores one record class, so `kind` only names it)."""
        timeline = self._by_merchant.get((provider, merchant))
        return cast(list[R], list(timeline.values()) if timeline is not None else [])

    def page(self, provider: str, merchant: str, after: str | None, size: int, kind: type[R]) -> list[R] | None:
        """Up to `size` of the merchant's records made before the record `after` (None: from the
        newest), newest first, in O(size) however many the merchant has; None if `after` is not
        one of the merchant's records (never was, or was evicted)."""
        timeline = self._by_merchant.get((provider, merchant))
        if timeline is None:
            return None if after is not None else []
        page = timeline.newest_first(after, size)
        for record in page or ():
            self._touch(provider, record.id)
        return cast(list[R] | None, page)

    def of_provider(self, provider: str) -> list[Stateful]:
        return [record for (name, _), record in self._records.items() if name == provider]

    def count(self) -> int:
        return len(self._records)

    # unique keys (e.g. Payviox order_id per business)
    def claim(self, provider: str, merchant: str, namespace: str, value: str, owner: str) -> str | None:
        """Claim a unique value; returns the previous owner's id if it was already taken. The
        claim goes with its owner's record when the store evicts it."""
        taken = self._unique.get((provider, merchant, namespace), {}).get(value)
        if taken is None:
            record = self._records.get((provider, owner))
            if record is not None and record.merchant == merchant:
                self.keep_claim(provider, record, namespace, value)
                self._touch(provider, owner)  # its claims are written with it
            else:  # for no stored record (or another merchant's, which no provider does): kept forever
                self._space(provider, merchant, namespace)[value] = owner
                self._loose.add((provider, merchant, namespace, value))
        return taken

    def _space(self, provider: str, merchant: str, namespace: str) -> dict[str, str]:
        values = self._unique.get((provider, merchant, namespace))
        if values is None:  # not setdefault: that would build a dict on every claim
            values = self._unique[(provider, merchant, namespace)] = {}
        return values

    def keep_claim(self, provider: str, record: Stateful, namespace: str, value: str) -> None:
        """`value` is the stored record's, unique among its merchant's in `namespace`, until it goes."""
        self._space(provider, record.merchant, namespace)[value] = record.id
        held = self._claims.get((provider, namespace))
        if held is None:
            held = self._claims[(provider, namespace)] = {}
        claimed = held.get(record.id)
        held[record.id] = value if claimed is None else [*([claimed] if isinstance(claimed, str) else claimed), value]

    def claims_of(self, provider: str, record: Stateful) -> list[UniqueKey]:
        """The unique keys the stored record holds (`--state-dir` writes them with it)."""
        found: list[UniqueKey] = []
        for (name, namespace), held in self._claims.items():
            claimed = held.get(record.id) if name == provider else None
            for value in [claimed] if isinstance(claimed, str) else claimed or ():
                found.append((provider, record.merchant, namespace, value))
        return found

    def taken(self, provider: str, merchant: str, namespace: str, value: str) -> bool:
        return value in self._unique.get((provider, merchant, namespace), {})

    # deadlines
    def schedule(self, provider: str, record_id: str, at: datetime) -> None:
        entry = (at, provider, record_id)
        heapq.heappush(self._deadlines, entry)
        if self.changes is not None:
            self.changes.deadlines.count(entry, 1)

    def due(self, now: datetime) -> Iterator[tuple[str, Stateful]]:
        """Pop and yield (provider, record) for every deadline at or before `now`."""
        while self._deadlines and self._deadlines[0][0] <= now:
            entry = heapq.heappop(self._deadlines)
            if self.changes is not None:
                self.changes.deadlines.count(entry, -1)
            _, provider, record_id = entry
            record = self._records.get((provider, record_id))
            if record is not None:
                self._touch(provider, record_id)
                yield provider, record
            elif self._stale:
                self._stale -= 1

    # provider tables (contract.Table: CDP's mandates): rows beside the records, never evicted;
    # the provider's cap on creating them is what bounds them
    def table(self, provider: str, name: str) -> dict[str, object]:
        """The rows of `provider`'s table `name`, by id, oldest first: the dict itself, to change."""
        return self._tables.setdefault((provider, name), {})

    # idempotency
    def recall(self, provider: str, merchant: str, key: str, now: datetime, ttl: timedelta) -> Remembered | None:
        entry = self._idempotency.get((provider, merchant, key))
        if entry is None:
            return None
        if now - entry.at > ttl:
            del self._idempotency[(provider, merchant, key)]
            if self.changes is not None:
                self.changes.idempotency.drop((provider, merchant, key))
            return None
        return entry

    def remember(self, provider: str, merchant: str, key: str, entry: Remembered) -> None:
        self._idempotency[(provider, merchant, key)] = entry
        self._idempotency.move_to_end((provider, merchant, key))
        if self.changes is not None:
            self.changes.idempotency.put((provider, merchant, key))
        while len(self._idempotency) > self._idempotency_cap:
            oldest, _ = self._idempotency.popitem(last=False)
            if self.changes is not None:
                self.changes.idempotency.drop(oldest)
