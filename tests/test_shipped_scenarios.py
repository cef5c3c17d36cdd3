"""Every scenario shipped in `scenarios/` passes `sandbox check` and `sandbox run` (in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.app import ScenarioModel
from sandbox.cli import main
from sandbox.scenarios import load_file

SHIPPED = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def test_the_library_is_there() -> None:
    assert "default.yaml" in [path.name for path in SHIPPED]
    assert len(SHIPPED) >= 8


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
