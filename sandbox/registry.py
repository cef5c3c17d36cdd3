"""The provider registry: the one module that imports every provider.

Adding a provider is a package under `sandbox/providers/` whose `__init__.py` builds its
`ProviderSpec` (contract.py), plus one name in the tuple below.
"""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.contract import ProviderSpec
from sandbox.providers.cdp import CDP
from sandbox.providers.cubepay import CUBEPAY
from sandbox.providers.payviox import PAYVIOX
from sandbox.scenarios import Scenario, scenario_model

PROVIDERS: Mapping[str, ProviderSpec] = {provider.name: provider for provider in (CDP, CUBEPAY, PAYVIOX)}

# The scenario model for these providers: their settings, merchant blocks and tables.
ScenarioModel: type[Scenario] = scenario_model(PROVIDERS)
