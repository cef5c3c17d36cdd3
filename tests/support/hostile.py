"""Worst-case request bodies of a given size: the shapes that made (or could make) a parser,
the nesting check or a validator super-linear.

Each shape is a function of a target size in bytes, so the same shapes serve the depth check's
behaviour tests (tests/test_jsonwire.py, small and at the 1 MiB cap), the never-a-500 tests over
every route (tests/test_bad_input.py) and `make bench`'s time-per-byte measure (bench/hostile.py).
"""

from __future__ import annotations

from collections.abc import Callable

CAP = 1024 * 1024  # Settings.body_limit: the largest body the server reads


def _fill(unit: bytes, size: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    count = max(1, (size - len(head) - len(tail)) // len(unit))
    return head + unit * count + tail


def _deep(size: int) -> bytes:
    half = max(1, size // 2)
    return b"[" * half + b"]" * half


def _members(template: bytes, size: int) -> bytes:
    """An object of as many members (each `template % n`, n of at most 7 digits) as fit in `size`."""
    count = min(10**7, max(1, (size - 2) // (len(template % 0) + 1)))
    return b"{" + b",".join(template % n for n in range(count)) + b"}"


SHAPES: dict[str, Callable[[int], bytes]] = {
    # The reported one: an unterminated string of escaped quotes, then brackets past MAX_DEPTH.
    "unterminated escaped quotes": lambda size: _fill(b'\\"', size - 514, b'"', b"[" * 513),
    # The same, ending on a lone backslash (the string's last escape has no character to take).
    "unterminated, trailing backslash": lambda size: _fill(b'\\"', size, b'"', b"\\"),
    "unterminated escaped backslashes": lambda size: _fill(b"\\\\", size, b'"'),
    "many quotes, then one unterminated": lambda size: _fill(b'"",', size - 1024, b"[", b'"' + b"[" * 1000),
    "brackets inside strings": lambda size: _fill(b'"[[[[{{{{",', size, b"[", b'""]'),
    "deep nesting": _deep,
    "deep objects": lambda size: _fill(b'{"a":', size // 2) + b"1" + b"}" * (size // 10),
    "openers only": lambda size: b"[" * size,
    "closers first": lambda size: b"]" * (size // 2) + b"[" * (size // 2),
    "long integer": lambda size: _fill(b"9", size, b'{"amount":', b"}"),
    "long fraction": lambda size: _fill(b"9", size, b'{"amount":1.', b"}"),
    "long exponent": lambda size: _fill(b"9", size, b'{"amount":1e', b"}"),
    "long string amount": lambda size: _fill(b"9", size, b'{"amount":"1.', b'","currency":"USD"}'),
    "many keys": lambda size: _members(b'"k%07d":1', size),
    "many unknown fields": lambda size: _members(b'"f%07d":[]', size),
    "huge array": lambda size: _fill(b"0,", size, b"[", b"0]"),
    "huge items": lambda size: _fill(b'{"name":"x","quantity":1,"price":1},', size, b'{"amount":1,"items":[', b"{}]}"),
    "long escapes": lambda size: _fill(b"\\u00e9", size, b'{"customer":"', b'"}'),
    "lone surrogates": lambda size: _fill(b"\\ud800", size, b'{"order_id":"', b'"}'),
    "whitespace": lambda size: _fill(b" ", size, b"{", b"}"),
    "invalid utf-8": lambda size: _fill(b"\xff", size, b'{"customer":"', b'"}'),
}


def bodies(size: int) -> dict[str, bytes]:
    """Every shape at about `size` bytes (never more than the cap)."""
    return {name: make(size)[:CAP] for name, make in SHAPES.items()}
