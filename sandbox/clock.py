"""The sandbox's only source of "now".

A `Clock` is wall time plus an offset ("running"), or a fixed instant that moves only when
told ("manual"). Both can be advanced and set, so `POST /_sandbox/clock/advance` works on
a running server too: a session that expires after 24 h expires when the clock is pushed
past it, without anyone waiting. Nothing else in the sandbox reads wall time; the one
exception is CDP's JWT `nbf`/`exp` check, which must use the client's frame (wall time) and
asks `Clock.wall()` for it explicitly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# Invented bounds, so date arithmetic can never overflow Python's datetime (year 9999): the clock
# never passes LATEST, and no setting or step names a duration longer than MAX_SECONDS. Deadlines
# are the clock plus at most MAX_SECONDS, which still ends centuries before year 9999.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_SECONDS = 100 * 365 * 86400  # a hundred years


def _system_now() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Clock:
    """Wall time plus an offset, or a manual instant."""

    def __init__(
        self,
        start: datetime | None = None,
        *,
        manual: bool = False,
        wall: Callable[[], datetime] = _system_now,
    ) -> None:
        self._wall = wall
        self.manual = manual
        current = wall()  # read once: a second read would leave a microsecond offset behind
        begin = start if start is not None else current
        if begin.tzinfo is None:  # as parse_instant: a naive instant (a scenario's `start: 2026-01-01`) is UTC
            begin = begin.replace(tzinfo=UTC)
        _check_bound(begin)
        self._instant = begin
        self._offset = begin - current

    def now(self) -> datetime:
        if self.manual:
            return self._instant
        return self._wall() + self._offset

    def wall(self) -> datetime:
        """Real time, for checks that must use the caller's frame (JWT expiry)."""
        return self._wall()

    def advance(self, seconds: float) -> datetime:
        if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_SECONDS:
            raise ValueError(f"the clock moves forward by 0 to {MAX_SECONDS} seconds at a time")
        return self.set(self.now() + timedelta(seconds=seconds))

    def set(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        if instant < self.now():
            raise ValueError("the clock only moves forward")
        _check_bound(instant)
        self._instant = instant
        self._offset = instant - self._wall()
        return self.now()

    def run(self, running: bool) -> None:
        """Stop time at the current instant (False: manual from now on) or let it run on from it."""
        current = self.now()
        self.manual = not running
        self._instant = current
        self._offset = current - self._wall()

    def describe(self) -> dict[str, object]:
        return {"now": iso(self.now()), "manual": self.manual}


def _check_bound(instant: datetime) -> None:
    if instant > LATEST:
        raise ValueError(f"the sandbox clock stops at {iso(LATEST)}")


def iso(instant: datetime) -> str:
    """RFC 3339 with milliseconds and `Z`, the sandbox's own format."""
    # isoformat: the same text as strftime("%Y-%m-%dT%H:%M:%S.mmm"), at a fraction of the cost (every request
    # journals its time); after astimezone(UTC) the offset is always "+00:00", which becomes "Z".
    return instant.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
