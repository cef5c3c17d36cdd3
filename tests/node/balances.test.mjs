// Coinbase-account balances through @coinbase/cdp-sdk's generated function: not served yet.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { connect, payments } from "./cdp.mjs";

before(() => connect("balances"));

test(
  "listCoinbaseAccountBalances",
  { skip: "GET /v2/coinbase-accounts/balances is not served yet (coinbase-accounts balances are being added)" },
  async () => {
    // The route wants a Coinbase OAuth token; the generated function always signs a CDP JWT instead.
    const answer = await payments.listCoinbaseAccountBalances();
    assert.ok(answer);
  },
);
