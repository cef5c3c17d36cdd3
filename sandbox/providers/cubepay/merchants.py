"""CubePay merchants a scenario declares: their API keys, merchant id and webhook settings.

The scenario's `merchants` section holds, per merchant, a `cubepay:` block validated by
`CubePayMerchant` (the provider's `merchant_model`). Grain gives each merchant two
identifiers (payment-sdk/api-reference/authentication): the API key, a server-side secret, and
the merchant id, the public one the browser SDK is initialised with
(`NEXT_PUBLIC_CUBEPAY_MERCHANT_ID`). A block ties them together: its `api_keys` name its
`merchant_id` (default: the block's name), which owns the sessions, is what `/cubepay/demo`
hands `CubePaySDK.init`, and names the built-in webhook inbox `cubepay-<merchant_id>`.

Declaring any key turns on strict mode: only declared keys are accepted. Without declared keys
every key is its own merchant, a digest of the key (`auth.merchant_id`), as before. The
docs describe no IP allowlist for CubePay keys, so a block has none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from sandbox.providers.cubepay import lifecycle, tokens, webhooks
from sandbox.providers.cubepay.lifecycle import NAME
from sandbox.scenarios import ScenarioError
from sandbox.webhooks import Endpoint

if TYPE_CHECKING:
    from sandbox.contract import ScenarioView

# Invented: API keys have no documented format; any visible-ASCII bearer value is a key, and
# one that looks like a JWT is taken for a paymentSessionToken (so it cannot be declared).
API_KEY = re.compile(r"^[\x21-\x7e]{1,512}$")
_MERCHANT_ID = r"^[A-Za-z0-9_-]{1,64}$"  # it goes into inbox names, control paths and the page's JS
# Invented: Grain documents no live/test key forms (research/cubepay.md: "[?]"), only a separate
# sandbox host (api.sandbox.pay.grain.inc). The sandbox takes a key with a `live` part
# (`cubepay_live_...`, `sk_live_...`, `live-...`), the form most PSPs give production keys, for
# a production key, and refuses it (auth.py) so a production secret is never played against.
LIVE_KEY = re.compile(r"(?:^|[_-])live(?:[_-]|$)", re.IGNORECASE)


def is_live_key(key: str) -> bool:
    return LIVE_KEY.search(key) is not None


class CubePayWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, description="where deliveries go (default: the inbox cubepay-<merchant_id>)")
    secret: str | None = Field(None, min_length=1, description="HMAC-SHA256 key of X-CubePay-Signature")
    events: list[str] | None = Field(None, description="statuses whose updates are sent (default: every one)")

    @field_validator("events")
    @classmethod
    def _known_statuses(cls, value: list[str] | None) -> list[str] | None:
        unknown = sorted(set(value or ()) - set(lifecycle.STATUSES))
        if unknown:
            statuses = list(lifecycle.STATUSES)
            raise ValueError(f"CubePay sends no events {unknown}; its events are the statuses {statuses}")
        return value


def _api_key(key: str) -> str:
    if not API_KEY.match(key):
        raise ValueError(f"{key!r} is not an API key: 1-512 visible ASCII characters, no spaces")
    if is_live_key(key):
        raise ValueError(f"{key[:16]}... looks like a live key; a scenario declares test keys only")
    if tokens.looks_like_jwt(key):
        raise ValueError(f"{key[:16]}... looks like a paymentSessionToken (a JWT), not an API key")
    return key


class CubePayMerchant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_keys: list[Annotated[str, AfterValidator(_api_key)]] = Field(
        [], description="the merchant's API keys (declaring any turns on strict mode)"
    )
    merchant_id: str | None = Field(None, pattern=_MERCHANT_ID, description="the public merchant id (default: name)")
    webhook: CubePayWebhook | None = None


def _merchants(scenario: ScenarioView) -> dict[str, CubePayMerchant]:
    return {name: block for name, block in scenario.merchants_for(NAME).items() if isinstance(block, CubePayMerchant)}


def directory(scenario: ScenarioView) -> dict[str, str]:
    """Declared API key -> the merchant id it names (empty: not strict). A key or a merchant id
    declared by two blocks would be ambiguous: a `FILE:LINE` load error."""
    keys: dict[str, str] = {}
    owners: dict[str, str] = {}
    problems = []
    for name, block in _merchants(scenario).items():
        merchant = block.merchant_id or name
        if merchant in owners:
            where = ["merchants", name, NAME, "merchant_id"] if block.merchant_id else ["merchants", name]
            problems.append(
                f"{scenario.where(where)}: {'.'.join(where)}: merchant id {merchant!r} "
                f"is already merchant {owners[merchant]!r}'s"
            )
        owners[merchant] = name
        for index, key in enumerate(block.api_keys):
            if key in keys:
                at = ["merchants", name, NAME, "api_keys", str(index)]
                problems.append(
                    f"{scenario.where(at)}: {'.'.join(at)}: this key is already declared for merchant id {keys[key]!r}"
                )
            keys.setdefault(key, merchant)
    if problems:
        raise ScenarioError(problems)
    return keys


def named(scenario: ScenarioView, merchant_id: str) -> str | None:
    """The name of the scenario merchant whose block gives it `merchant_id` (its own name by default)."""
    for name, block in _merchants(scenario).items():
        if (block.merchant_id or name) == merchant_id:
            return name
    return None


def well_formed_id(merchant_id: str) -> bool:
    return re.match(_MERCHANT_ID, merchant_id) is not None


def endpoints(scenario: ScenarioView) -> dict[str, Endpoint]:
    """Merchant id -> webhook endpoint, for the blocks that set `webhook`. `Sandbox.reset` calls
    this on every load, so it is also where the blocks are checked as a whole (`directory`)."""
    directory(scenario)
    found = {}
    for name, block in _merchants(scenario).items():
        if block.webhook is not None:
            merchant, hook = block.merchant_id or name, block.webhook
            events = frozenset(hook.events) if hook.events is not None else None
            found[merchant] = Endpoint(hook.url, hook.secret or webhooks.secret(merchant), events)
    return found
