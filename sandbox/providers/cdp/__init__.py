"""Coinbase CDP v2 Payment Sessions (docs.cdp.coinbase.com, the payment-sessions OpenAPI spec)."""

from sandbox.contract import ProviderSpec, Webhooking
from sandbox.providers.cdp import actions, auth, errors, mandate_table, provider, webhooks
from sandbox.providers.cdp.lifecycle import LIFECYCLE, NAME
from sandbox.providers.cdp.settings import CdpSettings

CDP = ProviderSpec(
    name=NAME,
    title="Coinbase CDP v2 Payment Sessions",
    base_path=f"/{NAME}/platform",
    lifecycle=LIFECYCLE,
    settings_model=CdpSettings,
    operations=provider.OPERATIONS,
    actions=actions.ACTIONS,
    action_params=actions.PARAMS,
    authenticate=auth.authenticate,
    render_error=errors.render_error,
    describe=actions.describe,
    errors=errors.ERRORS,
    webhooks=Webhooking(webhooks.POLICY, webhooks.events, webhooks.secret),
    on_due=actions.on_due,
    test_credentials=auth.test_credentials,
    tables={mandate_table.NAME: mandate_table.TABLE},
)

__all__ = ["CDP", "NAME"]
