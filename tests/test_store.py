"""The store (sandbox/store.py): deadlines, tenancy, unique claims and idempotency records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
