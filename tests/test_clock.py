"""The sandbox clock (sandbox/clock.py): manual and running time, and parsing instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.clock import Clock, iso, parse_instant

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
