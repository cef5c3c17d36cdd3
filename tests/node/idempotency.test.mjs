// Idempotent retries through @coinbase/cdp-sdk: its last argument is the X-Idempotency-Key; the same
// key with the same body replays the first answer, the same key with another body is a 422.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { PAYER, apiError, authorizeWithWallet, connect, newSession, payments, sessionRequest } from "./cdp.mjs";

before(() => connect("idempotency"));

test("a retried create replays the first session", async () => {
  const first = await payments.createPaymentSession(sessionRequest(), "ts-create-1");
  const retry = await payments.createPaymentSession(sessionRequest(), "ts-create-1");
  assert.deepEqual(retry, first);
  const { paymentSessions } = await payments.listPaymentSessions({ pageSize: 100 });
  assert.equal(paymentSessions.filter(s => s.paymentSessionId === first.paymentSessionId).length, 1);
  assert.equal(paymentSessions.length, 1, "the retry made no second session");
});

test("the same key with another body is an idempotency_error", async () => {
  await payments.createPaymentSession(sessionRequest(), "ts-create-2");
  const error = await apiError(
    payments.createPaymentSession(sessionRequest({ amount: "2.00" }), "ts-create-2"),
    422,
    "idempotency_error",
  );
  assert.ok(error.correlationId);
});

test("retried capture, refund and void replay their action, the money moves once", async () => {
  const { paymentSessionId: id } = await newSession();
  await authorizeWithWallet(id);

  const capture = await payments.capturePaymentSession(id, { amount: "4.00", finalCapture: false }, "ts-capture-1");
  assert.deepEqual(await payments.capturePaymentSession(id, { amount: "4.00", finalCapture: false }, "ts-capture-1"), capture);
  const refundRequest = { source: { address: PAYER }, amount: "1.00", reason: "Returned" };
  const refund = await payments.refundPaymentSession(id, refundRequest, "ts-refund-1");
  assert.deepEqual(await payments.refundPaymentSession(id, refundRequest, "ts-refund-1"), refund);
  const voided = await payments.voidPaymentSession(id, {}, "ts-void-1");
  assert.deepEqual(await payments.voidPaymentSession(id, {}, "ts-void-1"), voided);

  assert.equal((await payments.listPaymentSessionCaptures(id)).captures.length, 1);
  assert.equal((await payments.listPaymentSessionRefunds(id)).refunds.length, 1);
  assert.equal((await payments.listPaymentSessionVoids(id)).voids.length, 1);
  const { captured, refunded } = (await payments.getPaymentSession(id)).balances;
  assert.deepEqual([captured, refunded], ["4.00", "1.00"]);
});

test("a retried cancel replays its answer; a new cancel is refused", async () => {
  const { paymentSessionId: id } = await newSession();
  const canceled = await payments.cancelPaymentSession(id, {}, "ts-cancel-1");
  assert.deepEqual(await payments.cancelPaymentSession(id, {}, "ts-cancel-1"), canceled);
  await apiError(payments.cancelPaymentSession(id, {}, "ts-cancel-2"), 400, "payment_session_already_canceled");
});
