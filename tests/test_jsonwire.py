"""JSON on the wire (sandbox/jsonwire.py): money never passes through float."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import jsonwire
from sandbox.contract import MALFORMED
from sandbox.pipeline import parse_json
from tests.support import hostile


def test_json_money_never_passes_through_float() -> None:
    assert jsonwire.dumps({"fee": Decimal("0.30"), "big": Decimal("12345678901234567890.000000001")}) == (
        b'{"fee":0.30,"big":12345678901234567890.000000001}'
    )
    assert jsonwire.loads(b'{"a": 0.1}') == {"a": Decimal("0.1")}
    # a string that looks like the internal marker stays a string
    assert jsonwire.dumps({"s": "dec-0:1", "t": "\x00dec:1"}) == b'{"s":"dec-0:1","t":"\\u0000dec:1"}'
    with pytest.raises(ValueError):
        jsonwire.loads(b"[Infinity]")


# The nesting check (jsonwire.depth / check_depth) ------------------------------------------------


def reference_depth(raw: bytes) -> int:
    """The obvious scanner the check must agree with: a string skips to its closing quote (a
    backslash takes the next byte, whatever it is); a quote whose string never closes is skipped
    alone, so the brackets after it count. Quadratic on unterminated strings: small inputs only."""
    depth = deepest = 0
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if byte == ord('"'):
            j = i + 1
            while j < n and raw[j] != ord('"'):
                j += 2 if raw[j] == ord("\\") else 1
            i = j + 1 if j < n else i + 1
            continue
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
        i += 1
    return deepest


@pytest.mark.parametrize("size", [1, 7, 600, 1100, 4096])
@pytest.mark.parametrize("shape", sorted(hostile.SHAPES))
def test_depth_agrees_with_the_obvious_scanner_on_every_hostile_shape(shape: str, size: int) -> None:
    raw = hostile.SHAPES[shape](size)
    assert jsonwire.depth(raw) == reference_depth(raw)
    too_deep = reference_depth(raw) > jsonwire.MAX_DEPTH
    if too_deep:
        with pytest.raises(ValueError, match="nested deeper"):
            jsonwire.check_depth(raw)
    else:
        jsonwire.check_depth(raw)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from([b'"', b"\\", b"[", b"]", b"{", b"}", b"a", b'\\"', b'"["', b"\n"]), max_size=80))
def test_depth_agrees_with_the_obvious_scanner_on_random_bytes(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert jsonwire.depth(raw) == reference_depth(raw)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([b"[", b"]", b'"', b'\\"', b'"x"', b"{"]), st.integers(1, 400)), max_size=6))
def test_depth_agrees_on_long_runs(runs: list[tuple[bytes, int]]) -> None:
    raw = b"".join(piece * count for piece, count in runs)
    assert jsonwire.depth(raw) == reference_depth(raw)


EXPECTED_AT_THE_CAP = {  # shape -> does the body parse (at 1 MiB)? Everything else is refused as malformed
    "brackets inside strings": list,
    "long fraction": dict,
    "long string amount": dict,
    "many keys": dict,
    "many unknown fields": dict,
    "huge array": list,
    "huge items": dict,
    "long escapes": dict,
    "lone surrogates": dict,
    "whitespace": dict,
}


@pytest.mark.parametrize("shape", sorted(hostile.SHAPES))
def test_hostile_bodies_at_the_cap_parse_or_are_refused_as_malformed(shape: str) -> None:
    raw = hostile.SHAPES[shape](hostile.CAP)
    assert len(raw) <= hostile.CAP
    parsed = parse_json(raw)
    expected = EXPECTED_AT_THE_CAP.get(shape)
    if expected is None:
        assert parsed is MALFORMED
    else:
        assert isinstance(parsed, expected)


def test_an_exponent_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        jsonwire.loads(b'{"amount": 1e999999999999999999999}')


# orjson and the standard library give the same bytes and the same values ----------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past 64 bits: orjson refuses, the standard way writes
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.text()  # lone surrogates included: orjson refuses them, the standard way decides
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _standard(value: object, sort: bool = False) -> bytes:
    encoder = jsonwire._CANONICAL if sort else jsonwire._ENCODER
    return jsonwire._unmark(encoder.encode(value))


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_the_fast_encoder_writes_what_the_standard_one_writes(value: object) -> None:
    try:
        expected = _standard(value)
    except UnicodeEncodeError:  # a lone surrogate: neither way writes it
        with pytest.raises(UnicodeEncodeError):
            jsonwire.dumps(value)
        return
    assert jsonwire.dumps(value) == expected
    assert jsonwire.canonical(value) == _standard(value, sort=True)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_the_fast_parser_reads_what_the_standard_one_reads(value: object) -> None:
    try:
        raw = _standard(value)
    except UnicodeEncodeError:
        return
    standard = jsonwire._DECODER.decode(raw.decode())
    parsed = jsonwire.loads(raw)
    assert parsed == standard and repr(parsed) == repr(standard)  # repr: Decimal('1.0') is not 1


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_a_packed_value_reads_back_as_one_the_wire_writes_the_same(value: object) -> None:
    """jsonwire.packed (Payviox's stored items): lone surrogates included, which `dumps` refuses."""
    unpacked = jsonwire.loads(jsonwire.packed(value))
    try:
        written = jsonwire.dumps(value)
    except UnicodeEncodeError:
        assert unpacked == value  # kept as is, for `dumps` to refuse later
        with pytest.raises(UnicodeEncodeError):
            jsonwire.dumps(unpacked)
        return
    assert jsonwire.dumps(unpacked) == written


def test_trimmed_bytes_hold_only_their_text() -> None:
    """What orjson writes keeps its 4 KB buffer; what is kept (idempotency, webhooks) is trimmed."""
    tracemalloc.start()
    try:
        kept = [jsonwire.trimmed(jsonwire.dumps({"id": n})) for n in range(100)]
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 100 * 200 and jsonwire.loads(kept[7]) == {"id": 7}
