"""Payviox merchants a scenario declares: their keys, enabled methods and webhook settings.

The scenario's `merchants` section holds, per merchant, a `payviox:` block validated by
`PayvioxMerchant` (the provider's `merchant_model`). Declaring any key turns on strict mode:
only declared keys are accepted and each names its declared merchant (DESIGN.md "Tenants and
keys"). Without declared keys, any well-formed test key is its own business, as before.
`enabled_methods` is what the dashboard calls the methods "active for the business"
(api/endpoints/get-payment-methods). The webhook URL and token are the dashboard's Settings ->
Webhooks fields (webhooks/integration); `payout_webhook` the Payout -> Webhooks ones
(api/payout/webhooks). `allowed_ips` is the merchant's IP rule for its secret
key (invented: see `ip_allowed`).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.contract import Merchant, ScenarioView
from sandbox.providers.payviox import payouts, webhooks
from sandbox.providers.payviox.lifecycle import NAME
from sandbox.providers.payviox.methods import CATALOGUE, Method
from sandbox.webhooks import Endpoint

if TYPE_CHECKING:
    from sandbox.contract import Call

# Test keys only: a scenario never declares a live key (api/authentication: pk_test_/sk_test_).
_TEST_KEY = r"^{kind}_test_[A-Za-z0-9_-]{{1,100}}$"


class PayvioxWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the endpoint Payviox posts events to")
    token: str | None = Field(None, description="the webhook token that signs deliveries (HMAC-SHA256)")
    events: list[str] | None = Field(None, description="event types sent (default: only succeeded, as Payviox)")


class PayvioxMerchant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str | None = Field(None, pattern=_TEST_KEY.format(kind="pk"), description="pk_test_...")
    secret_key: str | None = Field(None, pattern=_TEST_KEY.format(kind="sk"), description="sk_test_...")
    enabled_methods: list[str] | None = Field(None, description="method ids active for the business (default: all)")
    webhook: PayvioxWebhook | None = None
    payout_webhook: PayvioxWebhook | None = Field(
        None, description="the payout webhook (Payout > Webhooks: its own URL and token; default: payout.succeeded)"
    )
    allowed_ips: list[str] | None = Field(
        None, description="IPs or CIDR networks the secret key may call the API from (default: anywhere)"
    )

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        for entry in value or ():
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or a CIDR network") from None
        return value

    @field_validator("enabled_methods")
    @classmethod
    def _known_methods(cls, value: list[str] | None) -> list[str] | None:
        unknown = sorted(set(value or ()) - set(CATALOGUE))
        if unknown:
            raise ValueError(f"unknown Payviox payment methods {unknown}; known: {sorted(CATALOGUE)}")
        return value


def declared(call: Call) -> dict[str, PayvioxMerchant]:
    return call.services.merchants(NAME, PayvioxMerchant)


def declared_keys(call: Call) -> dict[str, Merchant]:
    """Key -> the merchant it names, for every key the scenario declares (empty: not strict)."""
    keys: dict[str, Merchant] = {}
    for name, merchant in declared(call).items():
        if merchant.public_key:
            keys[merchant.public_key] = Merchant(name, "public")
        if merchant.secret_key:
            keys[merchant.secret_key] = Merchant(name, "secret")
    return keys


def settings_of(call: Call, merchant: str) -> PayvioxMerchant | None:
    return declared(call).get(merchant)


def enabled(call: Call, merchant: str) -> dict[str, Method]:
    """Methods "active for the business" (get-payment-methods): the scenario merchant's
    `enabled_methods`, else every method. Keyed by merchant id, so the hosted page (which has
    no credential) and the API agree."""
    merchant_settings = settings_of(call, merchant)
    if merchant_settings is None or merchant_settings.enabled_methods is None:
        return CATALOGUE
    return {key: method for key, method in CATALOGUE.items() if key in merchant_settings.enabled_methods}


def ip_allowed(call: Call, merchant: Merchant) -> bool:
    """Invented (an IP allowlist, as CDP and many PSPs offer for secret keys): a merchant whose
    block sets `allowed_ips` takes secret-key calls only from those. Public keys are used from
    the payers' browsers, wherever they are, so they are never restricted."""
    rules = settings_of(call, merchant.id)
    if merchant.kind != "secret" or rules is None or rules.allowed_ips is None:
        return True
    try:
        address = ipaddress.ip_address(call.client_ip)
    except ValueError:  # an X-Forwarded-For hop that is not an address
        return False
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in rules.allowed_ips)


def endpoints(scenario: ScenarioView) -> dict[str, Endpoint]:
    """Merchant -> webhook endpoint, for the merchants whose scenario block sets `webhook`."""
    found = {}
    for name, merchant in scenario.merchants_for(NAME).items():
        # The payout webhook is "a separate URL and token" (api/payout/webhooks): the business's
        # payout side is its own webhook tenant (payouts.tenant).
        for tenant, hook in ((name, merchant.webhook), (payouts.tenant(name), merchant.payout_webhook)):
            if hook is not None:
                events = frozenset(hook.events) if hook.events is not None else None
                found[tenant] = Endpoint(hook.url, hook.token or webhooks.secret(tenant), events)
    return found
