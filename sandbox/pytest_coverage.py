"""The pytest plugin's contract coverage: what the run exercised of each provider, summed.

The plugin (pytest_plugin.py) registers one `Collector` per run and feeds it reports
(`GET /_sandbox/coverage`): a server the run owns once, when it stops (its counts outlive the
reset before each test); on a shared server each test's namespace, just before it is dropped.
Under xdist each worker sends its sum to the controller in `workeroutput`, and the controller
adds them up in `pytest_testnodedown`. At the end of a run that used the sandbox it prints a
short summary, writes `--sandbox-coverage=PATH` (JSON, or HTML for a `.html` path) and fails the
run when `--sandbox-coverage-fail-under` is not met.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sandbox import coverage_report

OUTPUT_KEY = "sandbox_coverage"  # in xdist's workeroutput: the worker's report, as JSON


def add_options(group: Any) -> None:
    group.addoption(
        "--sandbox-coverage",
        metavar="PATH",
        default=None,
        help="write the run's contract coverage of the sandbox's providers to PATH (JSON; HTML if PATH ends in .html)",
    )
    group.addoption(
        "--sandbox-coverage-fail-under",
        metavar="DIMENSION:PERCENT",
        default=None,
        help="fail the run when contract coverage is below a threshold: e.g. transitions:80,errors:50 "
        "(dimensions: operations, transitions, errors, webhooks, faults; a bare PERCENT holds all of them)",
    )


class Collector:
    """The run's coverage, summed over every sandbox and namespace it used."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.report: dict[str, Any] = coverage_report.empty()
        self.read_any = False
        spec = config.getoption("--sandbox-coverage-fail-under")
        try:
            self.thresholds = coverage_report.parse_thresholds(spec) if spec else {}
        except ValueError as error:
            raise pytest.UsageError(f"--sandbox-coverage-fail-under: {error}") from None
        self.shortfalls: list[str] = []

    def add(self, report: dict[str, Any]) -> None:
        self.report = coverage_report.merge([self.report, report])
        self.read_any = True

    def read(self, http: httpx.Client, base_url: str) -> None:
        """Add the coverage of the sandbox at `base_url` (a server or a namespace)."""
        try:
            response = http.get(base_url + "/_sandbox/coverage")
        except httpx.HTTPError:
            return  # the server is gone: what it counted is lost, the tests' outcomes are not
        if response.status_code == 200:
            self.add(response.json())

    # hooks --------------------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist's controller: a worker finished; add what it counted."""
        sent = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
        if sent:
            self.add(json.loads(sent))

    @pytest.hookimpl(trylast=True)  # after the session fixtures' teardown, which reads an owned server
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workeroutput"):  # an xdist worker: the controller reports
            if self.read_any:
                self.config.workeroutput[OUTPUT_KEY] = json.dumps(self.report)
            return
        if not self.read_any:
            return
        path = self.config.getoption("--sandbox-coverage")
        if path:
            coverage_report.write(self.report, path)
        self.shortfalls = coverage_report.shortfalls(self.report, self.thresholds)
        if self.shortfalls and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workeroutput") or not self.read_any:
            return
        terminalreporter.section("sandbox contract coverage")
        for line in coverage_report.lines(self.report):
            terminalreporter.write_line(line)
        path = self.config.getoption("--sandbox-coverage")
        if path:
            terminalreporter.write_line(f"coverage report written to {path}")
        for line in self.shortfalls:
            terminalreporter.write_line(f"FAIL: {line}", red=True)


def collector(config: pytest.Config) -> Collector | None:
    found: Collector | None = config.pluginmanager.get_plugin("sandbox-coverage")
    return found
