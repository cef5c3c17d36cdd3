"""The provider registry: the only module that imports every provider."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.pipeline import Provider
from sandbox.providers.cdp import CDP
from sandbox.providers.cubepay import CUBEPAY
from sandbox.providers.payviox import PAYVIOX

PROVIDERS: Mapping[str, Provider] = {provider.name: provider for provider in (CDP, CUBEPAY, PAYVIOX)}
