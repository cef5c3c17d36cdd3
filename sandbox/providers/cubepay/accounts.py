"""Who a CubePay credential names, and this sandbox's CubePay settings."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from sandbox.providers.cubepay.lifecycle import CubePaySettings

if TYPE_CHECKING:
    from sandbox.contract import Services

NAME = "cubepay"


def settings(sandbox: Services) -> CubePaySettings:
    return sandbox.provider_settings(NAME, CubePaySettings)


def merchant_id(api_key: str) -> str:
    """Invented: the merchant an API key names; a digest, so the key itself never shows in the journal
    or the control API. The demo page hands the demo key's id to `CubePaySDK.init` as its merchant id."""
    return "mch_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
