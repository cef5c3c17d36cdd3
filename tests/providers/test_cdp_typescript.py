"""Coinbase's TypeScript client, `@coinbase/cdp-sdk` (pinned in tests/node/package.json), unchanged,
against a live sandbox.

The client-side tests are node's own (`tests/node/*.test.mjs`, node's built-in runner): they drive
the SDK's generated payment-session and webhook-subscription functions (the package's public
`CdpClient` has none yet; tests/node/cdp.mjs says how they are imported) through the lifecycle,
idempotent retries, CDP's error envelope and webhook subscriptions. This test serves a sandbox on
a real port, runs `node --test tests/node/` with SANDBOX_URL pointing at it and fails with node's
report if any node test fails.

`make test` installs the SDK first (`npm ci` in tests/node, when node is installed); without
tests/node/node_modules this test skips and says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app

NODE_TESTS = Path(__file__).resolve().parents[1] / "node"
SDK = NODE_TESTS / "node_modules" / "@coinbase" / "cdp-sdk"
TIMEOUT_SECONDS = 300  # the whole node run takes a few seconds; never a stall


def test_coinbase_typescript_client_against_a_live_sandbox() -> None:
    if not SDK.is_dir():
        pytest.skip(
            "tests/node/node_modules is absent, so Coinbase's TypeScript client is not installed: "
            "`make test` installs it when node is on PATH, or run `npm ci --prefix tests/node`"
        )
    node = shutil.which("node")
    assert node is not None, "tests/node/node_modules is installed but `node` is not on PATH"
    env = {
        **os.environ,
        "NO_COLOR": "1",
        # The SDK reports errors and usage to Coinbase unless told not to; these tests stay local.
        "DISABLE_CDP_ERROR_REPORTING": "true",
        "DISABLE_CDP_USAGE_TRACKING": "true",
    }
    with serve_in_thread(make_app(manual=False)) as url:
        env["SANDBOX_URL"] = url
        try:
            run = subprocess.run(
                [node, "--test", "--test-reporter=spec", str(NODE_TESTS)],
                cwd=NODE_TESTS,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as timeout:
            pytest.fail(f"node --test did not finish in {TIMEOUT_SECONDS}s:\n{timeout.stdout}\n{timeout.stderr}")
    report = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, f"node --test failed (exit {run.returncode}):\n{report}"
    counts = {name: int(count) for name, count in re.findall(r"^\S* ?(pass|fail) (\d+)$", run.stdout, re.M)}
    assert counts.get("fail") == 0 and counts.get("pass", 0) >= 15, f"unexpected node report:\n{report}"
