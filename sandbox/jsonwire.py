"""JSON as the providers put it on the wire.

Money never passes through float: incoming numbers with a fraction parse as `Decimal`, and a
`Decimal` goes out as a bare JSON number with its digits unchanged (`0.30` stays `0.30`, as
Payviox's fee examples print it).

orjson does the common case, about six times faster than the standard library (a request body
parsed in 0.5 µs instead of 3.4 µs; every request parses one and writes one): writing, with a
`Decimal` handed over as a `Fragment` of its digits; reading, a body with no number that has a
fraction or an exponent (a digit followed by `.`, `e` or `E` anywhere, strings included, sends
it the standard way, which parses those as `Decimal`) and no run of 19 digits (orjson reads an
integer past 64 bits as a float). Whatever orjson refuses (UTF-16 bodies,
lone surrogates, integers past 64 bits) goes the standard way too, which decides: the same
values and the same refusals either way. The standard encoder cannot write a number it did not
make, so there a `Decimal` is first written as a marked string and the marks are then removed;
the mark holds a random nonce drawn once per process and never written out, so no payload can
forge it.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from decimal import Decimal
from typing import Any

import orjson

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


def _fragment(value: object) -> orjson.Fragment:
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_OPTIONS = orjson.OPT_NON_STR_KEYS  # int keys written as strings, as the standard encoder does


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_fragment, option=_OPTIONS)
    except orjson.JSONEncodeError:  # what orjson will not write (a lone surrogate, say): the standard way decides
        return _unmark(_ENCODER.encode(value))


def canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal parsed values give equal bytes (idempotency replays)."""
    try:
        return orjson.dumps(value, default=_fragment, option=_OPTIONS | orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _unmark(_CANONICAL.encode(value))


def packed(value: Any) -> bytes:
    """A parsed value as compact JSON text, to keep instead of its objects when it is read seldom
    (Payviox's items: ~80 B an item instead of ~330 B as a list of dicts); `loads` gives back an
    equal value, which `dumps` writes as the same bytes. Unlike `dumps` it also takes a lone
    surrogate, which the standard parser lets through: kept as is, for `dumps` to refuse later."""
    try:
        written = orjson.dumps(value, default=_fragment, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return _unmark(_ENCODER.encode(value), "surrogatepass")
    return trimmed(written)


def trimmed(raw: bytes) -> bytes:
    """`raw` in an object of its own size, for bytes that are kept: what orjson writes keeps the
    4 KB buffer it wrote into, however short the text (50,000 small replies kept: 196 MiB of RSS,
    their copies 4 MiB)."""
    return bytes(memoryview(raw))


def _unmark(text: str, errors: str = "strict") -> bytes:
    if _MARK in text:
        text = _MARKED.sub(r"\1", text)
    return text.encode("utf-8", errors)


MAX_DEPTH = 512
# A string, removed whole so brackets inside it do not count. Possessive loops never backtrack,
# so each byte is looked at a bounded number of times.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
# Everything before a string that never closes (its opening quote ends the match); no match
# when every string closes. Brackets after that quote count: a parser reaching them would
# nest. Once one string is unterminated, every later quote sits inside it and opens no string
# that could close (the same escapes pair up from there on), so the tail has no strings to skip.
# Retrying each later quote as the start of a string was quadratic: an unterminated run of
# 30,000 escaped quotes took 14 s.
_BEFORE_UNTERMINATED = re.compile(rb'(?>[^"]++|"(?:[^"\\]++|\\.)*+")*+"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


# Where a number may have a fraction or an exponent, or 19 digits or more (orjson reads an
# integer past 64 bits as a float): such bodies go the standard way.
_NOT_FOR_ORJSON = re.compile(rb"[0-9](?:[.eE]|[0-9]{18})")  # one digit first: a third of the time of "a|b"
_NOT_UTF8_FIRST = (b"\x00", b"\xef", b"\xfe", b"\xff")  # a UTF-16/32 zero byte, or a BOM's first byte


def loads(raw: bytes) -> Any:
    """Parse JSON; fractions become `Decimal`, NaN/Infinity and nesting past MAX_DEPTH are refused.

    The depth check does not rely on the recursion limit: a library in the same process may
    raise it (py_ecc, pulled in by cdp-sdk, sets 100000), and then the C parser overflows the
    stack on a deeply nested body instead of raising RecursionError.
    """
    check_depth(raw)
    if _NOT_FOR_ORJSON.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the standard parser decides: it may still parse it (UTF-16) or refuse it its way
    # What json.loads(raw, parse_float=..., parse_constant=...) does, minus the decoder it would
    # build on every call (every request body passes through here). json.detect_encoding says
    # UTF-8 for any body whose first two bytes are neither a BOM's nor zero; only the rest asks it.
    utf8 = raw[:1] not in _NOT_UTF8_FIRST and raw[1:2] != b"\x00"
    return _DECODER.decode(raw.decode("utf-8" if utf8 else json.detect_encoding(raw), "surrogatepass"))


def depth(raw: bytes) -> int:
    """How deep brackets outside strings nest: the highest running count of openers less closers.

    Linear in len(raw) and run in C: one regex pass without backtracking, one translate, one
    accumulate. Any body up to the size cap is checked in time proportional to its size.
    """
    unterminated = _BEFORE_UNTERMINATED.match(raw)
    if unterminated is None:
        outside = _STRING.sub(b"", raw)
    else:
        split = unterminated.end()
        outside = _STRING.sub(b"", raw[: split - 1]) + raw[split:]
    steps = memoryview(outside.translate(_STEPS, _NOT_BRACKETS)).cast("b")
    return max(0, max(itertools.accumulate(steps), default=0))


def check_depth(raw: bytes) -> None:
    """Raise ValueError if brackets nest deeper than MAX_DEPTH. Also guards YAML flow
    collections (PUT /_sandbox/scenario), whose parser recurses per level too."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    if depth(raw) > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decimal(text: str) -> Decimal:
    """A number with a fraction or an exponent. An exponent past Decimal's range (`1e99999999999999999999`)
    raises InvalidOperation, an ArithmeticError: said as the ValueError every caller handles."""
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"number out of range: {text[:40]}") from None


_DECODER = json.JSONDecoder(parse_float=_decimal, parse_constant=_refuse_constant)
