/*
 * Payviox JavaScript SDK, sandbox edition: the documented API (docs.payviox.com, llms-full.txt
 * "JavaScript SDK Reference") talking to the sandbox that served this file instead of
 * api.payviox.com and secure.payviox.com. The real bundle is not public (npm @payviox/sdk is
 * not published), so this is written from the documented contract.
 *
 *   const payviox = new Payviox('pk_test_shop');
 *   const id = await payviox.createSession({...});            // -> session id
 *   await payviox.createSession({...}, { redirect: true });    // -> navigates to the hosted page
 *   await payviox.createSession({...}, { iframeMode: true, iframeConfig: { iframeTarget: el } });
 *   payviox.openSession(id); payviox.openIframe(id, config); await payviox.getPaymentsMethods({currencies: 'USD'});
 */
(function (root) {
  "use strict";

  var script = document.currentScript;
  // The sandbox (or one of its namespaces, /ns/{name}) that served this script: its URL less the script's own path.
  var ORIGIN = script ? script.src.replace(/\/payviox\/sdk\/payviox\.js(\?.*)?$/, "") : root.location.origin;
  var API = ORIGIN + "/payviox";
  var PAGE = ORIGIN + "/payviox/secure";

  function PayvioxError(message, status, body) {
    var error = new Error(message);
    error.status = status;
    error.body = body;
    return error;
  }

  function Payviox(token) {
    if (!(this instanceof Payviox)) { return new Payviox(token); }
    if (typeof token !== "string" || !token) { throw new Error("Payviox: a public API key is required"); }
    this.token = token;
    this.iframeConfig = null;
    this._listening = false;
  }

  Payviox.prototype._request = function (method, path, body) {
    var init = { method: method, headers: { Authorization: "Bearer " + this.token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (ignored) { data = text; }
        if (response.ok) { return data; }
        // The docs' error handling reads error.message for "Unauthorized" / "Bad request" and error.status.
        var word = response.status === 401 ? "Unauthorized" : response.status === 429 ? "Too many requests" : "Bad request";
        throw PayvioxError(word + ": " + JSON.stringify(data), response.status, data);
      });
    });
  };

  Payviox.prototype.createSession = function (sessionParameters, parameters) {
    var options = parameters || {};
    var self = this;
    if (options.redirect && options.iframeMode) {
      return Promise.reject(PayvioxError("Bad request: redirect cannot be used with iframeMode", 400, null));
    }
    if (options.iframeMode && !(options.iframeConfig && options.iframeConfig.iframeTarget)) {
      return Promise.reject(PayvioxError("Bad request: iframeMode requires iframeConfig.iframeTarget", 400, null));
    }
    return this._request("POST", "/session", sessionParameters).then(function (data) {
      var id = data.session_id;
      if (data.redirect_url && !data.payment_error && (options.redirect || options.iframeMode)) {
        // Redirect providers refuse to be framed: always a full-page navigation.
        root.location.href = data.redirect_url;
        return undefined;
      }
      if (options.redirect) { self.openSession(id); return undefined; }
      if (options.iframeMode) { self.openIframe(id, options.iframeConfig); }
      return id;
    });
  };

  Payviox.prototype.openSession = function (sessionId) {
    root.location.href = PAGE + "/" + encodeURIComponent(sessionId);
  };

  Payviox.prototype.openIframe = function (sessionId, iframeConfig) {
    var config = iframeConfig || this.iframeConfig;
    if (!config || !config.iframeTarget) { throw new Error("Payviox: openIframe needs iframeConfig.iframeTarget"); }
    this.iframeConfig = config;
    var frame = document.createElement("iframe");
    frame.src = PAGE + "/" + encodeURIComponent(sessionId);
    frame.title = "Payviox payment";
    frame.setAttribute("data-payviox-session", sessionId);
    frame.style.width = config.width || "100%";
    frame.style.height = config.height || "400px";
    this._autoHeight = !config.height;  // without a height, the frame follows its page (payviox:resize)
    this._frame = frame;
    frame.style.border = config.withoutBorder ? "0" : "1px solid #e4e7ec";
    if (config.transparentBackground) { frame.setAttribute("allowtransparency", "true"); frame.style.background = "transparent"; }
    if (config.style) { frame.style.cssText += ";" + config.style; }
    config.iframeTarget.appendChild(frame);
    this._listen();
    return frame;
  };

  // sdk/integration/iframe: the page posts payviox:redirect (full-page navigation) and payviox:close.
  // Invented, sandbox only: payviox:resize (the frame follows its page's height, when none was
  // given) and payviox:status; both, and the close, are passed on to the shop as DOM events on
  // the iframe target ("payviox:status", "payviox:close", with {session, status} in `detail`).
  Payviox.prototype._listen = function () {
    if (this._listening) { return; }
    this._listening = true;
    var self = this;
    var last = null;
    function tell(type) {
      if (!self.iframeConfig) { return; }
      var detail = last || {};
      self.iframeConfig.iframeTarget.dispatchEvent(new CustomEvent(type, { detail: detail, bubbles: true }));
    }
    root.addEventListener("message", function (event) {
      if (event.origin !== new URL(ORIGIN).origin || !event.data) { return; }
      if (event.data.type === "payviox:redirect" && event.data.redirect) {
        root.location.href = event.data.redirect;
      } else if (event.data.type === "payviox:resize" && self._autoHeight && self._frame) {
        self._frame.style.height = Math.ceil(Number(event.data.height) || 400) + "px";
      } else if (event.data.type === "payviox:status") {
        last = { session: String(event.data.session), status: String(event.data.status) };
        tell("payviox:status");
      } else if (event.data.type === "payviox:close" && self.iframeConfig) {
        self.iframeConfig.iframeTarget.innerHTML = "";
        self._frame = null;
        tell("payviox:close");
      }
    });
  };

  function list(value) {
    if (value === undefined || value === null) { return ""; }
    return Array.isArray(value) ? value.join(",") : String(value);
  }

  Payviox.prototype.getPaymentsMethods = function (filters) {
    var query = new URLSearchParams();
    if (filters && filters.currencies) { query.set("currencies", list(filters.currencies)); }
    if (filters && filters.countries) { query.set("countries", list(filters.countries)); }
    var suffix = query.toString() ? "?" + query.toString() : "";
    return this._request("GET", "/payments/methods" + suffix).then(function (methods) {
      // The REST answer is an object keyed by id with no `type`; the SDK's PaymentMethod has one.
      // Invented: type from the id, since the real mapping is not public.
      return Object.keys(methods).map(function (id) {
        var method = methods[id];
        var type = /card|credit/.test(id) ? "card" : /crypto|usdt|btc/.test(id) ? "crypto"
          : /paypal|wallet|apple/.test(id) ? "wallet" : "bank_transfer";
        return { id: id, name: method.name, type: type, currencies: method.currencies || [], countries: method.countries || [] };
      });
    });
  };

  root.Payviox = Payviox;
})(window);
