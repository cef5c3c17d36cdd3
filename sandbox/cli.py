"""`sandbox serve | check | run | scenarios | cdp-token`: the command line (each command's logic lives
in its own module: serve.py, runner.py, shipped/, cdptoken.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from sandbox import __version__, cdptoken
from sandbox.serve import DEFAULT_PORT, EXAMPLES, add_arguments, banner, serve

__all__ = ["DEFAULT_PORT", "banner", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sandbox",
        description="A local, deterministic sandbox of the Coinbase CDP v2 Payment Sessions, CubePay and Payviox APIs.",
        epilog="Run `sandbox COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    formatter = argparse.RawDescriptionHelpFormatter
    serve_parser = commands.add_parser(
        "serve", help="serve the sandbox over HTTP", epilog=EXAMPLES, formatter_class=formatter
    )
    add_arguments(serve_parser)
    check = commands.add_parser(
        "check",
        help="validate scenario files",
        epilog="example:\n  sandbox check scenarios/*.yaml     # FILE:LINE: field: problem, exit 1 on any",
        formatter_class=formatter,
    )
    check.add_argument("files", nargs="+", help="scenario YAML files or shipped scenario names")
    run = commands.add_parser(
        "run",
        help="play a scenario's steps and print the timeline (exit 1 on a failure)",
        epilog="examples:\n  sandbox run scenarios/payviox-webhook-chaos.yaml\n"
        "  sandbox run payviox-webhook-chaos --url http://127.0.0.1:4242",
        formatter_class=formatter,
    )
    run.add_argument("file", help="a scenario YAML file or a shipped scenario's name (`sandbox scenarios`)")
    run.add_argument("--url", help="a running sandbox to play against, in a fresh namespace (default: in-process)")
    run.add_argument(
        "--namespace", help="with --url: the namespace to play in (default: a fresh one; `default` is the root)"
    )
    coverage = commands.add_parser(
        "coverage",
        help="print a running sandbox's contract coverage: what was exercised of each provider, what never was",
        epilog="examples:\n  sandbox coverage --url http://127.0.0.1:4242 --html coverage.html\n"
        "  sandbox coverage --fail-under transitions:80,errors:50     # exit 1 below either",
        formatter_class=formatter,
    )
    coverage.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="the sandbox (or /ns/NAME)")
    coverage.add_argument("--html", help="also write the report as an HTML page")
    coverage.add_argument("--json", help="also write the report as JSON")
    coverage.add_argument("--fail-under", help="DIMENSION:PERCENT[,...] (or one PERCENT for all): exit 1 below")
    commands.add_parser("scenarios", help="list the shipped scenarios with their descriptions")
    token = commands.add_parser(
        "cdp-token",
        help="mint a CDP Bearer JWT for one request (for curl), or a key pair",
        epilog=cdptoken.EXAMPLES,
        formatter_class=formatter,
    )
    cdptoken.add_arguments(token)
    token.set_defaults(parser=token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args.files)
    if args.command == "run":
        return _run(args.file, args.url, args.namespace)
    if args.command == "coverage":
        from sandbox.coverage_report import command

        return command(args.url, args.html, args.json, args.fail_under)
    if args.command == "scenarios":
        return _scenarios()
    if args.command == "cdp-token":
        return cdptoken.main(args, args.parser)
    return serve(args, _load, problem)


def _load(path: str | None) -> Any:
    """The scenario model of `path`, or the default scenario when none is given."""
    from sandbox import shipped
    from sandbox.registry import ScenarioModel
    from sandbox.scenarios import load_text

    return load_text(ScenarioModel, *shipped.read(path)) if path else ScenarioModel()


# A scenario that cannot be loaded: ScenarioError (a ValueError) with its FILE:LINE problems, or
# a file that cannot be read; other ValueErrors (a fixture's own) are named after the file.
UNLOADABLE = (ValueError, OSError)


def problem(path: str, error: Exception) -> str:
    from sandbox.scenarios import ScenarioError
    from sandbox.shipped import UnknownScenario

    if isinstance(error, ScenarioError | OSError | UnknownScenario):
        return str(error)  # already names the file
    return f"{path}:1: {error}"


def _check(files: list[str]) -> int:
    """Validate each file and build its fixtures (a fixture that cannot be built is an error too)."""
    from sandbox.app import new_sandbox
    from sandbox.state import Settings

    failed = 0
    for path in files:
        try:
            new_sandbox(Settings(scenario=_load(path)))
        except UNLOADABLE as error:
            failed += 1
            print(problem(path, error), file=sys.stderr)
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def _run(path: str, url: str | None, namespace: str | None = None) -> int:
    import asyncio

    from sandbox import shipped
    from sandbox.registry import ScenarioModel
    from sandbox.runner import run
    from sandbox.scenarios import load_text

    try:
        text, _ = shipped.read(path)
        scenario = load_text(ScenarioModel, text, path)
        return asyncio.run(run(scenario, text, path, url, namespace=namespace))
    except UNLOADABLE as error:
        print(problem(path, error), file=sys.stderr)
        return 1


def _scenarios() -> int:
    from sandbox import shipped

    listed = shipped.describe()
    width = max(map(len, listed), default=0)
    for name, description in listed.items():
        print(f"{name:<{width}}  {description}")
    return 0
