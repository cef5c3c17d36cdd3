"""Coinbase CDP v2 Payment Sessions (docs.cdp.coinbase.com, the payment-sessions OpenAPI spec)."""

from sandbox.contract import ProviderSpec, Webhooking
from sandbox.providers.cdp import auth, ledger, provider, webhooks
from sandbox.providers.cdp.lifecycle import LIFECYCLE, CdpSettings

CDP = ProviderSpec(
    name="cdp",
    title="Coinbase CDP v2 Payment Sessions",
    base_path="/cdp/platform",
    lifecycle=LIFECYCLE,
    settings_model=CdpSettings,
    operations=provider.OPERATIONS,
    actions=provider.ACTIONS,
    authenticate=provider.authenticate,
    render_error=provider.render_error,
    describe=provider.describe,
    webhooks=Webhooking(webhooks.POLICY, webhooks.events, webhooks.secret),
    on_due=ledger.on_due,
    test_credentials=auth.test_credentials,
)

__all__ = ["CDP"]
