"""Every scenario shipped in `scenarios/` passes `sandbox check` and `sandbox run` (in-process)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.cli import main
from sandbox.registry import ScenarioModel
from sandbox.scenarios import load_file

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))

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
    assert default is not None and (ROOT / default.group(1)) in SHIPPED  # `make serve` runs one of them


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
