"""The README is tested: every `sh` block in it runs against a live `sandbox serve`.

A block runs with bash (`set -euo pipefail`), its `127.0.0.1:4242` pointed at a server of its
own on a free port, from the repository root with `.venv/bin` first on the PATH. A comment
`<!-- readme-test: expect "TEXT" -->` just above a block says what its output must contain; a
`<!-- readme-test: skip (why) -->` leaves a block out, and says why (the set-up commands).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.threaded import free_port
from tests.support.apps import wait_until_answers

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<marker>[^>]*) -->\n)?```sh\n(?P<code>.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Block:
    line: int
    code: str
    marker: str

    @property
    def skipped(self) -> bool:
        return self.marker.startswith("skip")

    @property
    def expected(self) -> list[str]:
        return re.findall(r'expect "([^"]+)"', self.marker)


def blocks() -> list[Block]:
    text = (ROOT / "README.md").read_text()
    return [
        Block(text[: found.start("code")].count("\n") + 1, found.group("code"), found.group("marker") or "")
        for found in BLOCK.finditer(text)
    ]


def test_every_block_is_run_or_says_why_not() -> None:
    found = blocks()
    assert len(found) >= 4
    for block in found:
        if block.skipped:
            assert re.fullmatch(r"skip \(.+\)", block.marker), f"README line {block.line}: a skip says why"


@pytest.fixture
def server() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--seed", "1", "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    "block", [block for block in blocks() if not block.skipped], ids=lambda block: f"line{block.line}"
)
def test_the_readme_block_runs(block: Block, server: str) -> None:
    code = block.code.replace("http://127.0.0.1:4242", server)
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"README line {block.line} failed:\n{done.stdout}\n{done.stderr}"
    for text in block.expected:
        assert text in done.stdout, f"README line {block.line}: {text!r} not in its output:\n{done.stdout}"
