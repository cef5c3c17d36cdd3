/* The dashboard's script: live refresh over Server-Sent Events, and every change through the
   control API. Plain JS, no build step. Data is never put into the page with innerHTML: a
   refresh swaps in nodes parsed from the server's own page (rendered by Jinja2 with autoescape),
   and API answers are shown with textContent. */
(function () {
  "use strict";
  var body = document.body;
  var streamUrl = body.getAttribute("data-stream");
  var feedback = document.getElementById("feedback");
  var liveDot = document.getElementById("live");
  var refreshing = false, again = false;

  function say(text, bad) {
    if (!feedback) return;
    feedback.textContent = text;
    feedback.setAttribute("data-bad", bad ? "true" : "false");
  }

  function setLive(state, text) {
    if (!liveDot) return;
    liveDot.setAttribute("data-state", state);
    liveDot.textContent = text;
  }

  /* Re-fetch this page and swap each live region (by id) for the new one, except a region
     the user is typing in: it is refreshed at the next change after they leave it. */
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (!replacement) return;
          var active = document.activeElement;
          if (active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return;
          var open = {};
          region.querySelectorAll("details[open][data-delivery]").forEach(function (d) { open[d.getAttribute("data-delivery")] = true; });
          var focusedId = active && region.contains(active) ? active.id : null;
          var adopted = document.importNode(replacement, true);
          adopted.querySelectorAll("details[data-delivery]").forEach(function (d) {
            if (open[d.getAttribute("data-delivery")]) d.open = true;
          });
          region.replaceWith(adopted);
          if (focusedId) { var again_ = document.getElementById(focusedId); if (again_) again_.focus(); }
        });
        tick();
      })
      .catch(function () { /* the next change event tries again */ })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  function connect() {
    if (!streamUrl || !window.EventSource) return;
    var source = new EventSource(streamUrl);
    var first = true;
    source.addEventListener("change", function () {
      setLive("live", "live");
      if (first) { first = false; return; }
      refresh();
    });
    source.onerror = function () {
      setLive("offline", "reconnecting…");
      first = false; /* after a reconnect, refresh once: changes may have been missed */
      if (source.readyState === EventSource.CLOSED) { /* refused (503: too many dashboards): try later */
        source.close();
        setTimeout(connect, 5000);
      }
    };
  }

  /* The running clock, advanced locally between refreshes (no server polling). */
  var shownAt = Date.now();
  function tick() {
    shownAt = Date.now();
    render();
  }
  function render() {
    var now = document.getElementById("now");
    if (!now) return;
    var base = Date.parse(now.getAttribute("data-now"));
    if (isNaN(base)) return;
    var manual = now.getAttribute("data-manual") === "true";
    var at = manual ? base : base + (Date.now() - shownAt);
    now.textContent = new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  setInterval(render, 1000);

  function show(target, text, bad) {
    if (target) {
      target.hidden = !text;
      target.textContent = text;
      target.setAttribute("data-bad", bad ? "true" : "false");
    }
    say(bad ? "Refused: see the answer below." : text.split("\n")[0], bad);
  }

  function describe(response, text) {
    var shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: as it came */ }
    return response.status + " " + response.statusText + "\n" + shown;
  }

  function send(method, url, payload, contentType, output) {
    var init = { method: method, headers: { Accept: "application/json" } };
    if (payload !== null) { init.body = payload; init.headers["Content-Type"] = contentType; }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) {
          var lines = text;
          try {
            var parsed = JSON.parse(text);
            lines = parsed.problems ? parsed.problems.join("\n") : describe(response, text);
          } catch (e) { lines = describe(response, text); }
          show(output, lines, true);
        } else {
          show(output, "", false);
          say("Done: " + method + " " + url.replace(/^.*\/_sandbox/, "/_sandbox") + " answered " + response.status + ".", false);
        }
        refresh();
      });
    }).catch(function (error) { show(output, "The request failed: " + error, true); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-post]");
    if (!button) return;
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    send("POST", button.getAttribute("data-post"), button.getAttribute("data-body") || "{}", "application/json",
      document.getElementById("action-result"));
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var url = form.getAttribute("data-api");
    if (!url) return;
    event.preventDefault();
    var method = form.getAttribute("data-method") || "POST";
    var output = (form.closest("section") || document).querySelector("pre.problems");
    var raw = form.getAttribute("data-raw");
    if (raw) {
      var text = document.getElementById(raw).value;
      var yaml = raw === "yaml";
      if (!yaml) {
        try { JSON.parse(text || "{}"); } catch (e) { show(output, "Not JSON: " + e.message, true); return; }
      }
      send(method, url, text || (yaml ? "" : "{}"), yaml ? "application/yaml" : "application/json", output);
      return;
    }
    var data = {};
    form.querySelectorAll("input[name]").forEach(function (input) {
      data[input.name] = input.getAttribute("data-json") === "number" ? Number(input.value) : input.value;
    });
    send(method, url, JSON.stringify(data), "application/json", output);
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-fill]") || !select.value) return;
    fetch(select.getAttribute("data-src") + encodeURIComponent(select.value))
      .then(function (response) { return response.text(); })
      .then(function (text) { document.getElementById(select.getAttribute("data-fill")).value = text; });
  });

  tick();
  connect();
})();
