"""The shared core: clock, rate limiter, state machine, store, JSON money, journal masking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sandbox import jsonwire
from sandbox.clock import Clock, iso, parse_instant
from sandbox.errors import InvalidState, RateLimited
from sandbox.journal import mask, mask_json
from sandbox.machine import Lifecycle
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.ratelimit import Limit, RateLimiter
from sandbox.store import Remembered, Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_manual_clock_moves_only_when_told() -> None:
    clock = Clock(T0, manual=True)
    assert clock.now() == T0
    clock.advance(90)
    assert clock.now() == T0 + timedelta(seconds=90)
    with pytest.raises(ValueError):
        clock.set(T0)
    assert iso(clock.now()) == "2026-01-01T00:01:30.000Z"


def test_running_clock_is_wall_time_plus_offset() -> None:
    wall = [T0]
    clock = Clock(T0 + timedelta(days=10), wall=lambda: wall[0])
    wall[0] = T0 + timedelta(seconds=5)
    assert clock.now() == T0 + timedelta(days=10, seconds=5)
    clock.advance(3600)
    assert clock.now() == T0 + timedelta(days=10, seconds=3605)
    assert clock.wall() == wall[0]


def test_parse_instant_defaults_to_utc() -> None:
    assert parse_instant("2026-01-01T00:00:00") == T0
    assert parse_instant("2026-01-01T01:00:00+01:00") == T0


def test_rate_limiter_window_and_retry_after() -> None:
    limiter = RateLimiter()
    rule = Limit("ip", "1.2.3.4", limit=2, window=60)
    limiter.hit("p", "m", rule, T0)
    limiter.hit("p", "m", rule, T0 + timedelta(seconds=10))
    with pytest.raises(RateLimited) as refused:
        limiter.hit("p", "m", rule, T0 + timedelta(seconds=20))
    assert (refused.value.retry_after, refused.value.scope) == (40, "ip")
    limiter.hit("p", "other merchant", rule, T0 + timedelta(seconds=20))  # tenants do not share
    limiter.hit("p", "m", rule, T0 + timedelta(seconds=60))  # the window closed


def test_rate_limiter_memory_stays_flat() -> None:
    limiter = RateLimiter()
    for n in range(30_000):
        limiter.hit("p", "m", Limit("ip", str(n), 1, 1), T0 + timedelta(seconds=n))
    assert len(limiter._windows) <= 20_001


def _session(status: str = "open", expires: datetime | None = None) -> PayvioxSession:
    return PayvioxSession("s1", "m", T0, expires, 100, "USD", "c", "o", [])


def test_lifecycle_fires_table_transitions_and_refuses_others() -> None:
    machine = Lifecycle("p", "open", {("open", "pay"): "paid", ("open", "expire"): "expired"})
    record = _session()
    step = machine.fire(record, "pay", T0, amount=5)
    assert (record.status, step.before, step.after, dict(step.detail)) == ("paid", "open", "paid", {"amount": 5})
    assert record.history == [step]
    with pytest.raises(InvalidState):
        machine.fire(record, "pay", T0)
    assert machine.allowed("open") == ["expire", "pay"]


def test_expiry_fires_at_the_deadline_only_from_allowed_states() -> None:
    machine = Lifecycle("p", "open", {("open", "expire"): "expired"})
    record = _session(expires=T0 + timedelta(hours=1))
    assert machine.expire_due(record, T0) is None
    step = machine.expire_due(record, T0 + timedelta(hours=2))
    assert step is not None and step.at == T0 + timedelta(hours=1) and record.status == "expired"
    assert machine.expire_due(record, T0 + timedelta(hours=3)) is None


def test_store_deadlines_come_due_in_order() -> None:
    store = Store()
    late, early = _session(expires=T0 + timedelta(hours=2)), _session(expires=T0 + timedelta(hours=1))
    early.id = "s0"
    store.add("p", late)
    store.add("p", early)
    assert list(store.due(T0)) == []
    assert [record.id for _, record in store.due(T0 + timedelta(hours=3))] == ["s0", "s1"]
    assert list(store.due(T0 + timedelta(hours=4))) == []


def test_store_tenancy_and_unique_claims() -> None:
    store = Store()
    store.add("p", _session())
    assert store.owned("p", "m", "s1", PayvioxSession) is not None
    assert store.owned("p", "other", "s1", PayvioxSession) is None
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


def test_json_money_never_passes_through_float() -> None:
    assert jsonwire.dumps({"fee": Decimal("0.30"), "big": Decimal("12345678901234567890.000000001")}) == (
        b'{"fee":0.30,"big":12345678901234567890.000000001}'
    )
    assert jsonwire.loads(b'{"a": 0.1}') == {"a": Decimal("0.1")}
    # a string that looks like the internal marker stays a string
    assert jsonwire.dumps({"s": "dec-0:1", "t": "\x00dec:1"}) == b'{"s":"dec-0:1","t":"\\u0000dec:1"}'
    with pytest.raises(ValueError):
        jsonwire.loads(b"[Infinity]")


def test_journal_masks_secrets() -> None:
    assert mask("Bearer sk_test_abcdefgh1234") == "Bearer sk_test_…1234"
    assert mask("short") == "…"
    masked = mask_json({"paymentSessionToken": "eyJhbGciOiJIUzI1NiJ9.x.yyyy", "items": [{"api_key": "k" * 20}]})
    assert masked == {"paymentSessionToken": "…yyyy", "items": [{"api_key": "…kkkk"}]}
