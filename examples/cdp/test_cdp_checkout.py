"""A merchant's contract tests for CDP Payment Sessions, with Coinbase's own client, `cdp-sdk`.

Run them with `pytest examples/cdp` (a live sandbox on a thread), or with
`--sandbox-url=http://127.0.0.1:4242` for a sandbox you started with `sandbox serve`. cdp-sdk opens
its own sockets (aiohttp), so with `--sandbox-mode=inprocess` (no socket at all) these tests skip.
The `sandbox` fixture comes from the sandbox's pytest plugin: `sandbox.credentials("cdp")` is an
Ed25519 API key of this test's own, in cdp-sdk's format, and `sandbox.url("cdp")` is the base
path to give the client instead of `https://api.cdp.coinbase.com/platform`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cdp.openapi_client.api.payment_sessions_api import PaymentSessionsApi
from cdp.openapi_client.cdp_api_client import CdpApiClient
from cdp.openapi_client.errors import ApiError
from cdp.openapi_client.models.create_capture_request import CreateCaptureRequest
from cdp.openapi_client.models.create_payment_session_request import CreatePaymentSessionRequest
from cdp.openapi_client.models.create_refund_request import CreateRefundRequest
from cdp.openapi_client.models.wallet_authorization_request import WalletAuthorizationRequest

from sandbox.pytest_plugin import SandboxHandle

pytestmark = pytest.mark.anyio  # cdp-sdk is async; anyio's pytest plugin runs the tests

OUR_WALLET = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"  # where our sales settle, on Base
PAYER_WALLET = "0xAbC1234567890aBcDeF1234567890AbCdEf123456"


@pytest.fixture
async def payments(sandbox: SandboxHandle) -> AsyncIterator[PaymentSessionsApi]:
    """Our backend's CDP client, configured as in production but for the key and the base path."""
    if sandbox.in_process:
        pytest.skip("cdp-sdk opens its own sockets (aiohttp); run live or with --sandbox-url, not in-process")
    keys = sandbox.credentials("cdp")
    # max_network_retries=0: our code decides when to retry (see the lost-response test)
    async with CdpApiClient(
        keys["api_key_id"], keys["api_key_secret"], base_path=sandbox.url("cdp"), max_network_retries=0
    ) as client:
        yield PaymentSessionsApi(client)


def order(reference: str, amount: str = "25.00") -> CreatePaymentSessionRequest:
    return CreatePaymentSessionRequest.from_dict(
        {
            "amount": amount,
            "asset": "usdc",
            "target": {"address": OUR_WALLET, "network": "base"},
            "externalReferenceId": reference,
            "metadata": {"cart": "c-42"},
        }
    )


async def authorized(sandbox: SandboxHandle, payments: PaymentSessionsApi, reference: str) -> str:
    """A session the payer has authorized; the sandbox's control API plays the payer's wallet."""
    created = await payments.create_payment_session(
        x_idempotency_key=f"{reference}-create", create_payment_session_request=order(reference)
    )
    assert sandbox.act("cdp", created.payment_session_id, "authorize").status_code == 200
    return str(created.payment_session_id)


async def test_an_authorized_payment_is_captured_then_partly_refunded(
    sandbox: SandboxHandle, payments: PaymentSessionsApi
) -> None:
    session_id = await authorized(sandbox, payments, "order-3001")
    session = await payments.get_payment_session(session_id)
    assert session.status == "authorization_succeeded"
    assert (session.balances.capturable, session.external_reference_id) == ("25.00", "order-3001")

    capture = await payments.capture_payment_session(
        session_id,
        x_idempotency_key="order-3001-capture",
        create_capture_request=CreateCaptureRequest(final_capture=True),
    )
    assert capture.amount == "25.00"
    assert (await payments.get_payment_session_capture(session_id, capture.capture_id)).status == "succeeded"

    # one of the two items comes back: refund it from our wallet
    refund = await payments.refund_payment_session(
        session_id,
        x_idempotency_key="order-3001-refund-1",
        create_refund_request=CreateRefundRequest.from_dict(
            {"source": {"address": OUR_WALLET}, "amount": "5.00", "reason": "One mug returned"}
        ),
    )
    assert (await payments.get_payment_session_refund(session_id, refund.refund_id)).status == "succeeded"
    balances = (await payments.get_payment_session(session_id)).balances
    assert (balances.capturable, balances.captured, balances.refundable, balances.refunded) == (
        "0",
        "25.00",
        "20.00",
        "5.00",
    )


async def test_the_payer_authorizes_from_their_wallet(payments: PaymentSessionsApi) -> None:
    """Our own checkout page asks CDP what the payer's wallet must sign, and hands back the signature."""
    created = await payments.create_payment_session(create_payment_session_request=order("order-3002"))
    session_id = created.payment_session_id
    [option] = (await payments.get_wallet_authorization_options(session_id, addresses=[PAYER_WALLET])).options
    assert (option.amount, option.source.address) == ("25.00", PAYER_WALLET)
    [payload] = option.payloads  # EIP-712 typed data (an EIP-3009 transfer) for the wallet to sign
    assert payload.actual_instance.data.primary_type == "TransferWithAuthorization"
    signed = [{"payloadId": payload.actual_instance.payload_id, "signature": "0x" + "ab" * 65}]  # what it signed
    authorization = await payments.authorize_wallet_payment_session(
        session_id,
        wallet_authorization_request=WalletAuthorizationRequest.from_dict(
            {"optionId": option.option_id, "signedPayloads": signed}
        ),
    )
    assert authorization.status == "pending"
    session = await payments.get_payment_session(session_id)
    assert session.status == "authorization_succeeded"
    assert session.source.actual_instance.address == PAYER_WALLET


async def test_a_failed_authorization_cannot_be_captured(sandbox: SandboxHandle, payments: PaymentSessionsApi) -> None:
    created = await payments.create_payment_session(create_payment_session_request=order("order-3003"))
    assert sandbox.act("cdp", created.payment_session_id, "authorize", outcome="failed").status_code == 200
    assert (await payments.get_payment_session(created.payment_session_id)).status == "authorization_failed"
    with pytest.raises(ApiError) as refused:
        await payments.capture_payment_session(
            created.payment_session_id, create_capture_request=CreateCaptureRequest(final_capture=True)
        )
    assert (refused.value.http_code, refused.value.error_type) == (400, "no_capturable_balance")


# CDP captures, then the connection drops before our backend reads the answer.
LOST_CAPTURE_RESPONSE = {
    "faults": [
        {
            "name": "capture-response-lost",
            "phase": "after_commit",
            "match": {"provider": "cdp", "operation": "capture_payment_session"},
            "when": {"times": 1},
            "act": {"drop": True},
        }
    ]
}


@pytest.mark.sandbox(scenario=LOST_CAPTURE_RESPONSE)
async def test_a_capture_whose_response_is_lost_is_retried_with_the_same_key(
    sandbox: SandboxHandle, payments: PaymentSessionsApi
) -> None:
    session_id = await authorized(sandbox, payments, "order-3004")
    request = CreateCaptureRequest(final_capture=True)
    with pytest.raises(ApiError) as lost:
        await payments.capture_payment_session(
            session_id, x_idempotency_key="order-3004-capture", create_capture_request=request
        )
    # cdp-sdk reports a connection closed without an answer as an unexpected 500
    assert (lost.value.error_type, lost.value.error_message) == (
        "unexpected_error",
        "An unexpected error occurred: Server disconnected",
    )

    # we cannot know whether CDP captured, so we retry with the same idempotency key...
    retried = await payments.capture_payment_session(
        session_id, x_idempotency_key="order-3004-capture", create_capture_request=request
    )
    assert retried.amount == "25.00"
    # ...and get the original capture back: nothing was captured twice
    [capture] = (await payments.list_payment_session_captures(session_id)).captures
    assert capture.capture_id == retried.capture_id
    assert (await payments.get_payment_session(session_id)).balances.captured == "25.00"
