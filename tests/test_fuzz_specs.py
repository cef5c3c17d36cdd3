"""Schemathesis against the providers' own OpenAPI specs (CDP and Payviox, tests/providers/specs/).

Every operation of each spec gets cases schemathesis generates from the spec (valid and
invalid data), sent through the app in-process (CDP with a freshly signed JWT per case). Each
answer must be: below 500; a status the spec lists for that operation, or one FIDELITY.md says
why the sandbox answers (the allowlist below, each with its FIDELITY reason); and a body that
validates against the schema the spec gives that status (for an allowlisted status, the
provider's error envelope). The budget is per provider: FUZZ_CASES (default 120, what `make
test` runs in a few seconds); `make fuzz` runs 1,000+. Derandomized: the same cases every run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from openapi_schema_validator import OAS30Validator, OAS31Validator
from schemathesis import openapi
from starlette.applications import Starlette

from tests.support import cdp_calls
from tests.support.apps import make_app

SPECS = Path(__file__).parent / "providers" / "specs"
CASES = int(os.environ.get("FUZZ_CASES", "120"))

# (provider, status) -> why the sandbox answers a status the spec does not list (FIDELITY.md).
ALLOWED: dict[tuple[str, int], str] = {
    ("payviox", 400): "FIDELITY Payviox: validation errors answer 400 with per-field messages (Laravel-style); "
    "the OpenAPI copy lists only the success",
    ("payviox", 401): "FIDELITY Payviox: 401 {'error':'Unauthorized'} for a missing or invalid key (CS, AUTH)",
    ("payviox", 404): "FIDELITY Payviox: 404 'Payment not found' / 'Session not found' for an unknown id (GPD, OAS)",
    ("payviox", 405): "FIDELITY Payviox: 405 {'error':'Method Not Allowed'} for unknown routes",
    ("payviox", 413): "FIDELITY Payviox: 413 above 1 MiB",
    ("payviox", 429): "FIDELITY Payviox: 429 rate_limit_exceeded, per IP and per customer (CS)",
    ("cdp", 401): "FIDELITY CDP: 401 unauthorized (OAS UnauthorizedError), on every route",
    ("cdp", 405): "FIDELITY CDP: 405 and 413 answer in the CDP envelope with invalid_request",
    ("cdp", 413): "FIDELITY CDP: 405 and 413 answer in the CDP envelope with invalid_request",
    ("cdp", 400): "FIDELITY CDP: the payment-specific error types answer 400 (their status is not public)",
    ("cdp", 404): "FIDELITY CDP: an unknown or another key's session is a 404 not_found, on every route",
    ("cdp", 422): "FIDELITY CDP: a reused X-Idempotency-Key with another payload is 422 idempotency_error",
}


def _spec(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SPECS / name).read_text())
    return loaded


PROVIDERS: dict[str, tuple[str, str, Callable[[], dict[str, str]]]] = {
    # provider -> (spec file, mount prefix, fresh credentials per case)
    "payviox": ("payviox.openapi.yaml", "/payviox", lambda: {"Authorization": "Bearer sk_test_fuzz"}),
    "cdp": ("cdp-payment-sessions.openapi.yaml", "/cdp/platform", lambda: cdp_calls.token("fuzz-key")),
}


def _operations(provider: str) -> list[Any]:
    schema = openapi.from_path(SPECS / PROVIDERS[provider][0])
    return [result.ok() for result in schema.get_all_operations()]


def _response_schema(spec: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any] | None:
    if "$ref" in declared:
        declared = spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    content = declared.get("content", {}).get("application/json")
    return None if content is None else content.get("schema")


def check_answer(provider: str, spec: dict[str, Any], method: str, path: str, status: int, body: Any) -> None:
    assert status < 500, (method, path, status, body)
    declared = spec["paths"][path][method.lower()]["responses"]
    key = str(status) if str(status) in declared else "default" if "default" in declared else None
    if key is None:
        assert (provider, status) in ALLOWED, f"{method} {path} answered {status}, which the spec does not list: {body}"
        return
    schema = _response_schema(spec, declared[key])
    if schema is None or body is None:
        return
    validator_class = OAS31Validator if spec["openapi"].startswith("3.1") else OAS30Validator
    validator = validator_class({**schema, "components": spec.get("components", {})})
    validator.validate(body)


def _case_ids(provider: str) -> list[tuple[str, Any]]:
    return [(provider, operation) for operation in _operations(provider)]


OPERATIONS = [pair for provider in PROVIDERS for pair in _case_ids(provider)]


@pytest.mark.parametrize(
    ("provider", "operation"), OPERATIONS, ids=[f"{p}:{op.method.upper()} {op.path}" for p, op in OPERATIONS]
)
def test_spec_cases_get_listed_statuses_and_valid_bodies(provider: str, operation: Any) -> None:
    file, prefix, credentials = PROVIDERS[provider]
    spec = _spec(file)
    per_operation = max(5, math.ceil(CASES / sum(1 for p, _ in OPERATIONS if p == provider)))
    app: Starlette = make_app()

    @settings(
        max_examples=per_operation,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(app=app, base_url=f"http://sandbox.test{prefix}", headers=credentials())
        try:
            body = response.json()
        except ValueError:
            body = None
        check_answer(provider, spec, operation.method, operation.path, response.status_code, body)

    run()
