"""CDP list pagination: `pageSize` (default 20) and an opaque `pageToken`.

The spec's example token is base64 JSON `{"last_id": ..., "timestamp": ...}`; the sandbox
issues the same shape and resumes after `last_id`. Lists are newest first (inferred from other
CDP lists); `nextPageToken` is left out on the last page (the client also takes "").
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sandbox.contract import Call
from sandbox.errors import InvalidRequest
from sandbox.providers.cdp.wire import INVALID_QUERY

T = TypeVar("T")
DEFAULT_SIZE = 20  # components/parameters/PageSize default
# Invented for payment sessions (their spec sets no maximum): larger sizes are clamped to this.
# The webhook subscriptions list documents `maximum: 100` and refuses more (subscriptions.py).
MAX_SIZE = 100
# ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and "٣" (which it reads as 3).
_DIGITS = re.compile(r"[0-9]+")


def _size(call: Call, bounded: str | None = None) -> int:
    """With `bounded` (the message), sizes outside 1-MAX_SIZE are refused instead of clamped."""
    raw = call.query.get("pageSize")
    if raw is None or raw == "":
        return DEFAULT_SIZE
    digits = raw.lstrip("0")
    if not _DIGITS.fullmatch(raw) or not digits:
        raise InvalidRequest(bounded or INVALID_QUERY)
    if bounded is not None and (len(digits) > len(str(MAX_SIZE)) or int(digits) > MAX_SIZE):
        raise InvalidRequest(bounded)
    # int() refuses strings of more than 4300 digits; anything past MAX_SIZE is clamped anyway.
    return MAX_SIZE if len(digits) > len(str(MAX_SIZE)) else min(int(digits), MAX_SIZE)


def _token(last_id: str, at: datetime) -> str:
    return base64.b64encode(json.dumps({"last_id": last_id, "timestamp": int(at.timestamp())}).encode()).decode()


def _last_id(call: Call, bad_token: str = INVALID_QUERY) -> str | None:
    """The token's `last_id`; None without a token."""
    raw = call.query.get("pageToken")
    if not raw:
        return None
    try:
        decoded = json.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        decoded = None
    last_id = decoded.get("last_id") if isinstance(decoded, dict) else None
    if not isinstance(last_id, str):
        raise InvalidRequest(bad_token)
    return last_id


def _start(call: Call, ids: list[str], bad_token: str) -> int:
    last_id = _last_id(call, bad_token)
    if last_id is None:
        return 0
    if last_id not in ids:
        raise InvalidRequest(bad_token)
    return ids.index(last_id) + 1


def page_from(
    call: Call,
    name: str,
    fetch: Callable[[str | None, int], Sequence[T] | None],
    ident: Callable[[T], str],
    created: Callable[[T], datetime],
    view: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """As `page`, from `fetch(after_id, n)`: up to n items after that id (None: from the start), or
    None for an id it does not hold. The store pages this way in O(page) (Store.page)."""
    size = _size(call)
    chunk = fetch(_last_id(call), size + 1)
    if chunk is None:  # an unknown id, or one the store has since evicted
        raise InvalidRequest(INVALID_QUERY)
    body: dict[str, Any] = {name: [view(item) for item in chunk[:size]]}
    if len(chunk) > size:
        body["nextPageToken"] = _token(ident(chunk[size - 1]), created(chunk[size - 1]))
    return body


def page(
    call: Call,
    name: str,
    newest_first: Sequence[T],
    ident: Callable[[T], str],
    created: Callable[[T], datetime],
    view: Callable[[T], dict[str, Any]],
    *,
    bad_size: str | None = None,
    bad_token: str = INVALID_QUERY,
) -> dict[str, Any]:
    """`{<name>: [...], nextPageToken?}` for the page the query asks for. `bad_size` / `bad_token`:
    the API's own messages where it documents them (webhook subscriptions refuse sizes past 100)."""
    size = _size(call, bad_size)
    ids = [ident(item) for item in newest_first]
    start = _start(call, ids, bad_token)
    chunk = newest_first[start : start + size]
    body: dict[str, Any] = {name: [view(item) for item in chunk]}
    if start + size < len(newest_first):
        body["nextPageToken"] = _token(ident(chunk[-1]), created(chunk[-1]))
    return body
