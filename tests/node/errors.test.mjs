// CDP's error envelope ({errorType, errorMessage, correlationId, errorLink}) as @coinbase/cdp-sdk
// surfaces it: an APIError with statusCode, errorType, errorMessage, correlationId and errorLink.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import {
  SANDBOX_URL,
  apiError,
  connect,
  control,
  credentials,
  newSession,
  payments,
  sessionRequest,
  use,
} from "./cdp.mjs";

const UNKNOWN_SESSION = "paymentSession_00000000-0000-4000-8000-000000000000";

let key;
before(async () => {
  key = await connect("errors");
});

test("404: an unknown session, an unknown capture", async () => {
  const error = await apiError(payments.getPaymentSession(UNKNOWN_SESSION), 404, "not_found");
  assert.ok(error.correlationId, "CDP's correlationId reaches the SDK");
  assert.match(error.errorLink, /#not-found$/);
  assert.ok(error.errorMessage);
  const { paymentSessionId: id } = await newSession();
  await apiError(
    payments.getPaymentSessionCapture(id, "capture_00000000-0000-4000-8000-000000000000"),
    404,
    "not_found",
  );
});

test("400: a bad body, and actions the session's state refuses", async () => {
  const bad = await apiError(payments.createPaymentSession(sessionRequest({ amount: "lots" })), 400, "invalid_request");
  assert.match(bad.errorLink, /#invalid-request$/);
  const { paymentSessionId: id } = await newSession();
  await apiError(payments.capturePaymentSession(id, { finalCapture: true }), 400, "no_capturable_balance");
  await payments.cancelPaymentSession(id, {});
  await apiError(payments.cancelPaymentSession(id, {}), 400, "payment_session_already_canceled");
});

test("402 and 403: the payer routes the SDK cannot complete on its own", async () => {
  const { paymentSessionId: id } = await newSession();
  // x402 wants a PAYMENT-SIGNATURE header; the generated function cannot send one.
  await apiError(payments.authorizeX402PaymentSession(id), 402, "payment_required");
  // The Coinbase-account route wants a Coinbase OAuth token; the SDK always signs a CDP JWT.
  await apiError(
    payments.authorizeCoinbasePaymentSession(id, { asset: "usdc" }),
    403,
    "forbidden",
  );
});

test("401: in strict mode a key the sandbox does not know, or a forged signature", async () => {
  // A namespace of our own in strict mode: only `trusted`'s key is accepted, its JWTs verified.
  const root = `${SANDBOX_URL}/ns/ts_strict_${process.pid}`;
  const trusted = await credentials("ts_trusted", root);
  const scenario = { providers: { cdp: { api_keys: [{ id: trusted.apiKeyId, secret: trusted.apiKeySecret }] } } };
  await control("PUT", "/scenario", JSON.stringify(scenario), root);
  try {
    use(trusted, root);
    assert.ok(Array.isArray((await payments.listPaymentSessions()).paymentSessions));

    use(await credentials("ts_stranger", root), root);
    const stranger = await apiError(payments.listPaymentSessions(), 401, "unauthorized");
    assert.match(stranger.errorLink, /#unauthorized$/);
    // The sandbox's envelope, not the SDK's fallback for a bare 401 (which has no correlationId).
    assert.ok(stranger.correlationId);

    const forged = await credentials("ts_forger", root); // a real Ed25519 key, but not trusted's
    use({ apiKeyId: trusted.apiKeyId, apiKeySecret: forged.apiKeySecret }, root);
    await apiError(payments.createPaymentSession(sessionRequest()), 401, "unauthorized");
  } finally {
    use(key);
    await fetch(`${SANDBOX_URL}/_sandbox/namespaces/ts_strict_${process.pid}`, { method: "DELETE" });
  }
});
