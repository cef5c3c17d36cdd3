"""The request journal: what came in, what went out, with secrets masked.

Capped (oldest entries fall off), so a long run keeps flat memory. Credentials are masked
to their kind and last four characters, and JSON fields whose names say they are secret
(`token`, `secret`, `password`, `key`...) are masked the same way, in requests and responses.
"""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.clock import iso

_SECRET_WORDS = ("secret", "token", "password", "apikey", "api_key", "authorization", "signature")
_SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "x-wallet-auth", "payment-signature"}


def mask(value: str) -> str:
    """`sk_test_abcdef123` -> `sk_test_…f123`; short values are hidden whole."""
    if len(value) <= 8:
        return "…"
    scheme, _, rest = value.partition(" ")
    if rest:
        return f"{scheme} {mask(rest)}"
    head = value[: value.rfind("_") + 1] if "_" in value[:12] else ""
    return f"{head}…{value[-4:]}"


def mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: mask(item) if isinstance(item, str) and is_secret(key) else mask_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_json(item) for item in value]
    return value


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: mask(value) if name.lower() in _SECRET_HEADERS else value for name, value in headers.items()}


@dataclass(slots=True)
class Entry:
    """One request as it came in. Recording sits on every request's path, so an entry keeps the
    raw time and ASGI headers and formats them only when someone reads the journal."""

    id: int
    at: datetime
    provider: str
    operation: str
    method: str
    path: str
    status: int
    merchant: str | None
    client_ip: str
    request_headers: Sequence[tuple[bytes, bytes]]  # the ASGI scope's, as received
    request_body: Any
    response_body: Any
    notes: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "provider": self.provider,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "merchant": self.merchant,
            "client_ip": self.client_ip,
            "request": {"headers": mask_headers(_decoded(self.request_headers)), "body": mask_json(self.request_body)},
            "response": {"body": mask_json(self.response_body)},
            "notes": self.notes,
        }


def _decoded(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """As `dict(request.headers)`: names lowercase, the first value of a repeated header."""
    headers: dict[str, str] = {}
    for name, value in raw:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return headers


class Journal:
    def __init__(self, cap: int = 2_000, on_record: Callable[[], None] | None = None) -> None:
        self._entries: deque[Entry] = deque(maxlen=cap)
        self._next = 1
        self._on_record = on_record  # live views' change notification (changes.py)

    def __getstate__(self) -> dict[str, Any]:
        """A snapshot (persist.py) keeps the entries, not the live views' callback: the sandbox
        that restores it attaches its own (`listen`)."""
        return {**self.__dict__, "_on_record": None}

    def listen(self, on_record: Callable[[], None] | None) -> None:
        self._on_record = on_record

    def record(self, entry: Entry) -> None:
        entry.id = self._next
        self._next += 1
        self._entries.append(entry)
        if self._on_record is not None:
            self._on_record()

    def list(self, provider: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        chosen = [entry for entry in self._entries if provider is None or entry.provider == provider]
        return [entry.public() for entry in chosen[-limit:]] if limit > 0 else []  # chosen[-0:] is all of it

    def entries(self) -> builtins.list[Entry]:
        """Every kept entry, oldest first (the dashboard filters and masks them itself via `public()`)."""
        return list(self._entries)

    def find(self, entry_id: int) -> Entry | None:
        return next((entry for entry in self._entries if entry.id == entry_id), None)
