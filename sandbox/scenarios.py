"""Scenario files: YAML validated into pydantic models that refuse unknown keys.

A scenario sets the seed, the clock and each provider's settings. The `providers` section is
assembled from the providers' own settings models by `scenario_model()`, so this module never
imports a provider and a new provider's settings are checked the moment it is registered.
Errors name the file, the line and the field, and nothing is half-loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; `problems` are `FILE:LINE: field: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ClockSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime | None = Field(None, description="the instant the sandbox clock starts at (default: now)")
    manual: bool = Field(False, description="true: time moves only through the control API")


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "unnamed"
    description: str = ""
    seed: int | None = None
    clock: ClockSettings = ClockSettings()
    providers: Any = None  # replaced by scenario_model() with one field per provider

    def settings_for(self, provider: str) -> Any:
        return getattr(self.providers, provider)


def scenario_model(provider_settings: Mapping[str, type[BaseModel]]) -> type[Scenario]:
    fields: dict[str, Any] = {name: (model, model()) for name, model in provider_settings.items()}
    providers = create_model("Providers", __config__=ConfigDict(extra="forbid"), **fields)
    return create_model("Scenario", __base__=Scenario, providers=(providers, providers()))


def load_text(model: type[Scenario], text: str, source: str = "<scenario>") -> Scenario:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError([f"{source}:{line}: not valid YAML: {getattr(error, 'problem', error)}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}:1: a scenario is a mapping of sections (name, seed, clock, providers, ...)"])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            path = [str(part) for part in item["loc"]]
            problems.append(f"{source}:{_line_of(node, path)}: {'.'.join(path) or '(top)'}: {item['msg']}")
        raise ScenarioError(problems) from None


def load_file(model: type[Scenario], path: str | Path) -> Scenario:
    return load_text(model, Path(path).read_text(), str(path))


def _line_of(node: yaml.Node | None, path: list[str]) -> int:
    """The 1-based line of the deepest YAML node on `path` that exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
