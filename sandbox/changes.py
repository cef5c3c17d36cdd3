"""Change notification for live views: a version counter and the listeners to wake when it moves.

Everything that changes what the dashboard shows bumps it: `Sandbox.emit` (state changes, expiry
included), the journal (every API request and control action), the dispatcher (webhook attempts)
and the control plane's mutating routes (clock, reset, scenario, endpoints...). A bump is one
increment and, only while someone listens, one call per listener, so the request path pays
nothing for a dashboard that is not open. No asyncio here: a listener is any callable (the SSE
stream passes its `asyncio.Event.set`), so the core stays free of the event loop. The set of
listeners is bounded (`max_listeners`): a dashboard past it is refused, never queued.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Wake = Callable[[], None]


class Changes:
    __slots__ = ("version", "max_listeners", "narration", "_listeners")

    def __init__(self, max_listeners: int = 16) -> None:
        self.version = 0
        self.max_listeners = max_listeners
        # The step a scenario player is at (POST /_sandbox/narration): {"step", "name", "note"} or None.
        self.narration: dict[str, Any] | None = None
        self._listeners: list[Wake] = []

    def bump(self) -> None:
        self.version += 1
        if self._listeners:
            for wake in self._listeners:
                wake()

    def listen(self, wake: Wake) -> bool:
        """Start waking `wake` on each change; False (and nothing done) when the listeners are full."""
        if len(self._listeners) >= self.max_listeners:
            return False
        self._listeners.append(wake)
        return True

    def unlisten(self, wake: Wake) -> None:
        if wake in self._listeners:
            self._listeners.remove(wake)

    @property
    def listeners(self) -> int:
        return len(self._listeners)
