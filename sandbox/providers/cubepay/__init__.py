"""CubePay: Grain's crypto payment SDK, its server API and its payment modal."""

from sandbox.contract import ProviderSpec, Webhooking
from sandbox.providers.cubepay import actions, auth, errors, merchants, provider, webhooks
from sandbox.providers.cubepay.lifecycle import LIFECYCLE, NAME
from sandbox.providers.cubepay.settings import CubePaySettings

CUBEPAY = ProviderSpec(
    name=NAME,
    title="CubePay",
    base_path="/cubepay",
    lifecycle=LIFECYCLE,
    settings_model=CubePaySettings,
    operations=provider.OPERATIONS,
    actions=actions.ACTIONS,
    action_params=actions.PARAMS,
    authenticate=auth.authenticate,
    render_error=errors.render_error,
    describe=actions.describe,
    errors=errors.ERRORS,
    merchant_model=merchants.CubePayMerchant,
    webhooks=Webhooking(webhooks.POLICY, webhooks.events, webhooks.secret, merchants.endpoints),
    on_due=actions.on_due,
    test_credentials=auth.test_credentials,
    test_merchant=auth.test_merchant,
)

__all__ = ["CUBEPAY"]
