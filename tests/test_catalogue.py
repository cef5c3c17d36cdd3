"""The catalogue: every provider's package layout, operation table and error table, checked in one place.

Learn one provider, read them all: every package has the same modules for the same roles. Every
operation in a table answers over HTTP in its provider's envelope (never the app's 404, never a
500), and every row of an error table renders with that row's status and some words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.contract import Call, Headers, Operation, ProviderSpec
from sandbox.envelopes import Wire
from sandbox.errors import CODES
from sandbox.registry import PROVIDERS
from sandbox.state import Sandbox, Settings
from tests.support.apps import client_for, make_app

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1] / "sandbox" / "providers"
ROLES = {
    "__init__",  # the ProviderSpec
    "provider",  # the API's handlers and operation table
    "auth",  # credentials: the Auth kinds and authenticate
    "lifecycle",  # states and transitions
    "settings",  # the scenario settings block
    "records",  # the session record
    "ledger",  # money and state operations, no HTTP
    "actions",  # the payer's and the network's side (control API)
    "wire",  # views and messages on the wire
    "errors",  # the error table
    "webhooks",  # events, signatures, retries
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_every_provider_package_has_the_same_roles(name: str) -> None:
    modules = {path.stem for path in (ROOT / name).glob("*.py")}
    assert ROLES <= modules, f"{name} lacks {sorted(ROLES - modules)}"


def _operations() -> list[tuple[ProviderSpec, Operation]]:
    return [(provider, op) for provider in PROVIDERS.values() for op in provider.operations]


@pytest.mark.parametrize(("provider", "op"), _operations(), ids=lambda value: getattr(value, "name", ""))
async def test_every_operation_answers_in_its_providers_envelope(provider: ProviderSpec, op: Operation) -> None:
    path = "/" + provider.name + re.sub(r"\{[^}]+\}", "unknown-id", op.path)
    async with client_for(make_app()) as client:
        response = await client.request(op.method, path, content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    if response.status_code == 404 and response.headers.get("content-type", "").startswith("application/json"):
        assert "providers live under" not in response.text  # the app's own 404: no route took it


def _rows() -> list[tuple[ProviderSpec, str, Wire]]:
    return [(provider, code, wire) for provider in PROVIDERS.values() for code, wire in provider.errors.items()]


def _call(provider: ProviderSpec) -> Call:
    sandbox = Sandbox(Settings(scenario=make_app().state.sandbox.scenario), PROVIDERS)
    headers = Headers.of({"host": "sandbox.test"})
    return Call(
        sandbox,
        provider,
        "catalogue",
        "GET",
        "/",
        "/",
        {},
        headers,
        "127.0.0.1",
        "http://sandbox.test",
        sandbox.clock.now(),
    )


@pytest.mark.parametrize(
    ("provider", "code", "wire"), _rows(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_every_error_row_renders_its_status_with_words(provider: ProviderSpec, code: str, wire: Wire) -> None:
    assert code in CODES, f"{provider.name} has a row for {code!r}, which no domain error has"
    reply = provider.render_error(CODES[code]("the sandbox's reason"), _call(provider))
    assert reply.status == wire.status
    assert reply.body and all(value not in ("", None) for value in _words(reply.body)), reply.body
    silent = provider.render_error(CODES[code](), _call(provider))  # an error without a message still says something
    assert silent.status == wire.status and all(value not in ("", None) for value in _words(silent.body))


def _words(body: object) -> list[object]:
    if isinstance(body, dict):
        return [value for key, value in body.items() if key in ("error", "message", "errorMessage")]
    return [body]


@pytest.mark.parametrize("provider", list(PROVIDERS.values()), ids=lambda provider: provider.name)
def test_every_domain_code_has_a_row(provider: ProviderSpec) -> None:
    missing = sorted(set(CODES) - set(provider.errors) - {"internal"})
    assert not missing, f"{provider.name} renders {missing} only through its fallback"


async def test_the_unmatched_path_of_every_provider_is_its_own_404() -> None:
    async with client_for(make_app()) as client:
        for provider in PROVIDERS.values():
            response = await client.get(f"/{provider.name}/no/such/route")
            assert response.status_code == 404
            assert "providers live under" not in response.text
            assert isinstance(response.json(), dict)
