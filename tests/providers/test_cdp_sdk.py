"""Coinbase's own Python client (`cdp-sdk`) against a live sandbox in strict mode.

The generated `PaymentSessionsApi` signs every request with a real Ed25519 key (its JWT's
`uris` names host + path, e.g. `POST 127.0.0.1:PORT/cdp/platform/v2/payment-sessions`), parses
every answer into its pydantic models (which check id patterns, oneOf targets and sources)
and turns every error into its `ApiError`. If the sandbox's wire drifts from CDP's, this test
is where it shows.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cdp.openapi_client.api import payment_sessions_api as cdp_api
from cdp.openapi_client.cdp_api_client import CdpApiClient
from cdp.openapi_client.errors import ApiError
from cdp.openapi_client.models.cancel_payment_session_request import CancelPaymentSessionRequest
from cdp.openapi_client.models.create_capture_request import CreateCaptureRequest
from cdp.openapi_client.models.create_payment_session_request import CreatePaymentSessionRequest
from cdp.openapi_client.models.create_refund_request import CreateRefundRequest
from cdp.openapi_client.models.create_void_request import CreateVoidRequest

from sandbox.providers.cdp.auth import test_credentials as cdp_credentials
from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.control import SyncControl

pytestmark = pytest.mark.anyio


KEY_ID = "9b2f7c1e-0a4d-4c8b-8e3f-5d6a7b8c9d0e"
# The key in cdp-sdk's format (base64 of an Ed25519 seed + public key), as the plugin makes one.
SECRET = cdp_credentials(KEY_ID)["api_key_secret"]
WALLET = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = make_app(manual=False, providers={"cdp": {"api_keys": [{"id": KEY_ID, "secret": SECRET}]}})
    with serve_in_thread(app) as url:
        yield url


def new_session(**changes: object) -> CreatePaymentSessionRequest:
    return CreatePaymentSessionRequest.from_dict(
        {
            "amount": "10.00",
            "asset": "usdc",
            "target": {"address": WALLET, "network": "base"},
            "externalReferenceId": "order-sdk-1",
            "metadata": {"customer_id": "cust_12345"},
            "redirect": {"successUrl": "https://merchant.example.com/ok"},
            **changes,
        }
    )


async def test_the_whole_lifecycle_through_cdp_sdk(server: str) -> None:
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        api = cdp_api.PaymentSessionsApi(client)
        created = await api.create_payment_session(
            x_idempotency_key="sdk-create-1", create_payment_session_request=new_session()
        )
        session_id = created.payment_session_id
        assert created.status == "created" and created.amount == "10.00"
        assert created.url == f"{server}/cdp/payment-sessions/{session_id}"
        assert created.x402_url == f"{server}/cdp/platform/v2/payment-sessions/{session_id}/authorizations/x402"
        assert created.target.actual_instance.address == WALLET
        replay = await api.create_payment_session(
            x_idempotency_key="sdk-create-1", create_payment_session_request=new_session()
        )
        assert replay.payment_session_id == session_id

        listed = await api.list_payment_sessions(page_size=10)
        assert [s.payment_session_id for s in listed.payment_sessions] == [session_id]
        assert not listed.next_page_token

        authorized = SyncControl(server).act("cdp", session_id, "authorize")
        assert authorized.status_code == 200, authorized.text
        fetched = await api.get_payment_session(session_id)
        assert fetched.status == "authorization_succeeded"
        assert fetched.balances.capturable == "10.00"
        assert fetched.source.actual_instance.network == "base"
        [authorization] = (await api.list_payment_session_authorizations(session_id)).authorizations
        assert (
            await api.get_payment_session_authorization(session_id, authorization.authorization_id)
        ).status == "succeeded"

        capture = await api.capture_payment_session(
            session_id,
            x_idempotency_key="sdk-capture-1",
            create_capture_request=CreateCaptureRequest(amount="4.00", final_capture=False),
        )
        assert (capture.status, capture.amount, capture.final_capture) == ("pending", "4.00", False)
        assert (await api.get_payment_session_capture(session_id, capture.capture_id)).status == "succeeded"

        refund = await api.refund_payment_session(
            session_id,
            create_refund_request=CreateRefundRequest.from_dict(
                {
                    "source": {"address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"},
                    "amount": "1.50",
                    "reason": "Returned",
                }
            ),
        )
        assert refund.amount == "1.50" and refund.source.actual_instance.address.startswith("0x742d")
        assert (await api.get_payment_session_refund(session_id, refund.refund_id)).status == "succeeded"

        void = await api.void_payment_session(session_id, create_void_request=CreateVoidRequest())
        assert void.amount == "6.00"
        assert (await api.get_payment_session_void(session_id, void.void_id)).status == "succeeded"
        assert len((await api.list_payment_session_voids(session_id)).voids) == 1
        assert len((await api.list_payment_session_captures(session_id)).captures) == 1
        assert len((await api.list_payment_session_refunds(session_id)).refunds) == 1

        final = await api.get_payment_session(session_id)
        assert final.status == "void_succeeded"
        balances = final.balances
        assert (balances.capturable, balances.captured, balances.refundable, balances.refunded) == (
            "0",
            "4.00",
            "2.50",
            "1.50",
        )

        other = await api.create_payment_session(create_payment_session_request=new_session(amount="1.00"))
        canceled = await api.cancel_payment_session(
            other.payment_session_id,
            cancel_payment_session_request=CancelPaymentSessionRequest(
                cancellation_reason="Customer requested cancellation."
            ),
        )
        assert (canceled.status, canceled.cancellation_reason) == ("canceled", "Customer requested cancellation.")


async def test_errors_surface_as_cdp_sdk_api_errors(server: str) -> None:
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        api = cdp_api.PaymentSessionsApi(client)
        with pytest.raises(ApiError) as missing:
            await api.get_payment_session("paymentSession_00000000-0000-4000-8000-000000000000")
        assert (missing.value.http_code, missing.value.error_type) == (404, "not_found")
        assert missing.value.correlation_id and missing.value.error_link.endswith("#not-found")

        with pytest.raises(ApiError) as invalid:
            await api.create_payment_session(create_payment_session_request=new_session(amount="lots"))
        assert (invalid.value.http_code, invalid.value.error_type) == (400, "invalid_request")

        session_id = (await api.create_payment_session(create_payment_session_request=new_session())).payment_session_id
        with pytest.raises(ApiError) as nothing:
            await api.capture_payment_session(
                session_id, create_capture_request=CreateCaptureRequest(final_capture=True)
            )
        assert nothing.value.error_type == "no_capturable_balance"

        await api.create_payment_session(x_idempotency_key="sdk-key-2", create_payment_session_request=new_session())
        with pytest.raises(ApiError) as reused:
            await api.create_payment_session(
                x_idempotency_key="sdk-key-2", create_payment_session_request=new_session(amount="2.00")
            )
        assert (reused.value.http_code, reused.value.error_type) == (422, "idempotency_error")

        await api.cancel_payment_session(session_id)
        with pytest.raises(ApiError) as canceled:
            await api.cancel_payment_session(session_id)
        assert canceled.value.error_type == "payment_session_already_canceled"

    async with CdpApiClient(
        KEY_ID, base64.b64encode(bytes(64)).decode(), base_path=f"{server}/cdp/platform", max_network_retries=0
    ) as impostor:
        with pytest.raises(ApiError) as unauthorized:
            await cdp_api.PaymentSessionsApi(impostor).list_payment_sessions()
        assert (unauthorized.value.http_code, unauthorized.value.error_type) == (401, "unauthorized")


async def test_wallet_options_and_x402_through_cdp_sdk(server: str) -> None:
    async with CdpApiClient(KEY_ID, SECRET, base_path=f"{server}/cdp/platform", max_network_retries=0) as client:
        api = cdp_api.PaymentSessionsApi(client)
        session_id = (await api.create_payment_session(create_payment_session_request=new_session())).payment_session_id
        payer = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"
        options = await api.get_wallet_authorization_options(session_id, addresses=[payer, WALLET])
        assert options.options[0].source.address == payer
        assert options.ineligible_addresses[0].code == "superseded_by_preferred_option"
        with pytest.raises(ApiError) as challenge:
            await api.authorize_x402_payment_session(session_id)
        assert (challenge.value.http_code, challenge.value.error_type) == (402, "payment_required")
