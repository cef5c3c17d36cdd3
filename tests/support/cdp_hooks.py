"""A CDP merchant's webhook endpoint for tests: the docs' verification code, and the spec's schemas.

`verify_webhook_signature` is the Python verifier of CDP's "Verify Signatures" docs
(webhooks/transfers/verification) re-implemented unchanged, including its 5-minute limit on `t`
against the receiver's own wall clock. `CdpReceiver` runs it on every POST and answers as the
spec's receiver contract says: 200, or 401 for a bad signature. `validate_event` checks a body
against the spec's webhook payload schema for its `eventType`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SPEC = yaml.safe_load(
    (Path(__file__).parents[1] / "providers" / "specs" / "cdp-payment-sessions.openapi.yaml").read_text()
)


def verify_webhook_signature(
    payload: str, signature_header: str, secret: str, headers: dict[str, str], max_age_minutes: int = 5
) -> bool:
    """Verify webhook signature and timestamp (the docs' Python, unchanged but for the prints)."""
    try:
        elements = signature_header.split(",")
        timestamp = next(e for e in elements if e.startswith("t=")).split("=", 1)[1]
        header_names = next(e for e in elements if e.startswith("h=")).split("=", 1)[1]
        provided_signature = next(e for e in elements if e.startswith("v1=")).split("=", 1)[1]

        header_name_list = header_names.split(" ")
        header_values = ".".join(headers.get(name, "") for name in header_name_list)

        signed_payload = f"{timestamp}.{header_names}.{header_values}.{payload}"
        expected_signature = hmac.new(
            secret.encode("utf-8"),
            signed_payload.encode("utf-8"),
            hashlib.sha256,
        ).hexdigest()

        signatures_match = hmac.compare_digest(expected_signature, provided_signature)

        webhook_time_ms = int(timestamp) * 1000
        current_time_ms = int(time.time() * 1000)
        age_minutes = (current_time_ms - webhook_time_ms) / (1000 * 60)

        if age_minutes > max_age_minutes:
            return False

        return signatures_match
    except Exception:
        return False


def v0_matches(payload: bytes, signature_header: str, secret: str) -> bool:
    """`v0` = HMAC-SHA256 over "{t}.{body}" (docs: "protects the body and timestamp only")."""
    fields = dict(part.split("=", 1) for part in signature_header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v0"])


class CdpReceiver:
    """`received`: (lowercased headers, raw body, verified) in arrival order; `status` when verified."""

    def __init__(self, secret: str, status: int = 200) -> None:
        self.secret = secret
        self.status = status
        self.received: list[tuple[dict[str, str], bytes, bool]] = []
        self.app = Starlette(routes=[Route("/hooks", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        raw = await request.body()
        headers = dict(request.headers)
        verified = verify_webhook_signature(raw.decode(), headers.get("x-hook0-signature", ""), self.secret, headers)
        self.received.append((headers, raw, verified))
        return Response(b"OK" if verified else b"Invalid signature", self.status if verified else 401)


def _event_schemas() -> dict[str, dict[str, Any]]:
    schemas = SPEC["components"]["schemas"]
    found = {}
    for hook in SPEC["webhooks"].values():
        ref = hook["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        found[schemas[name]["x-event-type"]] = {"$ref": ref}
    return found


EVENT_SCHEMAS = _event_schemas()


def validate_event(body: dict[str, Any]) -> None:
    schema = EVENT_SCHEMAS[body["eventType"]]
    validator = OAS31Validator(
        {**schema, "components": SPEC["components"]}, format_checker=OAS31Validator.FORMAT_CHECKER
    )
    validator.validate(body)
