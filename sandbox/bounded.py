"""Containers that keep a fixed number of entries, dropping the oldest: what every per-tenant
table of the sandbox uses, since any well-formed test credential names a new tenant.

`Capped` is a dict in insertion order that drops its oldest keys past `cap` (setting an existing
key refreshes it). `Inboxes` holds the built-in webhook receivers' deliveries: 1,000 per inbox,
100,000 and 64 MiB of bodies over all of them; past either, the oldest deliveries go, whichever
inbox holds them, and an inbox left empty is forgotten.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Capped(OrderedDict[K, V]):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.cap:
            self.popitem(last=False)

    def __reduce__(self) -> Any:
        # OrderedDict's would call Capped() with no cap and then set the items before the cap came back.
        return (type(self), (self.cap,), None, None, iter(self.items()))

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]
        if key in self:
            return self[key]
        self[key] = default
        return default


class Inboxes:
    def __init__(self, per_inbox: int = 1_000, total: int = 100_000, total_bytes: int = 64 * 2**20) -> None:
        self._inboxes: dict[str, deque[dict[str, Any]]] = {}
        self._order: deque[tuple[str, dict[str, Any]]] = deque()  # every kept delivery, oldest first (some gone)
        self._per_inbox, self._total, self._total_bytes = per_inbox, total, total_bytes
        self._bytes = 0

    def get(self, name: str, default: Any = None) -> Any:
        return self._inboxes.get(name, default)

    def __len__(self) -> int:
        return len(self._inboxes)

    def names(self) -> list[str]:
        return list(self._inboxes)

    def add(self, name: str, entry: dict[str, Any]) -> None:
        inbox = self._inboxes.setdefault(name, deque())
        inbox.append(entry)
        self._order.append((name, entry))
        self._bytes += _size(entry)
        if len(inbox) > self._per_inbox:
            self._drop_front(name)
        while self._order and (len(self._order) > self._total or self._bytes > self._total_bytes):
            oldest_name, oldest = self._order.popleft()
            held = self._inboxes.get(oldest_name)
            if held and held[0] is oldest:
                self._drop_front(oldest_name)

    def _drop_front(self, name: str) -> None:
        inbox = self._inboxes[name]
        self._bytes -= _size(inbox.popleft())
        if not inbox:
            del self._inboxes[name]


def _size(entry: dict[str, Any]) -> int:
    body = entry.get("body")
    return len(body) if isinstance(body, str) else 0
