"""The outbox: every state change the machine makes, recorded in the same step as the change.

Events are written here synchronously, inside the request that caused them, so a fault after
the commit can never lose one. Delivery reads from here. The outbox is capped so a long run's
memory stays flat.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from sandbox.clock import iso
from sandbox.machine import Transition


class Outbox:
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
