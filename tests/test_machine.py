"""The state machine (sandbox/machine.py): table transitions, refusals and expiry, on a plain record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.errors import InvalidState
from sandbox.machine import Lifecycle
from tests.support.records import Record

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_lifecycle_fires_table_transitions_and_refuses_others() -> None:
    machine = Lifecycle("p", "open", {("open", "pay"): "paid", ("open", "expire"): "expired"})
    record = Record.at()
    step = machine.fire(record, "pay", T0, amount=5)
    assert (record.status, step.before, step.after, dict(step.detail)) == ("paid", "open", "paid", {"amount": 5})
    assert record.history == (step,)
    with pytest.raises(InvalidState):
        machine.fire(record, "pay", T0)
    assert machine.allowed("open") == ["expire", "pay"]


def test_expiry_fires_at_the_deadline_only_from_allowed_states() -> None:
    machine = Lifecycle("p", "open", {("open", "expire"): "expired"})
    record = Record.at(expires=T0 + timedelta(hours=1))
    assert machine.expire_due(record, T0) is None
    step = machine.expire_due(record, T0 + timedelta(hours=2))
    assert step is not None and step.at == T0 + timedelta(hours=1) and record.status == "expired"
    assert machine.expire_due(record, T0 + timedelta(hours=3)) is None
