"""The state-change log: every transition any provider made, in order (`GET /_sandbox/events`).

Recorded by `Sandbox.emit` in the same step as the change. Capped: the oldest entries go first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from sandbox.clock import iso
from sandbox.machine import Transition


class EventLog:
    def __init__(self, cap: int = 10_000) -> None:
        self._events: deque[Transition] = deque(maxlen=cap)

    def record(self, transitions: Iterable[Transition]) -> None:
        self._events.extend(transitions)

    def list(self, provider: str | None = None, record_id: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "provider": event.provider,
                "session_id": event.record_id,
                "merchant": event.merchant,
                "action": event.action,
                "from": event.before,
                "to": event.after,
                "at": iso(event.at),
            }
            for event in self._events
            if (provider is None or event.provider == provider) and (record_id is None or event.record_id == record_id)
        ]
