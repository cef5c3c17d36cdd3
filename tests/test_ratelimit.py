"""The rate limiter (sandbox/ratelimit.py): windows, Retry-After, tenants, memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox import ratelimit
from sandbox.errors import RateLimited
from sandbox.ratelimit import Limit, RateLimiter

T0 = datetime(2026, 1, 1, tzinfo=UTC)


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
    assert len(limiter._windows) <= 2  # each hit drops the closed windows at the front: no sweep ever waits


def test_a_window_that_opens_again_moves_to_the_end() -> None:
    limiter = RateLimiter()
    limiter.hit("p", "m", Limit("ip", "a", 5, 60), T0)
    limiter.hit("p", "m", Limit("ip", "b", 5, 90), T0)
    limiter.hit("p", "m", Limit("ip", "a", 5, 60), T0 + timedelta(seconds=61))  # a's window closed: a new one
    assert [key[3] for key in limiter._windows] == ["b", "a"]


def test_open_windows_are_capped() -> None:
    limiter = RateLimiter()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(ratelimit.MAX_WINDOWS + 10):
        limiter.hit("p", "m", Limit("customer", f"c{n}", 5, 60), now)
    assert len(limiter._windows) <= ratelimit.MAX_WINDOWS
    with pytest.raises(RateLimited):  # the newest windows are kept, and still count
        for _ in range(5):
            limiter.hit("p", "m", Limit("customer", f"c{ratelimit.MAX_WINDOWS + 9}", 5, 60), now)
