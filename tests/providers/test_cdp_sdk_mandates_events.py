"""Coinbase's Python `cdp-sdk` (unchanged) against a live strict-mode sandbox, for what it calls
beyond the payment-sessions spec: `authorize_mandate_payment_session` (with its documented
errors as `ApiError`s, on mandates the scenario declares and the control API makes and
revokes), `list_webhook_subscription_events`, and the operation fields (`externalReferenceId`,
`customerDisplay.referenceCode`, the generated `orderCode`) parsed into its own models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cdp.openapi_client.api import payment_sessions_api as cdp_api
from cdp.openapi_client.api.webhooks_api import WebhooksApi
from cdp.openapi_client.cdp_api_client import CdpApiClient
from cdp.openapi_client.errors import ApiError
from cdp.openapi_client.models.create_capture_request import CreateCaptureRequest
from cdp.openapi_client.models.create_payment_session_request import CreatePaymentSessionRequest
from cdp.openapi_client.models.create_refund_request import CreateRefundRequest
from cdp.openapi_client.models.mandate_authorization_request import MandateAuthorizationRequest
from cdp.openapi_client.models.webhook_subscription_request import WebhookSubscriptionRequest

from sandbox.providers.cdp.auth import test_credentials as cdp_credentials
from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.control import SyncControl

pytestmark = pytest.mark.anyio

KEY_ID = "4d1e2f3a-5b6c-4d7e-8f90-a1b2c3d4e5f6"
# The key in cdp-sdk's format (base64 of an Ed25519 seed + public key), as the plugin makes one.
SECRET = cdp_credentials(KEY_ID)["api_key_secret"]
WALLET = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
GOOD = "mandate_11111111-2222-4333-8444-555555555555"
PENDING = "mandate_11111111-2222-4333-8444-666666666666"
CAPPED = "mandate_11111111-2222-4333-8444-777777777777"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    mandates = [
        {"id": GOOD},
        {"id": PENDING, "status": "approval_pending"},
        {"id": CAPPED, "max_per_authorization": "1.00"},
    ]
    cdp = {"api_keys": [{"id": KEY_ID, "secret": SECRET}], "mandates": mandates}
    with serve_in_thread(make_app(manual=False, providers={"cdp": cdp})) as url:
        yield url


def new_session(amount: str = "10.00") -> CreatePaymentSessionRequest:
    return CreatePaymentSessionRequest.from_dict(
        {"amount": amount, "asset": "usdc", "target": {"address": WALLET, "network": "base"}}
    )


async def test_mandate_authorization_and_its_errors_through_cdp_sdk(server: str) -> None:
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        api = cdp_api.PaymentSessionsApi(client)
        created = await api.create_payment_session(create_payment_session_request=new_session())
        order_code = created.customer_display.order_code
        assert order_code  # generated
        authorization = await api.authorize_mandate_payment_session(
            created.payment_session_id,
            x_idempotency_key="sdk-mandate-1",
            mandate_authorization_request=MandateAuthorizationRequest.from_dict(
                {"mandateId": GOOD, "externalReferenceId": "sub-1", "metadata": {"plan": "pro"}}
            ),
        )
        assert (authorization.status, authorization.amount) == ("pending", "10.00")
        assert authorization.external_reference_id == "sub-1"
        assert authorization.customer_display.reference_code == order_code  # the orderCode fallback
        assert authorization.source.actual_instance.network == "base"
        fetched = await api.get_payment_session(created.payment_session_id)
        assert fetched.status == "authorization_succeeded"

        for mandate, status, error_type in [
            (PENDING, 409, "mandate_action_pending"),
            (CAPPED, 422, "mandate_policy_violation"),
        ]:
            other = await api.create_payment_session(create_payment_session_request=new_session())
            with pytest.raises(ApiError) as refused:
                await api.authorize_mandate_payment_session(
                    other.payment_session_id,
                    mandate_authorization_request=MandateAuthorizationRequest(mandate_id=mandate),
                )
            assert (refused.value.http_code, refused.value.error_type) == (status, error_type)


async def test_a_mandate_the_control_api_creates_then_revokes_through_cdp_sdk(server: str) -> None:
    control = SyncControl(server)
    mandate = control.create_mandate(max_per_authorization="50.00")["id"]
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        api = cdp_api.PaymentSessionsApi(client)
        request = MandateAuthorizationRequest(mandate_id=mandate)
        first = await api.create_payment_session(create_payment_session_request=new_session())
        authorization = await api.authorize_mandate_payment_session(
            first.payment_session_id, mandate_authorization_request=request
        )
        assert (authorization.status, authorization.amount) == ("pending", "10.00")
        assert control.change_mandate(mandate, revoked=True)["revoked"] is True
        second = await api.create_payment_session(create_payment_session_request=new_session())
        with pytest.raises(ApiError) as refused:
            await api.authorize_mandate_payment_session(
                second.payment_session_id, mandate_authorization_request=request
            )
        assert (refused.value.http_code, refused.value.error_type) == (422, "mandate_revoked")


async def test_operation_fields_round_trip_through_cdp_sdk(server: str) -> None:
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        api = cdp_api.PaymentSessionsApi(client)
        session_id = (await api.create_payment_session(create_payment_session_request=new_session())).payment_session_id
        assert SyncControl(server).act("cdp", session_id, "authorize").status_code == 200
        capture = await api.capture_payment_session(
            session_id,
            create_capture_request=CreateCaptureRequest.from_dict(
                {
                    "amount": "4.00",
                    "finalCapture": False,
                    "externalReferenceId": "cap-ext-1",
                    "customerDisplay": {"referenceCode": "RC-1"},
                }
            ),
        )
        assert (capture.external_reference_id, capture.customer_display.reference_code) == ("cap-ext-1", "RC-1")
        refund = await api.refund_payment_session(
            session_id,
            create_refund_request=CreateRefundRequest.from_dict(
                {"source": {"address": WALLET}, "amount": "1.00", "externalReferenceId": "ref-ext-1"}
            ),
        )
        assert refund.external_reference_id == "ref-ext-1"
        stored = await api.get_payment_session_capture(session_id, capture.capture_id)
        assert (stored.external_reference_id, stored.customer_display.reference_code) == ("cap-ext-1", "RC-1")


async def test_subscription_events_through_cdp_sdk(server: str) -> None:
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        webhooks = WebhooksApi(client)
        made = await webhooks.create_webhook_subscription(
            WebhookSubscriptionRequest.from_dict(
                {
                    "eventTypes": ["acceptance.payment_session.created"],
                    "target": {"url": f"{server}/_sandbox/inbox/sdk-events"},
                    "isEnabled": True,
                }
            )
        )
        api = cdp_api.PaymentSessionsApi(client)
        await api.create_payment_session(create_payment_session_request=new_session())
        SyncControl(server).flush_webhooks()
        listed = await webhooks.list_webhook_subscription_events(
            made.subscription_id, event_type_names="acceptance.payment_session.created"
        )
        [event] = listed.events
        assert event.event_type_name == "acceptance.payment_session.created"
        assert (event.status, event.retry_count) == ("succeeded", 0), event
        with pytest.raises(ApiError) as missing:
            await webhooks.list_webhook_subscription_events("00000000-0000-4000-8000-000000000000")
        assert (missing.value.http_code, missing.value.error_message) == (404, "Webhook subscription not found.")
