"""The payment methods' images, served by the sandbox: `GET /payviox/images/{provider}.svg`.

get-payment-methods lists an `image` per method on Payviox's CDN
(`https://cdn.payviox.com/images/stripe.png`). A sandbox hands out only URLs that point back at
itself, so it draws its own: a small SVG badge with the provider's name (invented artwork;
the docs' image files are not public to copy).
"""

from __future__ import annotations

import html
import zlib

from sandbox.contract import Call, Operation, Reply
from sandbox.errors import NotFound
from sandbox.providers.payviox.methods import PROVIDER_NAMES


def badge(name: str) -> str:
    """A 120x48 badge; the colour follows from the name, so each provider keeps its own."""
    hue = zlib.crc32(name.encode()) % 360
    text = html.escape(name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="48" viewBox="0 0 120 48" '
        f'role="img" aria-label="{text}">'
        f'<rect width="120" height="48" rx="8" fill="hsl({hue},55%,42%)"/>'
        '<text x="60" y="30" font-family="system-ui,sans-serif" font-size="15" font-weight="600" '
        f'fill="#fff" text-anchor="middle">{text}</text></svg>'
    )


def image(call: Call) -> Reply:
    provider, dot, extension = call.path_params["image"].rpartition(".")
    if not dot or extension != "svg" or provider not in PROVIDER_NAMES:
        raise NotFound("Image not found")
    headers = {"content-type": "image/svg+xml", "cache-control": "public, max-age=86400"}
    return Reply(200, html=badge(PROVIDER_NAMES[provider]), headers=headers)


OPERATIONS = (Operation("method_image", "GET", "/images/{image}", image, auth=None),)
