"""The request journal (sandbox/journal.py): secrets are masked."""

from __future__ import annotations

from sandbox.journal import mask, mask_json


def test_journal_masks_secrets() -> None:
    assert mask("Bearer sk_test_abcdefgh1234") == "Bearer sk_test_…1234"
    assert mask("short") == "…"
    masked = mask_json({"paymentSessionToken": "eyJhbGciOiJIUzI1NiJ9.x.yyyy", "items": [{"api_key": "k" * 20}]})
    assert masked == {"paymentSessionToken": "…yyyy", "items": [{"api_key": "…kkkk"}]}
