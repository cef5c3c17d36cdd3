"""The examples users copy (`examples/<provider>/`) run in the main suite against a live
sandbox on a thread; this runs each of them again, in a fresh pytest, in the plugin's two other
modes: in-process (no socket), and against a `sandbox serve` started on its own (`--sandbox-url`),
where nothing is reset between tests and isolation comes from each test's credentials."""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.threaded import free_port

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SUITES = sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir() and not path.name.startswith(("_", ".")))

# Suites whose client opens its own sockets, so in-process every test skips, for this reason only.
SKIPPED_IN_PROCESS = {"cdp": "cdp-sdk opens its own sockets (aiohttp)"}


def run_examples(tmp_path: Path, *options: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Run every example suite in one fresh pytest; per suite, each test's outcome and message,
    read from its JUnit report. Any failure or error fails here."""
    report = tmp_path / "examples.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        *options,
        str(EXAMPLES),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert report.exists(), output
    suites: dict[str, dict[str, tuple[str, str]]] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        found = [child for child in case if child.tag in ("failure", "error", "skipped")]
        kinds = {child.tag for child in found}
        kind = "failed" if kinds & {"failure", "error"} else "skipped" if kinds else "passed"
        suite = case.get("classname", "").split(".")[1]  # examples.<suite>.test_…
        suites.setdefault(suite, {})[case.get("name", "?")] = (kind, " ".join(c.get("message", "") for c in found))
    assert result.returncode == 0, output
    assert sorted(suites) == SUITES, output  # every suite ran at least one test
    return suites


def test_example_suites_pass_in_process(tmp_path: Path) -> None:
    for suite, outcomes in run_examples(tmp_path, "--sandbox-mode=inprocess").items():
        reason = SKIPPED_IN_PROCESS.get(suite)
        if reason is None:
            assert all(kind == "passed" for kind, _ in outcomes.values()), (suite, outcomes)
        else:  # accepted only if every test skipped, each for the stated reason
            skipped_for_it = [kind == "skipped" and reason in message for kind, message in outcomes.values()]
            assert all(skipped_for_it), (suite, outcomes)


@pytest.fixture
def served() -> Iterator[str]:
    """`sandbox serve` as a CI job runs it, in a process of its own."""
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "sandbox serve did not answer"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_example_suites_pass_against_sandbox_serve(served: str, tmp_path: Path) -> None:
    for suite, outcomes in run_examples(tmp_path, f"--sandbox-url={served}").items():
        assert all(kind == "passed" for kind, _ in outcomes.values()), (suite, outcomes)
