"""The project's own promises: the package and its console script, the two make targets a fresh
machine needs, CI calling `make lint` and `make test`, and one default port that the CLI, the Makefile and the
README agree on."""

from __future__ import annotations

import importlib.metadata
import os
import re
import signal
import socket
import subprocess
import tomllib
from pathlib import Path

import httpx

from sandbox.cli import DEFAULT_PORT
from tests.support.apps import wait_until_answers

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_declares_its_script_python_and_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "sandbox"
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"] == {"sandbox": "sandbox.cli:main"}
    runtime = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in project["dependencies"]}
    assert {"starlette", "uvicorn", "pydantic", "faker", "pyyaml", "httpx"} <= runtime
    assert any(requirement.startswith("uvicorn[standard]") for requirement in project["dependencies"])  # uvloop
    assert any(requirement.startswith("pydantic>=2") for requirement in project["dependencies"])
    tests = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in project["optional-dependencies"]["test"]}
    assert {"pytest", "freezegun"} <= tests


def test_the_console_script_is_installed() -> None:
    [script] = importlib.metadata.entry_points(group="console_scripts", name="sandbox")
    assert script.value == "sandbox.cli:main"


def test_make_serve_installs_the_runtime_make_test_everything_and_ci_runs_lint_and_test() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^serve: \$\(RUNTIME\)$", makefile, re.MULTILINE)  # the runtime only, into .venv first
    assert re.search(r"^test: \$\(STAMP\)", makefile, re.MULTILINE)  # the runtime, then the test extras
    assert re.search(r"^lint: \$\(STAMP\)", makefile, re.MULTILINE)
    assert re.search(r"^\$\(RUNTIME\): pyproject\.toml\n.*-m venv", makefile, re.MULTILINE)
    assert re.search(r"^\$\(STAMP\): \$\(RUNTIME\)$", makefile, re.MULTILINE)
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", makefile, re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.splitlines()[-2:] == ["make lint", "make test"]


def test_one_default_port_everywhere() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^PORT \?= {DEFAULT_PORT}$", makefile, re.MULTILINE)
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make serve" in first_block and "make test" in first_block  # shown first
    assert f"http://127.0.0.1:{DEFAULT_PORT}" in first_block
    ports = set(re.findall(r"http://127\.0\.0\.1:(\d+)", readme))
    assert ports == {str(DEFAULT_PORT)}, f"the README names other ports: {ports}"


def test_the_readme_shows_where_to_point_a_client_for_every_provider() -> None:
    from sandbox.registry import PROVIDERS

    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Point your client at it", 1)[1].split("\n\n", 2)[1]
    for provider in PROVIDERS.values():
        assert f"`http://127.0.0.1:{DEFAULT_PORT}{provider.base_path}`" in table, provider.name


def test_make_serve_serves_the_default_scenario() -> None:
    """The README's first command, as a newcomer types it (on a free port): it serves, and the
    scenario it serves is the default one. In CI `make test` has installed the runtime already."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answers(url, process, seconds=300)
        scenario = httpx.get(f"{url}/_sandbox/scenario", timeout=5).json()
        assert scenario["scenario"]["name"] == "default", scenario
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # make and the server it started
        process.communicate(timeout=30)
