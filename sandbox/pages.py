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


# The pages' icon, inline: a browser asks for /favicon.ico otherwise, and logs its 404 as an error.
FAVICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%234f46e5'/%3E%3Cpath d='M4 8h8M8 4v8' stroke='white' "
    "stroke-width='2'/%3E%3C/svg%3E"
)
ICON_LINK = f'<link rel="icon" href="{FAVICON}">'


def wants_html(accept: str | None) -> bool:
    """A browser navigating (its Accept names text/html); API clients ask for JSON or anything."""
    return accept is not None and "text/html" in accept


def message(status: int, title: str, text: str) -> Reply:
    body = (
        f"<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width, initial-scale=1'>"
        f"{ICON_LINK}<title>{html.escape(title)}</title>"
        f"<body style='font-family:system-ui;margin:2rem 1rem;max-width:40rem'><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(text)}</p>"
    )
    return Reply(status, html=body)
