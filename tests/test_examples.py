"""The examples users copy (`examples/<provider>/`) run in the main suite against a live
sandbox; this runs each of them again in the plugin's in-process mode, in a fresh pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("suite", sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir()))
def test_example_suite_passes_in_process(suite: str) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--sandbox-mode=inprocess",
               str(EXAMPLES / suite)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=EXAMPLES.parent, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
