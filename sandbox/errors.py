"""Domain errors: what went wrong, in words no provider owns.

Handlers and shared modules raise these; only a provider's `render_error` turns one into its
wire format (status code, envelope, headers). `reason` is a finer, provider-chosen code
(`ip_mismatch`, `payment_method_not_found`) that the renderer may map to its own words;
`fields` carries per-field messages for validation errors.
"""

from __future__ import annotations

from typing import ClassVar


class SandboxError(Exception):
    code: ClassVar[str] = "internal"

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        fields: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
        scope: str | None = None,
    ) -> None:
        super().__init__(message or self.code)
        self.message = message
        self.reason = reason
        self.fields = fields or {}
        self.retry_after = retry_after
        self.scope = scope


class Unauthorized(SandboxError):
    code = "unauthorized"


class Forbidden(SandboxError):
    code = "forbidden"


class NotFound(SandboxError):
    code = "not_found"


class MethodNotAllowed(SandboxError):
    code = "method_not_allowed"

    allow: tuple[str, ...] = ()  # the methods the path takes, when known: the 405's `Allow` header


class InvalidRequest(SandboxError):
    """The request is well-formed JSON but breaks a rule; `fields` says which."""

    code = "invalid_request"


class MalformedBody(SandboxError):
    """The body is not JSON, or not the JSON shape the route takes."""

    code = "malformed_body"


class PayloadTooLarge(SandboxError):
    code = "payload_too_large"


class RateLimited(SandboxError):
    """`scope` names the limit that tripped; `retry_after` is whole seconds."""

    code = "rate_limited"


class InvalidState(SandboxError):
    """The action is not allowed in the record's current state."""

    code = "invalid_state"


class Conflict(SandboxError):
    code = "conflict"


class Unavailable(SandboxError):
    code = "unavailable"


# Every domain code, as a scenario fault names it (`act: {error: rate_limited}`), and the class
# a fault builds from `message`, `reason`, `fields`, `retry_after` and `scope` alone. A
# provider's own error with more to it (CDP's x402 402 carries a challenge) is not listed: a
# fault cannot build one, so naming it is a load-time error rather than a crash when it fires.
CODES: dict[str, type[SandboxError]] = {
    error.code: error
    for error in (
        SandboxError,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        InvalidRequest,
        MalformedBody,
        PayloadTooLarge,
        RateLimited,
        InvalidState,
        Conflict,
        Unavailable,
    )
}


class StateDirError(Exception):
    """`--state-dir` cannot be used; the message says which file and why (statedir.py). Not a
    SandboxError, never an answer: `sandbox serve` prints it and exits 2. Here, not in statedir.py,
    so `serve` can catch it without importing persistence, which a server without the option never needs."""
