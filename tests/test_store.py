"""The store (sandbox/store.py): deadlines, tenancy, unique claims and idempotency records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.store import Remembered, Store
from tests.support.records import Record

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_store_deadlines_come_due_in_order() -> None:
    store = Store()
    late, early = Record.at(expires=T0 + timedelta(hours=2)), Record.at(expires=T0 + timedelta(hours=1))
    early.id = "s0"
    store.add("p", late)
    store.add("p", early)
    assert list(store.due(T0)) == []
    assert [record.id for _, record in store.due(T0 + timedelta(hours=3))] == ["s0", "s1"]
    assert list(store.due(T0 + timedelta(hours=4))) == []


def test_store_tenancy_and_unique_claims() -> None:
    store = Store()
    store.add("p", Record.at())
    assert store.owned("p", "m", "s1", Record) is not None
    assert store.owned("p", "other", "s1", Record) is None
    assert store.claim("p", "m", "order_id", "o1", "s1") is None
    assert store.claim("p", "m", "order_id", "o1", "s2") == "s1"
    assert not store.taken("p", "other", "order_id", "o1")


def test_idempotency_records_are_capped_and_age_out() -> None:
    store = Store(idempotency_cap=2)
    for key in ("a", "b", "c"):
        store.remember("p", "m", key, Remembered("f", 200, b"{}", {}, T0))
    assert store.recall("p", "m", "a", T0, timedelta(hours=1)) is None  # evicted by the cap
    assert store.recall("p", "m", "c", T0, timedelta(hours=1)) is not None
    assert store.recall("p", "m", "c", T0 + timedelta(hours=2), timedelta(hours=1)) is None  # aged out


def _record(n: int, merchant: str = "m", expires: datetime | None = None) -> Record:
    return Record(f"s{n}", merchant, "open", expires)


def test_past_the_cap_the_longest_settled_go_first_then_the_oldest() -> None:
    store = Store(max_records=3)
    for n in range(3):
        store.add("p", _record(n))
    store.settle("p", "s1")
    store.add("p", _record(3))  # full: s1 settled, so it goes although s0 is older
    assert [record.id for record in store.of_provider("p")] == ["s0", "s2", "s3"]
    store.add("p", _record(4))  # nothing settled: the oldest of all
    assert [record.id for record in store.of_provider("p")] == ["s2", "s3", "s4"]
    assert store.evicted == 2


def test_an_evicted_record_is_forgotten_by_every_index() -> None:
    store = Store(max_records=1)
    store.add("p", _record(0, expires=T0 + timedelta(hours=1)))
    store.claim("p", "m", "order_id", "o1", "s0")
    store.add("p", _record(1, merchant="other"))
    assert store.get("p", "s0") is None
    assert store.owned("p", "m", "s0", Record) is None
    assert store.of_merchant("p", "m", Record) == []
    assert not store.taken("p", "m", "order_id", "o1")  # the order_id may be used again
    assert list(store.due(T0 + timedelta(hours=2))) == []  # its deadline no longer fires
    assert store.page("p", "m", None, 10, Record) == []


def test_the_deadline_heap_drops_entries_of_evicted_records() -> None:
    store = Store(max_records=10)
    for n in range(5_000):
        store.add("p", _record(n, expires=T0 + timedelta(days=1)))
    assert len(store._deadlines) < 3 * 10 + 2_100  # not one entry per record ever stored


def test_pages_newest_first_after_an_id_skipping_evicted_records() -> None:
    store = Store(max_records=1_000)
    for n in range(1_000):
        store.add("p", _record(n, merchant="m" if n % 2 else "x"))
    assert [r.id for r in store.page("p", "m", None, 3, Record) or []] == ["s999", "s997", "s995"]
    assert [r.id for r in store.page("p", "m", "s995", 2, Record) or []] == ["s993", "s991"]
    for n in range(1, 990, 2):  # settle most of m's: they go first as x's arrive
        store.settle("p", f"s{n}")
    for n in range(1_000, 1_400, 2):
        store.add("p", _record(n, merchant="x"))
    kept = [r.id for r in store.of_merchant("p", "m", Record)]
    assert (
        store.page("p", "m", "s991", 5, Record) == [store.get("p", i) for i in reversed(kept) if int(i[1:]) < 991][:5]
    )
    assert store.page("p", "m", "s1", 5, Record) is None  # evicted: a token naming it is refused
    assert store.page("p", "m", "nope", 5, Record) is None
    everything, after = [], None
    while page := store.page("p", "m", after, 7, Record):
        everything += page
        after = page[-1].id
    assert [r.id for r in everything] == list(reversed(kept))


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Store(max_records=0)
