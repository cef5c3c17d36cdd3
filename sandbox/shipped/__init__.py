"""The shipped scenario library: YAML files that are package data, loadable by name everywhere.

`sandbox serve --scenario NAME`, `sandbox run NAME`, `sandbox check NAME`, the pytest marker's
`scenario="NAME"` and `PUT /_sandbox/scenario?name=NAME` all go through `find`: an existing file
wins; otherwise a shipped name (`payviox-happy-path`), with or without `.yaml`, and the old
repository path `scenarios/NAME.yaml` (the repo's `scenarios/` is a link to this folder, and a
pip-installed project has no such folder at all). Anything else is one line naming the nearest
shipped name, never a traceback.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

FOLDER = Path(__file__).parent


class UnknownScenario(ValueError):
    """Neither a readable file nor a shipped name; the message is the one line to print."""


def names() -> list[str]:
    return sorted(path.stem for path in FOLDER.glob("*.yaml"))


def path_of(name: str) -> Path:
    return FOLDER / f"{name}.yaml"


def describe() -> dict[str, str]:
    """Name -> its one-line `description`."""
    found = {}
    for name in names():
        data = yaml.safe_load(path_of(name).read_text())
        found[name] = str(data.get("description", "")) if isinstance(data, dict) else ""
    return found


def find(reference: str | Path) -> Path:
    """The file a scenario reference names: a path that exists, else a shipped scenario."""
    given = Path(reference)
    if given.is_file():
        return given
    shipped = path_of(given.name.removesuffix(".yaml").removesuffix(".yml"))
    # a bare name, or the repository's `scenarios/NAME.yaml`, or a folder that does not exist here
    if shipped.is_file() and (given.parent in (Path("."), Path("scenarios")) or not given.parent.is_dir()):
        return shipped
    raise UnknownScenario(unknown(str(reference)))


def unknown(reference: str) -> str:
    """The one-line error for a reference that names nothing."""
    name = Path(reference).name.removesuffix(".yaml").removesuffix(".yml")
    nearest = difflib.get_close_matches(name, names(), n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
    return f"no scenario file or shipped scenario {reference!r}{hint} (`sandbox scenarios` lists them)"


def named(name: str) -> str:
    """The text of the shipped scenario `name`, and only a shipped one (the control API must not
    read whatever file a client names on the server's disk)."""
    if name.removesuffix(".yaml") not in names():
        raise UnknownScenario(unknown(name))
    return path_of(name.removesuffix(".yaml")).read_text()


def read(reference: str | Path) -> tuple[str, str]:
    """(text, source name for error lines) of a scenario reference."""
    path = find(reference)
    try:
        return path.read_text(), str(reference)
    except (OSError, UnicodeDecodeError) as error:
        raise UnknownScenario(f"{reference}: cannot read: {error}") from None
