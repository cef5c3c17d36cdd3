"""Header lookups on the raw ASGI list, for code that runs on every request.

`request.headers.get(name)` builds Starlette's `Headers` and, for a header the request lacks,
raises and catches a KeyError; the hot path asks for several headers per call (the client IP,
the body length, the credential, CORS's `Origin`), so it scans `scope["headers"]` instead.
Names are compared lowercase, as ASGI servers deliver them and as `Headers` compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Raw = list[tuple[bytes, bytes]]


def first(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header `name` (lowercase bytes), or None."""
    for key, value in raw:
        if key == name:
            return value
    return None


def get(scope: Any, name: bytes) -> str | None:
    """As `Request(scope).headers.get(name)`: the first value, latin-1 decoded."""
    value = first(scope["headers"], name)
    return None if value is None else value.decode("latin-1")


def put(raw: Raw, name: bytes, value: bytes) -> None:
    """As Starlette's `MutableHeaders[name] = value`: the first occurrence is replaced in place,
    any others removed; appended when absent."""
    found = [index for index, (key, _) in enumerate(raw) if key == name]
    for index in reversed(found[1:]):
        del raw[index]
    if found:
        raw[found[0]] = (name, value)
    else:
        raw.append((name, value))
