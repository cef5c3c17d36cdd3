"""`sandbox serve | check | run`: the command line.

`serve` runs one uvicorn worker and refuses more: all state lives in one process, so a
second worker would be a second, disagreeing sandbox. Scale out with one sandbox per CI job,
or with tenants (one credential each) inside one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4242
DEFAULT_SCENARIO = "scenarios/default.yaml"
DEFAULT_MAX_SESSIONS = 100_000  # Settings.max_sessions
MAX_SESSIONS_ENV = "SANDBOX_MAX_SESSIONS"


def _positive(text: str) -> int:
    if not text.strip().isascii() or not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return int(text)


def max_sessions(flag: int | None) -> int:
    """--max-sessions, else $SANDBOX_MAX_SESSIONS, else the default; ValueError for a bad variable."""
    if flag is not None:
        return flag
    raw = os.environ.get(MAX_SESSIONS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_SESSIONS
    try:
        return _positive(raw)
    except argparse.ArgumentTypeError as error:
        raise ValueError(f"{MAX_SESSIONS_ENV}: {error}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description="A local sandbox for CDP, CubePay and Payviox.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the sandbox over HTTP")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--scenario", help="a scenario YAML file")
    serve.add_argument("--seed", type=int, help="seed for ids and tokens (default: the scenario's, else random)")
    serve.add_argument("--workers", type=int, default=1, help="must be 1: state lives in one process")
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--max-sessions",
        type=_positive,
        default=None,
        help=f"sessions kept, all providers together; past it the longest-settled go first, then the oldest "
        f"(default: ${MAX_SESSIONS_ENV}, else {DEFAULT_MAX_SESSIONS:,})",
    )
    check = commands.add_parser("check", help="validate scenario files")
    check.add_argument("files", nargs="+")
    run = commands.add_parser("run", help="play a scenario's steps and print the timeline (exit 1 on a failure)")
    run.add_argument("file")
    run.add_argument("--url", help="a running sandbox to play against (default: in-process)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args.files)
    if args.command == "run":
        return _run(args.file, args.url)
    return _serve(args)


# A scenario that cannot be loaded: ScenarioError (a ValueError) with its FILE:LINE problems, or
# a file that cannot be read; other ValueErrors (a fixture's own) are named after the file.
UNLOADABLE = (ValueError, OSError)


def problem(path: str, error: Exception) -> str:
    from sandbox.scenarios import ScenarioError

    if isinstance(error, ScenarioError | OSError):
        return str(error)  # already names the file
    return f"{path}:1: {error}"


def _check(files: list[str]) -> int:
    """Validate each file and build its fixtures (a fixture that cannot be built is an error too)."""
    from sandbox.app import new_sandbox
    from sandbox.registry import ScenarioModel
    from sandbox.scenarios import load_file
    from sandbox.state import Settings

    failed = 0
    for path in files:
        try:
            new_sandbox(Settings(scenario=load_file(ScenarioModel, path)))
        except UNLOADABLE as error:
            failed += 1
            print(problem(path, error), file=sys.stderr)
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def _run(path: str, url: str | None) -> int:
    import asyncio
    from pathlib import Path

    from sandbox.registry import ScenarioModel
    from sandbox.runner import run
    from sandbox.scenarios import load_text

    try:
        text = Path(path).read_text()
        scenario = load_text(ScenarioModel, text, path)
        return asyncio.run(run(scenario, text, path, url))
    except UNLOADABLE as error:
        print(problem(path, error), file=sys.stderr)
        return 1


def banner(host: str, port: int, seed: int, scenario: str) -> str:
    from sandbox.registry import PROVIDERS

    origin = f"http://{host}:{port}"
    bases = "  ".join(f"{name} {origin}{provider.base_path}" for name, provider in PROVIDERS.items())
    return f"sandbox on {origin}  |  {bases}  |  control {origin}/_sandbox  |  seed {seed}, scenario {scenario}"


def _serve(args: argparse.Namespace) -> int:
    if args.workers != 1:
        print(
            "sandbox: --workers must be 1: every session, clock and counter lives in one process, and a second "
            "worker would be a second sandbox that disagrees with the first. Run one sandbox per CI job, or give "
            "each test its own credentials (tenants are isolated inside one sandbox).",
            file=sys.stderr,
        )
        return 2
    import uvicorn

    from sandbox.app import create_app
    from sandbox.registry import ScenarioModel
    from sandbox.scenarios import load_file
    from sandbox.state import Settings

    try:
        cap = max_sessions(args.max_sessions)
    except ValueError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    try:
        scenario = load_file(ScenarioModel, args.scenario) if args.scenario else ScenarioModel()
        settings = Settings(scenario=scenario, seed=args.seed, max_sessions=cap)
        app = create_app(settings)  # builds the scenario's fixtures, which may fail
    except UNLOADABLE as error:
        print(f"sandbox: {problem(args.scenario or '<default>', error)}", file=sys.stderr)
        return 2
    print(banner(args.host, args.port, settings.effective_seed(), scenario.name), flush=True)
    _tune_gc()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, workers=None)
    return 0


def _tune_gc() -> None:
    """Keep the cycle collector's pauses off the request path of a long-running server.

    Every stored session adds a few objects, and with CPython's default thresholds each full
    collection rescans them all: under load, pauses of 100-200 ms every few seconds (the p99 of
    `make bench`). What was loaded at startup never dies, so freeze it out of every later scan;
    and collect the middle generation less often, so far fewer full collections come due.

    The young generation stays small: a young collection's pause grows with its size, and with
    20,000 objects (this function's earlier threshold) some took 25-40 ms, the p99 of the bench.
    1,000 young objects, a middle collection every 1,000 young ones (as often as before: every
    million allocations) measured 5 ms at most, less collector time in all, p99 33 -> 16 ms.
    """
    import gc

    gc.freeze()  # without a collect first: startup's few KiB of garbage are not worth its time to first answer
    gc.set_threshold(1_000, 1_000, 100)
