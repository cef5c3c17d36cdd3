"""CubePay's payment-session lifecycle, as data: its statuses and transition table.

Statuses are the legacy docs' enum (api-overview/payment-sessions-api), spelled as documented
(`CANCELED`, one L): CREATED | PENDING | FUNDED | CANCELED | CAPTURING | SUCCEEDED | ERROR.
Transitions follow the docs' prose (how-grain-works/payment-lifecycle, captures-api,
payment-sdk/integration-guide/handle-payment-completion):

    CREATED --connect--> PENDING --fund (OTW holds >= amount)--> FUNDED
    FUNDED --capture--> CAPTURING --capture_partial--> FUNDED
                                  --capture_final----> SUCCEEDED (the rest refunded on-chain)
    CREATED/PENDING --cancel--> CANCELED   ("marked as rejected and the payment is cancelled")
    any open status --fail--> ERROR

Invented (FIDELITY.md): `expire` (an unfunded session is CANCELED after a TTL; no TTL is
documented), `capture_failed` (a capture that ends in ERROR hands the session back to FUNDED,
the funds still being in the one-time wallet); the numbers in `settings.py` are invented too.
"""

from __future__ import annotations

from sandbox.machine import Lifecycle

NAME = "cubepay"  # the provider's name: its mount prefix and its records' namespace in the store

CREATED, PENDING, FUNDED, CANCELED = "CREATED", "PENDING", "FUNDED", "CANCELED"
CAPTURING, SUCCEEDED, ERROR = "CAPTURING", "SUCCEEDED", "ERROR"
STATUSES = (CREATED, PENDING, FUNDED, CANCELED, CAPTURING, SUCCEEDED, ERROR)
UNFUNDED = (CREATED, PENDING)

# Capture statuses (payment-sdk/api-reference/endpoints; ERROR from the legacy captures-api).
CAPTURE_CAPTURING, CAPTURE_CAPTURED, CAPTURE_ERROR = "CAPTURING", "CAPTURED", "ERROR"

_table: dict[tuple[str, str], str] = {
    (CREATED, "connect"): PENDING,
    # connect-wallet: "may be called multiple times until the funding transaction is linked"
    (PENDING, "connect"): PENDING,
    (PENDING, "fund"): FUNDED,
    (FUNDED, "capture"): CAPTURING,
    (CAPTURING, "capture_partial"): FUNDED,
    (CAPTURING, "capture_final"): SUCCEEDED,
    (CAPTURING, "capture_failed"): FUNDED,  # Invented: see the module docstring
}
for _state in UNFUNDED:
    _table[(_state, "cancel")] = CANCELED
    _table[(_state, "expire")] = CANCELED  # Invented: no TTL or EXPIRED status is documented
for _state in (CREATED, PENDING, FUNDED, CAPTURING):
    _table[(_state, "fail")] = ERROR

LIFECYCLE = Lifecycle(provider=NAME, initial=PENDING, table=_table)
