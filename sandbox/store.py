"""In-memory state: records per (provider, merchant), unique keys, deadlines, idempotency.

Every lookup is a dict hit, so the hot path stays O(1) in the number of stored sessions.
Deadlines sit in a heap: finding what came due costs O(log n) per due record and nothing when
nothing is due, so expiry can run before every request. Idempotency records are capped and
age out on the sandbox clock, so a week-long run keeps flat memory.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from sandbox.machine import Stateful

R = TypeVar("R", bound=Stateful)


@dataclass(slots=True)
class Remembered:
    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str]
    at: datetime


class Store:
    def __init__(self, idempotency_cap: int = 50_000) -> None:
        self._records: dict[tuple[str, str], Stateful] = {}
        self._by_merchant: dict[tuple[str, str], dict[str, Stateful]] = {}
        self._unique: dict[tuple[str, str, str, str], str] = {}
        self._deadlines: list[tuple[datetime, str, str]] = []
        self._idempotency: OrderedDict[tuple[str, str, str], Remembered] = OrderedDict()
        self._idempotency_cap = idempotency_cap

    # records
    def add(self, provider: str, record: Stateful) -> None:
        self._records[(provider, record.id)] = record
        self._by_merchant.setdefault((provider, record.merchant), {})[record.id] = record
        if record.expires_at is not None:
            heapq.heappush(self._deadlines, (record.expires_at, provider, record.id))

    def get(self, provider: str, record_id: str) -> Stateful | None:
        return self._records.get((provider, record_id))

    def find(self, provider: str, record_id: str, kind: type[R]) -> R | None:
        """The record, if it exists and is a `kind` (a provider's own record class)."""
        record = self._records.get((provider, record_id))
        return record if isinstance(record, kind) else None

    def owned(self, provider: str, merchant: str, record_id: str, kind: type[R]) -> R | None:
        """The record if it exists, is a `kind` and belongs to this merchant, else None."""
        record = self._by_merchant.get((provider, merchant), {}).get(record_id)
        return record if isinstance(record, kind) else None

    def of_merchant(self, provider: str, merchant: str, kind: type[R]) -> list[R]:
        """The merchant's records (a provider stores one record class, so `kind` only names it)."""
        return cast(list[R], list(self._by_merchant.get((provider, merchant), {}).values()))

    def of_provider(self, provider: str) -> list[Stateful]:
        return [record for (name, _), record in self._records.items() if name == provider]

    def count(self) -> int:
        return len(self._records)

    # unique keys (e.g. Payviox order_id per business)
    def claim(self, provider: str, merchant: str, namespace: str, value: str, owner: str) -> str | None:
        """Claim a unique value; returns the previous owner's id if it was already taken."""
        key = (provider, merchant, namespace, value)
        taken = self._unique.get(key)
        if taken is None:
            self._unique[key] = owner
        return taken

    def taken(self, provider: str, merchant: str, namespace: str, value: str) -> bool:
        return (provider, merchant, namespace, value) in self._unique

    # deadlines
    def schedule(self, provider: str, record_id: str, at: datetime) -> None:
        heapq.heappush(self._deadlines, (at, provider, record_id))

    def due(self, now: datetime) -> Iterator[tuple[str, Stateful]]:
        """Pop and yield (provider, record) for every deadline at or before `now`."""
        while self._deadlines and self._deadlines[0][0] <= now:
            _, provider, record_id = heapq.heappop(self._deadlines)
            record = self._records.get((provider, record_id))
            if record is not None:
                yield provider, record

    # idempotency
    def recall(self, provider: str, merchant: str, key: str, now: datetime, ttl: timedelta) -> Remembered | None:
        entry = self._idempotency.get((provider, merchant, key))
        if entry is None:
            return None
        if now - entry.at > ttl:
            del self._idempotency[(provider, merchant, key)]
            return None
        return entry

    def remember(self, provider: str, merchant: str, key: str, entry: Remembered) -> None:
        self._idempotency[(provider, merchant, key)] = entry
        self._idempotency.move_to_end((provider, merchant, key))
        while len(self._idempotency) > self._idempotency_cap:
            self._idempotency.popitem(last=False)
