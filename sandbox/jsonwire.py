"""JSON as the providers put it on the wire.

Money never passes through float: incoming numbers with a fraction parse as `Decimal`, and a
`Decimal` goes out as a bare JSON number with its digits unchanged (`0.30` stays `0.30`, as
Payviox's fee examples print it). The standard encoder cannot write a number it did not make,
so a `Decimal` is first written as a marked string and the marks are then removed. The mark
holds a random nonce drawn once per process and never written out, so no payload can forge it.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

_MARK = f"dec-{secrets.token_hex(16)}:"
_MARKED = re.compile(f'"{_MARK}' + r'(-?[0-9]+(?:\.[0-9]+)?)"')


def _default(value: object) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return _MARK + format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# One encoder for the process: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))


# The same with keys sorted: one text for equal values, whatever order their keys came in.
_CANONICAL = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def dumps(value: Any) -> bytes:
    return _unmark(_ENCODER.encode(value))


def canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal parsed values give equal bytes (idempotency replays)."""
    return _unmark(_CANONICAL.encode(value))


def _unmark(text: str) -> bytes:
    if _MARK in text:
        text = _MARKED.sub(r"\1", text)
    return text.encode()


MAX_DEPTH = 512
# A string (skipped whole, so brackets inside it do not count) or a bracket.
_TOKENS = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')


def loads(raw: bytes) -> Any:
    """Parse JSON; fractions become `Decimal`, NaN/Infinity and nesting past MAX_DEPTH are refused.

    The depth check does not rely on the recursion limit: a library in the same process may
    raise it (py_ecc, pulled in by cdp-sdk, sets 100000), and then the C parser overflows the
    stack on a deeply nested body instead of raising RecursionError.
    """
    check_depth(raw)
    # What json.loads(raw, parse_float=..., parse_constant=...) does, minus the decoder it would
    # build on every call (every request body passes through here).
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def check_depth(raw: bytes) -> None:
    """Raise ValueError if brackets nest deeper than MAX_DEPTH. Also guards YAML flow
    collections (PUT /_sandbox/scenario), whose parser recurses per level too."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    for token in _TOKENS.finditer(raw):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif bracket in (b"]", b"}"):
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)
