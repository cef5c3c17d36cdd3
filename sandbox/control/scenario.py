"""Health, reset, and the active scenario: show it, or load another one.

`PUT /_sandbox/scenario` takes the scenario as YAML or JSON (JSON is YAML). A scenario that does
not validate, or whose fixtures cannot be built, answers 400 with the same `FILE:LINE: field:
problem` lines `sandbox check` prints, and the active scenario and all state stay as they were.
A good one replaces the settings and resets the sandbox: every session, counter and journal
entry is wiped, the clock restarts from the new scenario's `clock`, its fixtures are built and
its fault counters start at zero. Its `seed` replaces the running one; without a seed, the
running seed stays. `?source=NAME` names the text in error lines (`sandbox run` passes the
file's path). `?name=NAME` loads a shipped scenario (`sandbox scenarios` lists them) instead of a body.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import fixtures, pipeline, shipped
from sandbox.control._http import json_response, sandbox_of
from sandbox.scenarios import ScenarioError, load_text
from sandbox.state import Sandbox


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


async def reset(request: Request) -> Response:
    sandbox = sandbox_of(request)
    fixtures.fresh(sandbox)
    return json_response({"status": "reset", "seed": sandbox.entropy.seed, "clock": sandbox.clock.describe()})


def describe(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "scenario": sandbox.scenario.model_dump(mode="json", by_alias=True),
        "seed": sandbox.entropy.seed,
        "faults": sandbox.faults.describe(),
        "webhooks": sandbox.chaos.describe() if sandbox.chaos else [],
        "fixtures": sandbox.fixtures,
    }


async def show(request: Request) -> Response:
    return json_response(describe(sandbox_of(request)))


async def load(request: Request) -> Response:
    sandbox = sandbox_of(request)
    source = request.query_params.get("source", "<PUT /_sandbox/scenario>")
    name = request.query_params.get("name")
    try:
        if name is not None:
            text, source = shipped.named(name), request.query_params.get("source", f"{name.removesuffix('.yaml')}.yaml")
        else:
            text = (await pipeline.read_body(request, sandbox.body_limit)).decode("utf-8")  # over: 413 (app.py)
    except UnicodeDecodeError:
        return _invalid([f"{source}:1: the scenario must be UTF-8 text"])
    except shipped.UnknownScenario as error:
        return _invalid([str(error)])
    try:
        scenario = load_text(type(sandbox.scenario), text, source)
        seed = None if scenario.seed is not None else sandbox.entropy.seed
        settings = dataclasses.replace(sandbox.settings, scenario=scenario, seed=seed)
        fixtures.fresh(Sandbox(settings, sandbox.providers))  # a trial build: fixtures that fail raise here
    except ScenarioError as error:
        return _invalid(error.problems)
    sandbox.settings = settings
    fixtures.fresh(sandbox)
    return json_response(describe(sandbox))


def _invalid(problems: list[str]) -> Response:
    return json_response({"error": "invalid_scenario", "message": "\n".join(problems), "problems": problems}, 400)
