"""The provider contract: everything the core asks of a provider, and everything it gives one.

A provider is one `ProviderSpec` value (its package's `__init__.py` builds it): data plus a few
functions, checked by mypy, with no optional members found by probing. A handler receives a
`Call`, which says what the request was (method, path, headers, query, body, who sent it) and
carries the narrow `Services` a handler may touch: the clock, the seeded RNG, the store, the
webhook outbox, typed settings and `emit`. Nothing here imports Starlette: the pipeline turns
an HTTP request into a `Call` and a `Reply` into a response, and fixtures and control actions
build a `Call` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel

from sandbox import params
from sandbox.clock import Clock
from sandbox.entropy import Entropy
from sandbox.errors import MalformedBody, SandboxError
from sandbox.machine import Lifecycle, Stateful, Transition
from sandbox.ratelimit import Limit
from sandbox.store import Store
from sandbox.webhooks import Endpoint, Event, Policy, Webhooks

MALFORMED = object()  # `Call.body` when the bytes are not JSON

S = TypeVar("S", bound=BaseModel)


class ScenarioView(Protocol):
    """What a provider reads of the active scenario beyond its typed blocks: the raw merchant
    blocks, and where a node sits in the YAML (for `FILE:LINE` load errors)."""

    def merchants_for(self, provider: str) -> dict[str, Any]: ...

    def where(self, path: Sequence[str | int]) -> str: ...


class Services(Protocol):
    """What a handler, an action or a deadline hook may touch: one sandbox's state, narrowly."""

    clock: Clock
    entropy: Entropy
    store: Store
    webhooks: Webhooks

    @property
    def scenario(self) -> ScenarioView: ...

    def provider_settings(self, provider: str, model: type[S]) -> S:
        """The scenario's settings block of `provider` (its `settings_model`)."""
        ...

    def merchants(self, provider: str, model: type[S]) -> dict[str, S]:
        """Merchant name -> `provider`'s block (its `merchant_model`), for merchants that declare one."""
        ...

    def emit(self, *transitions: Transition) -> None:
        """Record state changes, and queue the webhooks their providers send for them."""
        ...


@dataclass(frozen=True, slots=True)
class Merchant:
    """Whoever the credential names: the tenant that owns records, limits and webhooks."""

    id: str
    kind: str  # provider's word for the credential: "public", "secret", "jwt", "api_key", "session_token"


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    html: str | None = None
    encoded: bytes | None = None  # `body` as JSON bytes, when already encoded (an idempotent replay)


_NAMES: dict[str, bytes] = {}  # header name as asked -> as ASGI spells it


class Headers:
    """Request headers over the raw ASGI list: case-insensitive, first value wins, latin-1, as
    Starlette's `Headers.get`, without building a dict on every request."""

    __slots__ = ("raw",)

    def __init__(self, raw: Sequence[tuple[bytes, bytes]]) -> None:
        self.raw = raw

    @classmethod
    def of(cls, headers: Mapping[str, Any]) -> Headers:
        """From a mapping, as an HTTP client would send it (names lowercased, values as UTF-8)."""
        return cls([(str(name).lower().encode(), str(value).encode()) for name, value in headers.items()])

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = _NAMES.get(name)
        if wanted is None:
            wanted = name.lower().encode("latin-1")
            if len(_NAMES) < 256:  # the few names the code asks for, not whatever a client sends
                _NAMES[name] = wanted
        for key, value in self.raw:
            if key == wanted:
                return value.decode("latin-1")
        return default

    def text(self, name: str) -> str:
        """The header's value, or "" when absent."""
        return self.get(name) or ""

    def items(self) -> list[tuple[str, str]]:
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self.raw]


@dataclass(slots=True)
class Call:
    """One request, as handlers see it: the same whether it came over HTTP or from a fixture."""

    services: Services
    provider: ProviderSpec
    operation: str
    method: str
    path: str  # decoded, below the sandbox's root (what the journal shows)
    raw_path: str  # as sent, percent-encoding kept (what a CDP JWT signs)
    path_params: Mapping[str, str]
    headers: Headers
    client_ip: str
    base_url: str  # the sandbox's own origin as the client reached it, for URLs we hand out
    now: datetime
    query_string: bytes = b""
    root: str = ""  # the namespace's path prefix (`/ns/name`, or "" for the default): for paths we hand out
    raw: bytes = b""
    body: Any = None
    merchant: Merchant | None = None
    notes: list[str] = field(default_factory=list)
    fault: int | None = None  # the scenario fault rule answering this call (faults.py)
    error: str = ""  # the domain code of the error rendered for this call, if any (coverage.py counts it)
    _query: list[tuple[str, str]] | None = None

    def _pairs(self) -> list[tuple[str, str]]:
        if self._query is None:  # parsed on first use: most operations read no query
            self._query = parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True)
        return self._query

    @property
    def query(self) -> Mapping[str, str]:
        """Name -> value; a repeated name gives its last value (as Starlette's `QueryParams`)."""
        return dict(self._pairs())

    def query_all(self, name: str) -> list[str]:
        """Every value of a repeated query parameter, in order."""
        return [value for key, value in self._pairs() if key == name]

    def render(self, error: SandboxError) -> Reply:
        """The provider's reply for `error`, remembering its code (contract coverage counts it)."""
        self.error = error.code
        return self.provider.render_error(error, self)

    def owner(self) -> Merchant:
        if self.merchant is None:  # an operation without auth asked for its merchant: a table bug
            raise RuntimeError(f"{self.operation} has no authenticated merchant")
        return self.merchant

    def json_object(self) -> dict[str, Any]:
        if self.body is MALFORMED or not isinstance(self.body, dict):
            raise MalformedBody("the request body must be a JSON object")
        return self.body


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Operation:
    """One row of a provider's table: the real method and path, and how the pipeline runs it."""

    name: str
    method: str
    path: str
    handler: Handler
    auth: Enum | None  # passed to ProviderSpec.authenticate; None: no credential (payer-side pages)
    limits: Callable[[Call], Iterable[Limit]] | None = None
    idempotency_key: Callable[[Call], str | None] | None = None


@dataclass(frozen=True)
class Webhooking:
    """How a provider that sends webhooks turns state changes into signed deliveries."""

    policy: Policy
    events: Callable[[Transition, Any], list[Event]]  # (the change, its record) -> what to send
    secret: Callable[[str], str]  # merchant -> its default signing secret
    # The endpoints the scenario's merchant blocks set, by merchant (checked as a whole: ScenarioError).
    endpoints: Callable[[ScenarioView], dict[str, Endpoint]] = lambda scenario: {}


@dataclass(frozen=True)
class Table:
    """Rows a provider keeps beside its sessions that tests create and change through the control
    API (`/_sandbox/{provider}/{name}/...`, control/tables.py): CDP's mandates, which the real API
    makes and moves through flows the sandbox does not serve. The rows live in the store
    (`Store.table`), so each sandbox has its own, a reset refills them from the scenario (`seed`)
    and a snapshot or `--state-dir` keeps them; a row is one of the provider's dataclasses (what
    a snapshot may hold). The functions raise `InvalidRequest` for a body they refuse."""

    seed: Callable[[Services], dict[str, Any]]  # id -> row, as the scenario declares them
    create: Callable[[Services, dict[str, Any]], Any]  # a control body -> a new row (its id drawn if absent)
    change: Callable[[Any, dict[str, Any]], Any]  # (row, the fields a control body changes) -> the new row
    describe: Callable[[Any], dict[str, Any]]  # row -> what the control API shows (the body's field names)
    cap: int  # rows a sandbox may hold: creating past it is refused (a 409), never an eviction


def _tenant(tenant: str) -> str:
    return tenant


def _no_credentials(tenant: str) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class ProviderSpec:
    """Everything the core uses of a provider, on one screen."""

    name: str  # also the mount prefix: /payviox/...
    title: str
    base_path: str  # the base URL path a client is given: /payviox, /cdp/platform
    lifecycle: Lifecycle
    settings_model: type[BaseModel]  # its block under the scenario's `providers:`
    operations: Sequence[Operation]
    # The payer's and the network's side: POST /_sandbox/{name}/sessions/{id}/actions/{action}
    actions: Mapping[str, Handler]
    authenticate: Callable[[Call, Any], Merchant]  # (call, Operation.auth) -> the merchant, or a SandboxError
    render_error: Callable[[SandboxError, Call], Reply]  # the provider's own envelope, for every error
    describe: Callable[[Any, str], dict[str, Any]]  # (record, namespace prefix) -> what the control API shows
    # Domain error code (errors.py) -> how it goes on this provider's wire (envelopes.Wire).
    errors: Mapping[str, Any] = field(default_factory=dict)
    merchant_model: type[BaseModel] | None = None  # its block under a scenario merchant
    webhooks: Webhooking | None = None  # None: sends no webhooks
    # What a record's deadline does (CDP settles pending actions); None: the lifecycle expires it.
    on_due: Callable[[Services, Stateful, datetime], list[Transition]] | None = None
    # The pytest plugin's fresh credentials for a tenant, and the merchant they name.
    test_credentials: Callable[[str], dict[str, str]] = _no_credentials
    test_merchant: Callable[[str], str] = _tenant
    # Action name -> the model of its body (params.py): checked before the handler, by `sandbox
    # check`, and the source of docs/actions.md.
    action_params: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)  # table name -> its rows' functions

    def action(self, name: str) -> Handler:
        """The action's handler, behind a check that its body names only declared parameters (a
        typo is a 400 that names the right one, not a default silently taken)."""
        handler, model = self.actions[name], self.action_params.get(name)
        if model is None:
            return handler

        def checked(call: Call) -> Reply:
            if isinstance(call.body, dict):  # a body that is no object is the handler's to refuse
                found = params.problems(model, call.body, unknown_only=True)
                if found:
                    raise params.refusal(found)
            return handler(call)

        return checked
