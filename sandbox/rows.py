"""A namespace's store and rate limiter as rows, for `--state-dir` (statedir.py): what changed
since the last flush, as rows to write, and the store and limiter rebuilt from them.

They are the part of a namespace that grows with its sessions (100,000 records, their settle
order, deadlines and unique claims, 50,000 idempotency records, 100,000 rate-limit windows);
everything else is bounded by small caps and stays in the namespace's blob (`persist.encode`,
given the `shells` of the two: their settings and counters without their tables).

Records, their settle marks and idempotency records are one row per key (kind, key, value; the
value pickled by rowpickle.py). A row's number is its place in its table's order: a new or
moved key gets a new row, numbered after every other, and a row changed in place keeps its
number, so the insertion orders (eviction order, settle order, the idempotency table's age)
come back exactly. `Written` remembers each key's row number, so a change or a deletion finds
its row by number and a new row goes at the end of the b-tree. The limiter's windows and the
deadline heap change a little with almost every request, so each flush appends one log entry
per namespace of what changed in them (windows put, deadline counts pushed or popped), replayed
in order on load; past twice the table (and a thousand) the log is written again whole, so each
change is rewritten O(1) times. Indexes are not stored but rebuilt from the records: each
merchant's timeline (its records in store order) and the unique claims (kept with their
record). Loading reads every value through persist's allow-listed unpickler, so a state file is
no more trusted than a snapshot.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sandbox import persist, rowpickle
from sandbox.ratelimit import MAX_WINDOWS, RateLimiter
from sandbox.store import Store
from sandbox.timeline import Timeline
from sandbox.tracked import Entry, StoreChanges, Tracked

RECORD, SETTLED, IDEMPOTENCY = "record", "settled", "idempotency"  # kinds of row: one per key
WINDOWS, DEADLINES = "windows", "deadlines"  # kinds of log: one entry per flush
_IN_PLACE, _LAST, _GONE = 0, 1, -1  # where a window log entry puts its window (ratelimit.py keeps them in order)
_KEY_LENGTH = {RECORD: 2, SETTLED: 2, IDEMPOTENCY: 3}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


class Written:
    """Where one namespace's rows are in the file: each key's row number, per kind; and how many
    entries its logs hold. Rows are numbered in the order they are written, so a new row goes at
    the end of the table's b-tree (SQLite inserts at a random key cost several times more, and
    record ids are random); changing or deleting a row finds it by its number."""

    def __init__(self) -> None:
        self.seqs: dict[str, dict[Hashable, int]] = {kind: {} for kind in _KEY_LENGTH}
        self.logged = {WINDOWS: 0, DEADLINES: 0}  # entries in the log (compacted past twice the table)


@dataclass
class Batch:
    """What one flush writes for one namespace, besides its blob, as the tables take it."""

    whole: list[str] = field(default_factory=list)  # kinds written whole: their old rows (or log) go first
    delete: list[tuple[int]] = field(default_factory=list)  # rows
    insert: list[tuple[int, str, str, bytes]] = field(default_factory=list)  # (row, kind, key, value)
    update: list[tuple[bytes, int]] = field(default_factory=list)  # (value, row): changed in place, order kept
    logs: list[tuple[int, str, bytes]] = field(default_factory=list)  # (row, kind, entries)

    @property
    def size(self) -> int:
        return len(self.insert) + len(self.update)


def track(store: Store, limiter: RateLimiter) -> tuple[StoreChanges | None, Tracked | None]:
    """Follow the changes from now on; returns what was followed until now (None: nothing was)."""
    before = store.changes, limiter.changes
    # Past the cap of its table, a tracker gives up and the table is written whole: no worse than that.
    store.changes = StoreChanges(store.max_records)
    limiter.changes = Tracked(MAX_WINDOWS)
    return before


def take(store: Store, limiter: RateLimiter, written: Written, numbers: Iterator[int], whole: bool) -> Batch:
    """The rows changed since the last `take` (`whole`: every row), numbered from `numbers`, and a
    fresh start of tracking; `written` follows."""
    changes, windows = track(store, limiter)
    if whole:
        changes, windows = None, None
    batch = Batch()
    dumps = rowpickle.Pickler().dumps

    def record(key: Hashable, value: Any) -> bytes:
        claims = store.claims_of(cast(tuple[str, str], key)[0], value) or None  # a list of unique keys, or None
        return dumps((*rowpickle.fields(value), claims))

    def settled(key: Hashable, value: Any) -> bytes:
        return b""

    def remembered(key: Hashable, value: Any) -> bytes:
        return dumps(value)

    tables: list[tuple[str, Mapping[Any, Any], Tracked | None, Callable[[Hashable, Any], bytes]]] = [
        (RECORD, store._records, None if changes is None else changes.records, record),
        (SETTLED, store._settled, None if changes is None else changes.settled, settled),
        (IDEMPOTENCY, store._idempotency, None if changes is None else changes.idempotency, remembered),
    ]
    for kind, table, tracked, value in tables:
        _table(batch, kind, table, tracked, value, written.seqs[kind], numbers)
    # The two logs: entries as plain tuples of str and int (pickling a datetime costs ~10 µs).
    opened: Mapping[Any, tuple[dt.datetime, int]] = limiter._windows
    if windows is not None and not windows.overflow:
        # Gone first: a key dropped and opened again since is open now, and moves to the end.
        entries: list[Any] | None = [
            *((key, 0, 0, _GONE) for key in windows.gone if key not in opened),
            *((key, _micros(opened[key][0]), opened[key][1], _LAST) for key in windows.fresh if key in opened),
            *((key, _micros(opened[key][0]), opened[key][1], _IN_PLACE) for key in windows.changed if key in opened),
        ]
    else:
        entries = None

    def every_window() -> list[Any]:
        return [(key, _micros(at), count, _LAST) for key, (at, count) in opened.items()]

    _log(batch, WINDOWS, entries, every_window, len(opened), written, numbers)
    heap = store._deadlines
    if changes is not None and not changes.deadlines.overflow:
        delta = changes.deadlines.delta
        counts: list[Any] | None = [
            (_micros(at), provider, record, by) for (at, provider, record), by in delta.items() if by
        ]
    else:
        counts = None

    def counted() -> list[Any]:
        return [(_micros(at), provider, record_id, by) for (at, provider, record_id), by in Counter(heap).items()]

    _log(batch, DEADLINES, counts, counted, len(heap), written, numbers)
    return batch


def _log(
    batch: Batch,
    kind: str,
    entries: list[Any] | None,
    everything: Callable[[], list[Any]],
    size: int,
    written: Written,
    numbers: Iterator[int],
) -> None:
    """One row of entries for the log `kind`: what changed (`entries`), or `everything` (the table
    holds `size`) when that is unknown (None) or the log would pass twice the table and a thousand
    entries: a log is compacted in O(1) amortised per entry."""
    if entries is None or written.logged[kind] + len(entries) > 2 * size + 1000:
        entries = everything()
        batch.whole.append(kind)
        written.logged[kind] = 0
    if entries:
        written.logged[kind] += len(entries)
        batch.logs.append((next(numbers), kind, pickle.dumps(entries, 5)))


def _table(
    batch: Batch,
    kind: str,
    table: Mapping[Any, Any],
    tracked: Tracked | None,
    value: Callable[[Hashable, Any], bytes],
    seqs: dict[Hashable, int],
    numbers: Iterator[int],
) -> None:
    if tracked is None or tracked.overflow:
        batch.whole.append(kind)
        seqs.clear()
        fresh: Iterable[Hashable] = table
    else:
        batch.delete += [(seqs.pop(key),) for key in tracked.gone if key in seqs]
        for key in tracked.changed:
            if key in seqs and key in table:
                batch.update.append((value(key, table[key]), seqs[key]))
        fresh = [key for key in tracked.fresh if key in table]
    for key in fresh:
        if key in seqs:  # moved to the end of the order: a new row
            batch.delete.append((seqs[key],))
        seqs[key] = seq = next(numbers)
        batch.insert.append((seq, kind, _text(kind, key), value(key, table[key])))


def _micros(at: dt.datetime) -> int:
    # Deadlines are the sandbox clock's, always aware; a naive one is taken as UTC, as the clock does.
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return (aware - _EPOCH) // _MICROSECOND


def shells(store: Store, limiter: RateLimiter) -> tuple[Store, RateLimiter]:
    """The two without their tables: what the namespace's blob keeps of them."""
    store_shell, limiter_shell = copy.copy(store), copy.copy(limiter)
    store_shell._records, store_shell._settled, store_shell._idempotency = OrderedDict(), OrderedDict(), OrderedDict()
    store_shell._by_merchant, store_shell._claims, store_shell._deadlines, store_shell._stale = {}, {}, [], 0
    store_shell._unique = {}
    for provider, merchant, namespace, value in store._loose:  # the claims not written with a record
        owner = store._unique.get((provider, merchant, namespace), {}).get(value)
        if owner is not None:
            store_shell._space(provider, merchant, namespace)[value] = owner
    limiter_shell._windows = OrderedDict()
    return store_shell, limiter_shell


def fill(
    store: Store,
    limiter: RateLimiter,
    rows: Iterable[tuple[Any, ...]],
    logs: Iterable[tuple[Any, ...]],
    written: Written,
) -> None:
    """Put the rows and logs (in their order) into the shells the blob held, and where they are into
    `written`; SnapshotError if one is not what this sandbox writes."""
    settled = []
    for seq, kind, text, value in rows:
        key = _key(kind, text)
        written.seqs[kind][key] = seq
        if kind == RECORD:
            head, values, claims = _expect(rowpickle.loads(value), tuple, "record", 3)
            record = head if values is None else rowpickle.record(head, values)
            store._records[key] = record
            if record.id != key[1]:
                raise persist.SnapshotError(f"the state's record {text} holds another record")
            store._by_merchant.setdefault((key[0], record.merchant), Timeline()).append(record.id, record)
            if claims is not None:
                for claim in _expect(claims, list, "claims"):
                    provider, merchant, namespace, value = _strings(tuple(claim), 4)
                    if (provider, merchant) != (key[0], record.merchant):
                        raise persist.SnapshotError(f"the state's record {text} holds another's claim")
                    store.keep_claim(provider, record, namespace, value)
        elif kind == SETTLED:
            settled.append(key)
        else:
            store._idempotency[key] = rowpickle.loads(value)
    store._settled.update((key, None) for key in settled if key in store._records)
    counted: Counter[Entry] = Counter()
    for kind, value in logs:
        if kind not in written.logged:
            raise persist.SnapshotError(f"the state holds a log of kind {kind!r}, which this sandbox does not write")
        entries = _expect(persist.loads(value), list, kind)
        written.logged[kind] += len(entries)
        if kind == WINDOWS:  # replayed as the limiter made them: gone, put last, or changed in place
            for key, closes, count, where in entries:
                window = cast(tuple[str, str, str, str], _strings(key, 4))
                if where in (_GONE, _LAST):
                    limiter._windows.pop(window, None)
                if where != _GONE:
                    limiter._windows[window] = (_EPOCH + _int(closes) * _MICROSECOND, _int(count))
        else:
            for at, provider, record_id, by in entries:
                provider, record_id = _strings((provider, record_id), 2)
                counted[(_EPOCH + _int(at) * _MICROSECOND, provider, record_id)] += _int(by)
    store._deadlines = sorted(counted.elements())  # a sorted list is a heap
    # Entries of evicted records stay, as in the heap that was saved: they go when they come due.
    store._stale = sum((provider, record_id) not in store._records for _, provider, record_id in store._deadlines)


def _strings(value: Any, length: int) -> tuple[str, ...]:
    if not isinstance(value, tuple) or len(value) != length or not all(isinstance(each, str) for each in value):
        raise persist.SnapshotError("the state holds a key that is not one this sandbox writes")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int):
        raise persist.SnapshotError("the state holds a number that is not one")
    return value


def _text(kind: str, key: Any) -> str:
    # A record's key is (provider, id): a provider's name has no "/", so "provider/id" says which
    # (and costs a tenth of JSON: one per new session). Other keys hold what clients sent: JSON.
    return f"{key[0]}/{key[1]}" if kind != IDEMPOTENCY else json.dumps(key)


def _key(kind: str, text: str) -> Any:
    if kind not in _KEY_LENGTH:
        raise persist.SnapshotError(f"the state holds rows of kind {kind!r}, which this sandbox does not write")
    if kind != IDEMPOTENCY:
        provider, slash, record_id = text.partition("/")
        key: Any = [provider, record_id] if slash else None
    else:
        try:
            key = json.loads(text)
        except ValueError:
            key = None
    if not isinstance(key, list) or len(key) != _KEY_LENGTH[kind] or not all(isinstance(each, str) for each in key):
        raise persist.SnapshotError(f"the state's {kind} key {text[:80]!r} is not one this sandbox writes")
    return tuple(key)


def _expect(value: Any, kind: type, what: str, length: int = 0) -> Any:
    if not isinstance(value, kind) or (length and len(value) != length):  # type: ignore[arg-type]
        raise persist.SnapshotError(f"the state's {what} is not what this sandbox writes")
    return value
