"""The import rules, checked with `ast` beside the import-linter contracts in pyproject.toml:
providers never import each other, and shared modules never import a provider package; the
registry is the one module that imports every provider, and only entry points (the app
factory, the CLI and the scenario runner) import the registry.
In the tests: no test file imports conftest (fixtures live there; helpers in tests/support/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sandbox"
ENTRY_POINTS = {
    "app.py",
    "cli.py",
    "serve.py",
    "runner.py",
    "actiondocs.py",
}  # actiondocs: `python -m sandbox.actiondocs`


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
    if path.name == "registry.py":
        return  # the one module that imports every provider
    offending = sorted(name for name in imports(path) if name.startswith("sandbox.providers"))
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


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda path: str(path.relative_to(ROOT)))
def test_only_entry_points_import_the_registry(path: Path) -> None:
    if path.name in ENTRY_POINTS and path.parent == ROOT:
        return
    assert not {name for name in imports(path) if name.startswith("sandbox.registry")}, path.name


def test_the_import_graph_of_sandbox_has_no_cycle() -> None:
    """Every import between sandbox's modules, TYPE_CHECKING ones included (grimp, which
    import-linter uses, records those too), forms no cycle: a module can be read knowing
    only the modules below it."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("sandbox", include_external_packages=False)
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


TESTS = Path(__file__).resolve().parent
TEST_FILES = sorted([*TESTS.rglob("*.py"), *(TESTS.parent / "examples").rglob("*.py")])


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: str(path.relative_to(TESTS.parent)))
def test_no_test_file_imports_conftest(path: Path) -> None:
    """Fixtures live in conftest.py; helpers a test imports live in tests/support/."""
    offending = sorted(name for name in imports(path) if "conftest" in name.split("."))
    assert not offending, f"{path.name} imports {offending}"


def test_every_module_has_a_place_in_the_layers() -> None:
    """A new module must be put in a layer (pyproject.toml), or import-linter would not check it."""
    import tomllib

    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [layers] = [contract["layers"] for contract in config if contract["type"] == "layers"]
    named = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    modules = {f"sandbox.{path.stem}" for path in ROOT.glob("*.py") if path.stem not in ("__init__", "__main__")}
    packages = {f"sandbox.{path.parent.name}" for path in ROOT.glob("*/__init__.py")}
    assert not (modules | packages) - named, f"not in any layer: {sorted((modules | packages) - named)}"
