/**
 * Coinbase's TypeScript client, `@coinbase/cdp-sdk` (package.json pins the version), unchanged,
 * pointed at a running sandbox: SANDBOX_URL is its root (e.g. http://127.0.0.1:4242), CDP is
 * served under SANDBOX_URL/cdp/platform and the control API under SANDBOX_URL/_sandbox.
 *
 * Why the generated module and not `CdpClient`: the package's public surface has no
 * payment-session (or webhook-subscription) methods yet. The functions exist, generated from
 * CDP's OpenAPI spec, in the module the package ships at `_esm/openapi-client/`, but its
 * `exports` map hides that path (`@coinbase/cdp-sdk/_esm/...` fails with
 * ERR_PACKAGE_PATH_NOT_EXPORTED). So we resolve the package's own entry point and import the
 * generated files beside it: the very files `CdpClient` uses, so `configure()` sets up the same
 * axios instance (with the SDK's JWT signing per request) that the generated functions call.
 *
 * Each generated function takes its path parameters, its body or query, and last the
 * X-Idempotency-Key (a string) the SDK turns into the header.
 */

import assert from "node:assert/strict";

const entry = import.meta.resolve("@coinbase/cdp-sdk"); // .../@coinbase/cdp-sdk/_esm/index.js
const load = path => import(new URL(path, entry));

/** The generated functions, e.g. `payments.createPaymentSession`, `webhooks.createWebhookSubscription`. */
export const payments = await load("./openapi-client/generated/payment-sessions/payment-sessions.js");
export const webhooks = await load("./openapi-client/generated/webhooks/webhooks.js");
const { configure } = await load("./openapi-client/cdpApiClient.js");
/** What the SDK throws for every CDP error answer: statusCode, errorType, errorMessage, correlationId, errorLink. */
export const { APIError } = await load("./openapi-client/errors.js");

export const SANDBOX_URL = (process.env.SANDBOX_URL ?? "").replace(/\/$/, "");
if (!SANDBOX_URL) {
  throw new Error("set SANDBOX_URL to a running sandbox, e.g. SANDBOX_URL=http://127.0.0.1:4242");
}

export const WALLET = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"; // the spec's example target
export const PAYER = "0xAbC1234567890aBcDeF1234567890AbCdEf123456";

/** The sandbox's control API (plain fetch: it is not part of CDP). */
export async function control(method, path, body, root = SANDBOX_URL) {
  const response = await fetch(`${root}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": typeof body === "string" ? "text/yaml" : "application/json" },
    body: body === undefined || typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} /_sandbox${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A ready CDP key pair for `tenant` (in default mode the key id, the JWT's `sub`, names the merchant). */
export async function credentials(tenant, root = SANDBOX_URL) {
  const { providers } = await control("GET", `/providers?tenant=${tenant}`, undefined, root);
  const { api_key_id: apiKeyId, api_key_secret: apiKeySecret } = providers.find(p => p.name === "cdp").credentials;
  return { apiKeyId, apiKeySecret };
}

/**
 * Configure the SDK for a fresh tenant of its own (per test file and run, so lists see only
 * this file's records even on a shared sandbox) and return its key pair.
 */
export async function connect(area, root = SANDBOX_URL) {
  const key = await credentials(`ts_${area}_${process.pid}`, root);
  use(key, root);
  return key;
}

/** Point the SDK at `root`'s CDP with this key pair (the SDK keeps one configuration per process). */
export function use({ apiKeyId, apiKeySecret }, root = SANDBOX_URL) {
  configure({ apiKeyId, apiKeySecret, basePath: `${root}/cdp/platform` });
}

/** A CreatePaymentSessionRequest: the spec's example, with changes. */
export function sessionRequest(changes = {}) {
  return {
    amount: "10.00",
    asset: "usdc",
    target: { address: WALLET, network: "base" },
    externalReferenceId: "order-ts-1",
    metadata: { customer_id: "cust_12345" },
    redirect: { successUrl: "https://merchant.example.com/ok" },
    ...changes,
  };
}

/** A fresh session in `created` status. */
export async function newSession(changes = {}) {
  return payments.createPaymentSession(sessionRequest(changes));
}

/** The payer's side, through the SDK's own payer calls: pick the wallet option and "sign" its payloads. */
export async function authorizeWithWallet(sessionId, payer = PAYER) {
  const { options } = await payments.getWalletAuthorizationOptions(sessionId, { addresses: [payer] });
  assert.equal(options.length, 1, JSON.stringify(options));
  const [option] = options;
  const signedPayloads = option.payloads.map(p => ({ payloadId: p.payloadId, signature: "0x" + "ab".repeat(65) }));
  return payments.authorizeWalletPaymentSession(sessionId, { optionId: option.optionId, signedPayloads });
}

/** Await `promise`, expect the SDK's APIError, and return it (for more asserts). */
export async function apiError(promise, statusCode, errorType) {
  const error = await promise.then(
    value => assert.fail(`expected ${statusCode} ${errorType}, got ${JSON.stringify(value)}`),
    error => error,
  );
  assert.ok(error instanceof APIError, `expected the SDK's APIError, got ${error?.stack ?? error}`);
  assert.deepEqual([error.statusCode, error.errorType], [statusCode, errorType], error.errorMessage);
  return error;
}
