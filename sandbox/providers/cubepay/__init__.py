"""CubePay: Grain's crypto payment SDK, its server API and its payment modal."""

from sandbox.contract import ProviderSpec, Webhooking
from sandbox.providers.cubepay import actions, merchants, provider, webhooks
from sandbox.providers.cubepay.accounts import NAME
from sandbox.providers.cubepay.lifecycle import LIFECYCLE, CubePaySettings

CUBEPAY = ProviderSpec(
    name=NAME,
    title="CubePay",
    base_path="/cubepay",
    lifecycle=LIFECYCLE,
    settings_model=CubePaySettings,
    operations=provider.OPERATIONS,
    actions=actions.ACTIONS,
    authenticate=provider.authenticate,
    render_error=provider.render_error,
    describe=actions.describe,
    merchant_model=merchants.CubePayMerchant,
    webhooks=Webhooking(webhooks.POLICY, webhooks.events, webhooks.secret, merchants.endpoints),
    on_due=actions.on_due,
    test_credentials=provider.test_credentials,
    test_merchant=provider.test_merchant,
)

__all__ = ["CUBEPAY"]
