"""One merchant's records in the order they were made, paged newest first in O(page).

A list answers "the N made just before X" without copying everything, but removing from its
middle would shift every later slot. So a removed record leaves an empty slot that points left,
towards older slots; walking left follows those pointers and shortens them as it goes (path
compression, as in union-find), so a run of removed slots is crossed once, not on every page.
When removed slots outnumber live ones the list is rebuilt: O(n) once per n/2 removals, O(1)
amortised per removal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_REBUILD_AT = 64  # removed slots tolerated before a rebuild is even considered


class Timeline(Generic[T]):
    __slots__ = ("_items", "_slot", "_left", "_removed")

    def __init__(self) -> None:
        self._items: list[T | None] = []
        self._slot: dict[str, int] = {}  # id -> its slot (the only place ids are kept: a rebuild reads them here)
        self._left: dict[int, int] = {}  # removed slot -> a slot to its left to look at next
        self._removed = 0

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._slot

    def get(self, record_id: str) -> T | None:
        slot = self._slot.get(record_id)
        return None if slot is None else self._items[slot]

    def append(self, record_id: str, item: T) -> None:
        if record_id in self._slot:
            self._items[self._slot[record_id]] = item
            return
        self._slot[record_id] = len(self._items)
        self._items.append(item)

    def remove(self, record_id: str) -> None:
        slot = self._slot.pop(record_id, None)
        if slot is None:
            return
        self._items[slot] = None
        self._left[slot] = slot - 1
        self._removed += 1
        if self._removed > _REBUILD_AT and self._removed > len(self._slot):
            self._rebuild()

    def values(self) -> Iterator[T]:
        """Oldest first."""
        return (item for item in self._items if item is not None)

    def newest_first(self, after: str | None, size: int) -> list[T] | None:
        """Up to `size` records made before `after` (None: from the newest), newest first;
        None if `after` is not here (never was, or was removed)."""
        if after is None:
            slot = len(self._items) - 1
        else:
            found = self._slot.get(after)
            if found is None:
                return None
            slot = found - 1
        page: list[T] = []
        while len(page) < size:
            slot = self._live_at_or_before(slot)
            if slot < 0:
                break
            item = self._items[slot]
            if item is not None:
                page.append(item)
            slot -= 1
        return page

    def _live_at_or_before(self, slot: int) -> int:
        """The nearest live slot at or left of `slot` (-1: none), shortening the pointers crossed."""
        crossed = []
        while slot >= 0 and self._items[slot] is None:
            crossed.append(slot)
            slot = self._left[slot]
        for each in crossed:
            self._left[each] = slot
        return slot

    def _rebuild(self) -> None:
        ids: list[str | None] = [None] * len(self._items)  # the live ids in slot order
        for record_id, slot in self._slot.items():
            ids[slot] = record_id
        self._items = [item for item in self._items if item is not None]
        live = (record_id for record_id in ids if record_id is not None)
        self._slot = {record_id: slot for slot, record_id in enumerate(live)}
        self._left = {}
        self._removed = 0
