"""A plain record for the core's tests: what the state machine and the store need of a session, no more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sandbox.machine import Transition


@dataclass
class Record:
    id: str
    merchant: str
    status: str
    expires_at: datetime | None = None
    history: tuple[Transition, ...] = ()

    @classmethod
    def at(cls, status: str = "open", expires: datetime | None = None) -> Record:
        """Session `s1` of merchant `m`, in `status`, expiring at `expires`."""
        return cls("s1", "m", status, expires)
