"""JSON on the wire (sandbox/jsonwire.py): money never passes through float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox import jsonwire


def test_json_money_never_passes_through_float() -> None:
    assert jsonwire.dumps({"fee": Decimal("0.30"), "big": Decimal("12345678901234567890.000000001")}) == (
        b'{"fee":0.30,"big":12345678901234567890.000000001}'
    )
    assert jsonwire.loads(b'{"a": 0.1}') == {"a": Decimal("0.1")}
    # a string that looks like the internal marker stays a string
    assert jsonwire.dumps({"s": "dec-0:1", "t": "\x00dec:1"}) == b'{"s":"dec-0:1","t":"\\u0000dec:1"}'
    with pytest.raises(ValueError):
        jsonwire.loads(b"[Infinity]")
