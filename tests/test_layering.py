"""The import rules of DESIGN.md, checked with `ast`: providers never import each other, and
shared modules never import a provider package; only entry points (the app factory, the CLI and
the scenario runner) import the registry, which is the one module that imports every provider.
And in the tests: no test file imports conftest (fixtures live there; helpers in tests/support/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sandbox"
ENTRY_POINTS = {"app.py", "cli.py", "runner.py"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(ROOT.glob("*.py")), ids=lambda path: path.name)
def test_shared_modules_do_not_import_providers(path: Path) -> None:
    registry = {"sandbox.providers", "sandbox.providers.PROVIDERS"}
    allowed = registry if path.name in ENTRY_POINTS else set()
    offending = sorted(name for name in imports(path) if name.startswith("sandbox.providers") and name not in allowed)
    assert not offending, f"{path.name} imports {offending}"


PROVIDER_DIRS = sorted(path for path in (ROOT / "providers").iterdir() if (path / "__init__.py").exists())


@pytest.mark.parametrize("package", PROVIDER_DIRS, ids=lambda path: path.name)
def test_providers_do_not_import_each_other(package: Path) -> None:
    others = {f"sandbox.providers.{other.name}" for other in PROVIDER_DIRS if other != package}
    for module in package.rglob("*.py"):
        offending = sorted(name for name in imports(module) if any(name.startswith(other) for other in others))
        assert not offending, f"{module.relative_to(ROOT)} imports {offending}"


def test_no_catch_all_helper_modules() -> None:
    names = {path.name for path in ROOT.rglob("*.py")}
    assert not names & {"utils.py", "helpers.py", "common.py"}


TESTS = Path(__file__).resolve().parent
TEST_FILES = sorted([*TESTS.rglob("*.py"), *(TESTS.parent / "examples").rglob("*.py")])


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: str(path.relative_to(TESTS.parent)))
def test_no_test_file_imports_conftest(path: Path) -> None:
    """Fixtures live in conftest.py; helpers a test imports live in tests/support/."""
    offending = sorted(name for name in imports(path) if "conftest" in name.split("."))
    assert not offending, f"{path.name} imports {offending}"
