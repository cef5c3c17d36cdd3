"""Every shipped scenario (package data in sandbox/shipped/) passes `sandbox check` and `sandbox run`
(in-process), and a shipped name works wherever a file does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox import shipped
from sandbox.cli import main
from sandbox.registry import ScenarioModel
from sandbox.scenarios import load_file

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(shipped.FOLDER.glob("*.yaml"))

# The failure modes the library must show (issue: "at least one scenario per failure mode the
# users asked for"), each with what its `sandbox run` timeline must print to count as shown.
DEMONSTRATES: dict[str, list[str]] = {
    "payviox-happy-path": ["<- 201", "open -> succeeded (pay_succeeded)"],
    "cdp-happy-path": ["-> capture_succeeded (capture_succeeded)"],
    "cubepay-happy-path": ["CAPTURING -> SUCCEEDED", "webhook SUCCEEDED -> inbox:cubepay-mch_shop"],
    "payviox-rate-limit-per-ip": ['<- 429 {"error":"rate_limit_exceeded"', '"type":"ip","retry_after":60}'],
    "payviox-rate-limit-per-customer": ['<- 429 {"error":"rate_limit_exceeded"', '"type":"customer"'],
    "payviox-ip-mismatch": ['<- 403 {"error":"IP mismatch","message":"Request IP does not match session IP"}'],
    "payviox-session-expiry": ["open -> expired (expire)"],
    "cdp-authorization-deadline": ['<- 400 {"errorType":"authorization_expired"'],
    "cdp-capture-fails": ["capture_pending -> capture_failed"],
    "cdp-lost-response": ["<- connection failed", 'fired (after_commit: {"drop":true})', "<- 200"],
    "cubepay-under-funded": ["cannot be captured in status PENDING", "PENDING -> FUNDED"],
    "flaky-network": ["<- 503", '(before_commit: {"latency":', '(before_commit: {"error":"unavailable"})'],
}


def test_the_library_has_every_failure_mode_and_the_default() -> None:
    names = [path.stem for path in SHIPPED]
    assert [mode for mode in DEMONSTRATES if mode not in names] == []
    makefile = (ROOT / "Makefile").read_text()
    default = re.search(r"^SCENARIO \?= (\S+)$", makefile, re.MULTILINE)
    assert default is not None and shipped.find(default.group(1)) in SHIPPED  # `make serve` runs one of them
    assert (ROOT / "scenarios" / "default.yaml").read_text() == shipped.path_of("default").read_text()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_check(path: Path) -> None:
    assert main(["check", str(path)]) == 0


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_run(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_file(ScenarioModel, path).steps, "a shipped scenario demonstrates itself with steps"
    code = main(["run", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "steps passed" in out
    for shown in DEMONSTRATES.get(path.stem, []):
        assert shown in out, f"{path.name} no longer shows {shown!r}"


def test_the_scenarios_are_package_data() -> None:
    import tomllib

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    assert "*.yaml" in package_data and shipped.FOLDER.parent.name == "sandbox"
    assert len(shipped.names()) == len(SHIPPED) >= 15


def test_sandbox_scenarios_lists_names_and_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(SHIPPED)
    line = next(line for line in lines if line.startswith("payviox-rate-limit-per-customer "))
    assert (
        line.split(None, 1)[1]
        == load_file(ScenarioModel, shipped.path_of("payviox-rate-limit-per-customer")).description
    )


@pytest.mark.parametrize("reference", ["flaky-network", "flaky-network.yaml", "scenarios/flaky-network.yaml"])
def test_a_name_works_where_a_file_does(
    reference: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a project of the user's: no scenarios/ folder here
    assert main(["check", reference]) == 0
    assert main(["run", reference]) == 0
    assert "steps passed" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["check", "run"])
def test_an_unknown_name_is_one_line_with_the_nearest(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "payviox-rate-limit-per-customr"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "did you mean 'payviox-rate-limit-per-customer'?" in err


@pytest.mark.anyio
async def test_the_control_api_loads_a_shipped_scenario_by_name() -> None:
    from tests.support.apps import client_for, make_app

    async with client_for(make_app()) as client:
        loaded = await client.put("/_sandbox/scenario", params={"name": "payviox-rate-limit-per-customer"})
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["scenario"]["name"] == "payviox-rate-limit-per-customer"
        refused = await client.put("/_sandbox/scenario", params={"name": "../../pyproject.toml"})
        assert refused.status_code == 400
        assert "no scenario file or shipped scenario" in refused.json()["message"]
