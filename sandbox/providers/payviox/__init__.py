"""Payviox: cards and local methods (docs.payviox.com)."""

from sandbox.contract import ProviderSpec, Webhooking
from sandbox.providers.payviox import merchants, provider, webhooks
from sandbox.providers.payviox.lifecycle import LIFECYCLE, PayvioxSettings

PAYVIOX = ProviderSpec(
    name="payviox",
    title="Payviox",
    base_path="/payviox",
    lifecycle=LIFECYCLE,
    settings_model=PayvioxSettings,
    operations=provider.OPERATIONS,
    actions=provider.ACTIONS,
    authenticate=provider.authenticate,
    render_error=provider.render_error,
    describe=provider.describe,
    merchant_model=merchants.PayvioxMerchant,
    webhooks=Webhooking(webhooks.POLICY, webhooks.events, webhooks.secret, merchants.endpoints),
    test_credentials=provider.test_credentials,
)

__all__ = ["PAYVIOX"]
