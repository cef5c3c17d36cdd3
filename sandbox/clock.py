"""The sandbox's only source of "now".

A `Clock` is wall time plus an offset ("running"), or a fixed instant that moves only when
told ("manual"). Both can be advanced and set, so `POST /_sandbox/clock/advance` works on
a running server too: a session that expires after 24 h expires when the clock is pushed
past it, without anyone waiting. Nothing else in the sandbox reads wall time; the one
exception is CDP's JWT `nbf`/`exp` check, which must use the client's frame (wall time) and
asks `Clock.wall()` for it explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


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
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        return self.set(self.now() + timedelta(seconds=seconds))

    def set(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        if instant < self.now():
            raise ValueError("the clock only moves forward")
        self._instant = instant
        self._offset = instant - self._wall()
        return self.now()

    def describe(self) -> dict[str, object]:
        return {"now": iso(self.now()), "manual": self.manual}


def iso(instant: datetime) -> str:
    """RFC 3339 with milliseconds and `Z`, the sandbox's own format."""
    # isoformat: the same text as strftime("%Y-%m-%dT%H:%M:%S.mmm"), at a fraction of the cost (every request
    # journals its time); after astimezone(UTC) the offset is always "+00:00", which becomes "Z".
    return instant.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
