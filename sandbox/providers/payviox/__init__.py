"""Payviox: cards and local methods (docs.payviox.com).

Every provider package has the same modules for the same roles: provider.py (the operation
table and its handlers), auth.py, lifecycle.py, settings.py, records.py, ledger.py, actions.py,
wire.py, errors.py, webhooks.py; this file builds the ProviderSpec from them.
"""

from sandbox.contract import ProviderSpec, Webhooking
from sandbox.providers.payviox import actions, auth, errors, merchants, provider, webhooks
from sandbox.providers.payviox.lifecycle import LIFECYCLE, NAME
from sandbox.providers.payviox.settings import PayvioxSettings

PAYVIOX = ProviderSpec(
    name=NAME,
    title="Payviox",
    base_path=f"/{NAME}",
    lifecycle=LIFECYCLE,
    settings_model=PayvioxSettings,
    operations=provider.OPERATIONS,
    actions=actions.ACTIONS,
    action_params=actions.PARAMS,
    authenticate=auth.authenticate,
    render_error=errors.render_error,
    describe=actions.describe,
    errors=errors.ERRORS,
    merchant_model=merchants.PayvioxMerchant,
    webhooks=Webhooking(webhooks.POLICY, webhooks.events, webhooks.secret, merchants.endpoints),
    on_due=actions.on_due,
    test_credentials=auth.test_credentials,
)

__all__ = ["NAME", "PAYVIOX"]
