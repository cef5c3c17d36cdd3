// The whole payment-session lifecycle through @coinbase/cdp-sdk's generated functions (see cdp.mjs):
// create, get, list, authorize (the SDK's payer calls), capture partial and final, refund, void, cancel.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { PAYER, SANDBOX_URL, WALLET, authorizeWithWallet, connect, control, newSession, payments } from "./cdp.mjs";

const SESSION_ID = /^paymentSession_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

before(() => connect("lifecycle"));

test("create, get and list a payment session", async () => {
  const created = await newSession({ externalReferenceId: "order-ts-create" });
  const id = created.paymentSessionId;
  assert.match(id, SESSION_ID);
  assert.equal(created.status, "created");
  assert.equal(created.amount, "10.00");
  assert.equal(created.asset, "usdc");
  assert.deepEqual(created.target, { address: WALLET, network: "base" });
  assert.deepEqual(created.metadata, { customer_id: "cust_12345" });
  assert.equal(created.url, `${SANDBOX_URL}/cdp/payment-sessions/${id}`);
  assert.equal(created.x402Url, `${SANDBOX_URL}/cdp/platform/v2/payment-sessions/${id}/authorizations/x402`);

  assert.deepEqual(await payments.getPaymentSession(id), created);

  const second = await newSession({ amount: "2.50" });
  const listed = await payments.listPaymentSessions({ pageSize: 1 });
  assert.deepEqual(
    listed.paymentSessions.map(s => s.paymentSessionId),
    [second.paymentSessionId],
  );
  assert.ok(listed.nextPageToken, "a second page");
  const rest = await payments.listPaymentSessions({ pageSize: 10, pageToken: listed.nextPageToken });
  assert.ok(rest.paymentSessions.some(s => s.paymentSessionId === id));
});

test("authorize with the payer's wallet, capture partially, refund, void the rest", async () => {
  const { paymentSessionId: id } = await newSession();

  const authorization = await authorizeWithWallet(id);
  assert.equal(authorization.status, "pending");
  assert.equal(authorization.amount, "10.00");
  assert.deepEqual(authorization.source, { address: PAYER, network: "base", asset: "usdc" });
  const session = await payments.getPaymentSession(id);
  assert.equal(session.status, "authorization_succeeded");
  assert.equal(session.balances.capturable, "10.00");
  const { authorizations } = await payments.listPaymentSessionAuthorizations(id);
  assert.deepEqual(
    authorizations.map(a => a.authorizationId),
    [authorization.authorizationId],
  );
  const settled = await payments.getPaymentSessionAuthorization(id, authorization.authorizationId);
  assert.equal(settled.status, "succeeded");

  const capture = await payments.capturePaymentSession(id, { amount: "4.00", finalCapture: false });
  assert.deepEqual([capture.status, capture.amount, capture.finalCapture], ["pending", "4.00", false]);
  assert.equal((await payments.getPaymentSessionCapture(id, capture.captureId)).status, "succeeded");

  const refund = await payments.refundPaymentSession(id, {
    source: { address: "0x742d35Cc6634C0532925a3b844Bc454e4438f44e" },
    amount: "1.50",
    reason: "Returned",
  });
  assert.deepEqual([refund.amount, refund.reason], ["1.50", "Returned"]);
  assert.equal((await payments.getPaymentSessionRefund(id, refund.refundId)).status, "succeeded");

  const voided = await payments.voidPaymentSession(id, {});
  assert.equal(voided.amount, "6.00");
  assert.equal((await payments.getPaymentSessionVoid(id, voided.voidId)).status, "succeeded");

  assert.equal((await payments.listPaymentSessionCaptures(id)).captures.length, 1);
  assert.equal((await payments.listPaymentSessionRefunds(id)).refunds.length, 1);
  assert.equal((await payments.listPaymentSessionVoids(id)).voids.length, 1);
  const final = await payments.getPaymentSession(id);
  assert.equal(final.status, "void_succeeded");
  const { capturable, captured, refundable, refunded } = final.balances;
  assert.deepEqual([capturable, captured, refundable, refunded], ["0", "4.00", "2.50", "1.50"]);
});

test("authorize through the control API, capture in two parts, the second final", async () => {
  const { paymentSessionId: id } = await newSession({ amount: "5.00" });
  // The sandbox's own door for "the payer paid" (what the hosted page and scenarios use).
  await control("POST", `/cdp/sessions/${id}/actions/authorize`);
  assert.equal((await payments.getPaymentSession(id)).status, "authorization_succeeded");

  const first = await payments.capturePaymentSession(id, { amount: "2.00", finalCapture: false });
  assert.equal(first.amount, "2.00");
  const last = await payments.capturePaymentSession(id, { amount: "1.00", finalCapture: true });
  assert.deepEqual([last.amount, last.finalCapture], ["1.00", true]);

  const session = await payments.getPaymentSession(id);
  assert.equal(session.status, "capture_succeeded");
  // A final capture releases what is left: nothing more to capture.
  assert.deepEqual([session.balances.captured, session.balances.capturable], ["3.00", "0"]);
  const { captures } = await payments.listPaymentSessionCaptures(id);
  assert.deepEqual(
    captures.map(c => c.amount),
    ["1.00", "2.00"],
  );
});

test("cancel a session before authorization", async () => {
  const { paymentSessionId: id } = await newSession();
  const canceled = await payments.cancelPaymentSession(id, { cancellationReason: "Customer requested cancellation." });
  assert.deepEqual(
    [canceled.status, canceled.cancellationReason],
    ["canceled", "Customer requested cancellation."],
  );
  assert.equal((await payments.getPaymentSession(id)).status, "canceled");
});
