/*
 * CubePay browser SDK, as played by the payment sandbox.
 *
 * The real bundle is not published; this one follows the documented contract
 * (docs.grain.inc payment-sdk: overview, initialize-sdk, create-payment-session, handle-errors):
 *   - loading this script defines window.CubePaySDK;
 *   - CubePaySDK.init({ merchantId, container, apiHost?, theme? }) (or init(merchantId, container, config))
 *     returns an instance; the container defaults to #cubepay-sdk-root; apiHost defaults to the
 *     sandbox that served this file;
 *   - instance.open({ paymentSessionId, paymentSessionToken }) shows the modal inside a Shadow DOM
 *     under the container (a dialog on desktop, a drawer on narrow screens) and returns a promise
 *     that resolves with the funding transaction hash, or rejects with an error whose name is
 *     "CubePayClosedError" when the payer closes the modal.
 * Invented (FIDELITY.md): the option names apiHost/theme, the CSS custom properties, the wallet
 * list, the deterministic sandbox wallet addresses, and the sandbox wallet's transfer route.
 * No dependencies, no build step.
 */
(function (root, factory) {
  if (typeof define === "function" && define.amd) {
    define([], factory);
  } else if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.CubePaySDK = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // The sandbox writes its own API base in here when it serves the bundle, so a copy saved into a
  // merchant's public/vendor/ (as the docs tell merchants to self-host it) still talks to the
  // sandbox. A file read straight from the package falls back to where the script was loaded from.
  var SERVED_API = "{{CUBEPAY_API_BASE}}";
  var script = typeof document !== "undefined" ? document.currentScript : null;
  var DEFAULT_API = SERVED_API.indexOf("{{") === -1
    ? SERVED_API
    : script && script.src ? script.src.replace(/\/vendor\/[^/]*$/, "") : "/cubepay";
  var NARROW = "(max-width: 640px)";

  class CubePayClosedError extends Error {
    constructor(message) {
      super(message || "The payer closed the CubePay payment modal.");
      this.name = "CubePayClosedError";
    }
  }

  class CubePayError extends Error {
    constructor(message, status) {
      super(message);
      this.name = "CubePayError";
      this.status = status || null;
    }
  }

  var WALLETS = [
    { id: "metamask", name: "MetaMask" },
    { id: "coinbase", name: "Coinbase Wallet" },
    { id: "walletconnect", name: "WalletConnect" },
  ];

  // A sandbox wallet's address: 20 bytes derived from the wallet and the session (FNV-1a), so the
  // same click gives the same address on every run. The server stores it EIP-55 checksummed.
  function sandboxAddress(seed) {
    var out = "";
    var hash = 0x811c9dc5;
    for (var round = 0; out.length < 40; round++) {
      var text = seed + ":" + round;
      for (var i = 0; i < text.length; i++) {
        hash ^= text.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
      out += hash.toString(16).padStart(8, "0");
    }
    return "0x" + out.slice(0, 40);
  }

  function short(address) {
    return address ? address.slice(0, 6) + "…" + address.slice(-4) : "";
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  var STYLE = [
    ":host { all: initial; }",
    ".backdrop { position: fixed; inset: 0; z-index: 2147483000; display: flex; align-items: center;",
    "  justify-content: center; background: rgba(15, 23, 42, 0.55);",
    "  font-family: var(--cubepay-font, system-ui, -apple-system, 'Segoe UI', sans-serif); color: #0f172a; }",
    ".panel { box-sizing: border-box; width: 400px; max-width: calc(100vw - 32px); background: #fff;",
    "  border-radius: var(--cubepay-radius, 16px); box-shadow: 0 24px 64px rgba(15, 23, 42, 0.35); padding: 20px 24px 24px; }",
    "@media " + NARROW + " {",
    "  .backdrop { align-items: flex-end; }",
    "  .panel { width: 100vw; max-width: 100vw; border-radius: var(--cubepay-radius, 16px) var(--cubepay-radius, 16px) 0 0;",
    "    padding-bottom: 32px; }",
    "}",
    "header { display: flex; align-items: center; gap: 8px; margin-bottom: 16px; }",
    ".brand { font-weight: 700; font-size: 18px; }",
    ".badge { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; background: #fef3c7; color: #92400e;",
    "  border-radius: 999px; padding: 2px 8px; }",
    ".close { margin-left: auto; border: 0; background: transparent; font-size: 24px; line-height: 1; cursor: pointer;",
    "  color: #475569; padding: 4px 8px; }",
    ".amount { font-size: 28px; font-weight: 700; margin: 0; }",
    ".sub { color: #475569; margin: 4px 0 16px; font-size: 14px; }",
    ".wallets { display: grid; gap: 8px; }",
    "button.wallet, button.pay, button.retry { font: inherit; font-size: 15px; border-radius: 10px; padding: 12px 14px;",
    "  cursor: pointer; text-align: left; }",
    "button.wallet { border: 1px solid #cbd5e1; background: #f8fafc; }",
    "button.wallet:hover { border-color: var(--cubepay-accent, #4f46e5); }",
    "button.pay, button.retry { width: 100%; border: 0; background: var(--cubepay-accent, #4f46e5); color: #fff;",
    "  text-align: center; font-weight: 600; margin-top: 12px; }",
    "button:disabled { opacity: .6; cursor: progress; }",
    "dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 12px; font-size: 14px; margin: 0; }",
    "dt { color: #64748b; } dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }",
    ".error { color: #b91c1c; background: #fef2f2; border-radius: 8px; padding: 10px 12px; font-size: 14px; }",
    ".note { color: #64748b; font-size: 12px; margin-top: 12px; }",
  ].join("\n");

  class CubePay {
    constructor(options) {
      options = options || {};
      if (!options.merchantId) {
        throw new CubePayError("CubePay merchantId is required");
      }
      var container = options.container || "cubepay-sdk-root";
      if (typeof container === "string") {
        container = document.getElementById(container.replace(/^#/, ""));
      }
      if (!container) {
        throw new CubePayError("Missing CubePay container element with id 'cubepay-sdk-root'");
      }
      this.merchantId = options.merchantId;
      this.container = container;
      this.apiHost = (options.apiHost || DEFAULT_API).replace(/\/$/, "");
      var theme = options.theme || {};
      Object.keys(theme).forEach(function (name) {
        container.style.setProperty(name.indexOf("--") === 0 ? name : "--cubepay-" + name, theme[name]);
      });
      this.shadow = container.shadowRoot || container.attachShadow({ mode: "open" });
      this.active = null;
    }

    open(params) {
      params = params || {};
      if (this.active) {
        return Promise.reject(new CubePayError("The CubePay modal is already open"));
      }
      if (!params.paymentSessionId || !params.paymentSessionToken) {
        return Promise.reject(new CubePayError("open() needs paymentSessionId and paymentSessionToken"));
      }
      var self = this;
      return new Promise(function (resolve, reject) {
        self.active = new Modal(self, params, resolve, reject);
        self.active.start();
      });
    }

    close() {
      if (this.active) {
        this.active.finish(new CubePayClosedError());
      }
    }
  }

  class Modal {
    constructor(sdk, params, resolve, reject) {
      this.sdk = sdk;
      this.id = params.paymentSessionId;
      this.token = params.paymentSessionToken;
      this.resolve = resolve;
      this.reject = reject;
      this.session = null;
      this.wallet = null;
      this.onKey = this.onKey.bind(this);
    }

    request(method, path, body) {
      var headers = { Authorization: "Bearer " + this.token };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
      }
      return fetch(this.sdk.apiHost + path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            if (!response.ok) {
              throw new CubePayError(data.error || "CubePay request failed (" + response.status + ")", response.status);
            }
            return data;
          });
      });
    }

    start() {
      var shadow = this.sdk.shadow;
      shadow.innerHTML =
        "<style>" + STYLE + "</style>" +
        '<div class="backdrop" part="backdrop"><div class="panel" part="panel" role="dialog" aria-modal="true"' +
        ' aria-label="CubePay payment"><header><span class="brand">CubePay</span><span class="badge">Sandbox</span>' +
        '<button type="button" class="close" aria-label="Close">×</button></header><div class="body"></div></div></div>';
      var self = this;
      this.backdrop = shadow.querySelector(".backdrop");
      this.panel = shadow.querySelector(".panel");
      this.body = shadow.querySelector(".body");
      this.media = window.matchMedia(NARROW);
      this.onLayout = function () {
        self.panel.setAttribute("data-layout", self.media.matches ? "drawer" : "dialog");
      };
      this.onLayout();
      this.media.addEventListener("change", this.onLayout);
      shadow.querySelector(".close").addEventListener("click", function () {
        self.finish(new CubePayClosedError());
      });
      this.backdrop.addEventListener("click", function (event) {
        if (event.target === self.backdrop) {
          self.finish(new CubePayClosedError());
        }
      });
      document.addEventListener("keydown", this.onKey);
      this.show('<p class="sub">Loading payment…</p>');
      this.request("GET", "/payment-sessions/" + encodeURIComponent(this.id))
        .then(function (session) {
          self.session = session;
          if (session.fundingTransactionHash) {
            self.finish(null, session.fundingTransactionHash);
          } else if (session.status === "CREATED" || session.status === "PENDING") {
            self.chooseWallet();
          } else {
            self.fail(new CubePayError("This payment session is " + session.status + "."));
          }
        })
        .catch(function (error) {
          self.fail(error);
        });
    }

    onKey(event) {
      if (event.key === "Escape") {
        this.finish(new CubePayClosedError());
      }
    }

    show(html) {
      this.body.innerHTML = html;
    }

    summary() {
      var s = this.session;
      return (
        '<p class="amount">' + escapeHtml(s.amount) + " " + escapeHtml(s.currency) + "</p>" +
        '<p class="sub">Pay with ' + escapeHtml(s.tokenSymbol) + " on " + escapeHtml(s.network) + "</p>"
      );
    }

    chooseWallet() {
      var self = this;
      var buttons = WALLETS.map(function (wallet) {
        return '<button type="button" class="wallet" data-wallet="' + wallet.id + '">' + wallet.name + "</button>";
      }).join("");
      this.show(this.summary() + '<div class="wallets" role="list">' + buttons + "</div>" +
        '<p class="note">Sandbox wallets: no real funds move.</p>');
      this.body.querySelectorAll("button.wallet").forEach(function (button) {
        button.addEventListener("click", function () {
          self.connect(WALLETS.find(function (w) { return w.id === button.dataset.wallet; }), button);
        });
      });
    }

    connect(wallet, button) {
      var self = this;
      var s = this.session;
      button.disabled = true;
      var address = sandboxAddress(wallet.id + ":" + this.id);
      this.request("POST", "/api/v1/payment-sessions/" + encodeURIComponent(this.id) + "/connect-wallet", {
        userAddress: address,
        paymentMethodId: "pm_" + s.tokenSymbol.toLowerCase() + "_" + s.network.toLowerCase(),
      })
        .then(function () {
          return self.request("GET", "/payment-sessions/" + encodeURIComponent(self.id));
        })
        .then(function (session) {
          self.session = session;
          self.wallet = wallet;
          self.review();
        })
        .catch(function (error) {
          self.fail(error);
        });
    }

    review() {
      var s = this.session;
      var self = this;
      this.show(
        this.summary() +
        "<dl><dt>Wallet</dt><dd>" + escapeHtml(this.wallet.name) + " " + escapeHtml(short(s.userAddress)) + "</dd>" +
        "<dt>To</dt><dd>" + escapeHtml(s.oneTimeWalletAddress) + "</dd></dl>" +
        '<button type="button" class="pay">Pay ' + escapeHtml(s.amount) + " " + escapeHtml(s.tokenSymbol) + "</button>"
      );
      this.body.querySelector("button.pay").addEventListener("click", function (event) {
        self.pay(event.currentTarget);
      });
    }

    pay(button) {
      var self = this;
      var path = "/payment-sessions/" + encodeURIComponent(this.id);
      button.disabled = true;
      button.textContent = "Confirm in your wallet…";
      // The sandbox wallet sends the tokens; then, as the real SDK does, the client reports the
      // transaction (funding-transaction-api) and reads the session back.
      this.request("POST", "/sandbox-wallet" + path + "/transfer", {})
        .then(function (sent) {
          self.hash = sent.transactionHash;
          return self.request("POST", "/api/v1" + path + "/funding-transaction", {
            fundingTransactionHash: sent.transactionHash,
            wait: false,
          });
        })
        .then(function () {
          return self.request("GET", path);
        })
        .then(function (session) {
          self.session = session;
          if (session.status === "FUNDED" || session.fundingTransactionHash) {
            self.finish(null, session.fundingTransactionHash || self.hash);
          } else {
            self.fail(new CubePayError("The payment session is " + session.status + " after the transfer."));
          }
        })
        .catch(function (error) {
          self.fail(error);
        });
    }

    fail(error) {
      var self = this;
      this.show(
        '<p class="error" role="alert">' + escapeHtml(error.message) + "</p>" +
        '<button type="button" class="retry">Close</button>'
      );
      this.body.querySelector("button.retry").addEventListener("click", function () {
        self.finish(error);
      });
    }

    finish(error, hash) {
      if (this.sdk.active !== this) {
        return;
      }
      this.sdk.active = null;
      document.removeEventListener("keydown", this.onKey);
      this.media.removeEventListener("change", this.onLayout);
      this.sdk.shadow.innerHTML = "";
      if (error) {
        this.reject(error);
      } else {
        this.resolve(hash);
      }
    }
  }

  function init(options, container, config) {
    if (typeof options === "string") {
      options = Object.assign({}, config || {}, { merchantId: options, container: container });
    }
    return new CubePay(options);
  }

  return {
    init: init,
    SDK: CubePay,
    CubePayClosedError: CubePayClosedError,
    CubePayError: CubePayError,
    version: "sandbox",
  };
});
