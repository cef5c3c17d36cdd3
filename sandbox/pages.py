"""Small HTML answers the providers' hosted pages share: a form body, a message page.

Hosted pages answer browsers, not API clients, so their errors are plain HTML pages rather
than a provider's JSON envelope.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from sandbox.contract import Reply


def form_fields(raw: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body; the first value of each field."""
    return {key: values[0] for key, values in parse_qs(raw.decode(errors="replace")).items()}


def message(status: int, title: str, text: str) -> Reply:
    body = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<body style='font-family:system-ui;margin:3rem'><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return Reply(status, html=body)
