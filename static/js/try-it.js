// An API's documentation page: each operation's "Try it" panel, and the
// code samples' language carried over to every operation.
//
// Opening a panel mints the viewer's console token (a 15-minute sandbox
// token with their scopes of this API, POST /apis/SLUG/console-token) and
// fills it in, so Send works at once. Calls leave only for this API's
// sandbox, without cookies, and only with a sandbox token (ptc_sbx_…): a
// live token pasted in the field is refused before anything is sent. No
// inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // The samples' language: choosing one shows it in every operation, and
  // the next page starts with it.
  var langKey = "portico.sample-lang";
  function showLang(lang) {
    document.querySelectorAll("input[data-lang-choice][value='" + lang + "']").forEach(function (r) { r.checked = true; });
  }
  document.addEventListener("change", function (e) {
    var r = e.target;
    if (!r.matches || !r.matches("input[data-lang-choice]")) return;
    showLang(r.value);
    try { localStorage.setItem(langKey, r.value); } catch (err) { /* storage off: this page only */ }
  });
  try {
    var saved = localStorage.getItem(langKey);
    if (saved && /^[a-z]+$/.test(saved)) showLang(saved);
  } catch (err) { /* storage off */ }

  var root = document.getElementById("try-it");
  if (!root || root.getAttribute("data-mode") !== "partner") return;
  var tokenURL = root.getAttribute("data-token-url");
  var sandbox = root.getAttribute("data-sandbox").replace(/\/+$/, "");

  // The console token, once minted: {token, hint, expires_at, scopes}.
  var current = null;
  var minting = null;

  function say(panel, msg, kind) {
    var s = panel.querySelector(".try-status");
    s.textContent = msg;
    s.className = "try-status" + (kind ? " try-" + kind : "");
  }

  function clock(d) {
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // mint asks the portal for a new console token (a same-origin POST with
  // the session cookie; the portal refuses cross-site ones).
  function mint() {
    if (minting) return minting;
    minting = fetch(tokenURL, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          throw new Error((body && body.error && body.error.message) || "Try it could not get a sandbox token (" + res.status + ").");
        }
        return body;
      });
    }).then(function (body) {
      var old = current && current.token;
      current = body;
      current.expires = new Date(body.expires_at);
      // Every open panel still holding the old token gets the new one.
      document.querySelectorAll(".try-panel input[data-token]").forEach(function (f) {
        if (!f.value || f.value === old) f.value = current.token;
      });
      return body;
    }).finally(function () {
      minting = null;
    });
    return minting;
  }

  function authorised(panel) {
    say(panel, "Authorised as you with a sandbox token (" + current.hint + ") valid until " + clock(current.expires) +
      ", scopes " + (current.scopes || []).join(", ") + ".", "ok");
  }

  // fresh returns the console token, minting one first if there is none
  // or it ends within 30 seconds.
  function fresh() {
    if (current && current.expires - Date.now() > 30000) return Promise.resolve(current);
    return mint();
  }

  function open(panel, button) {
    var form = panel.querySelector(".try-form");
    var opening = form.hidden;
    form.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    button.textContent = opening ? "Close Try it" : "Try it";
    if (!opening) return;
    var field = form.querySelector("input[data-token]");
    fresh().then(function () {
      if (!field.value) field.value = current.token;
      authorised(panel);
    }, function (err) {
      say(panel, err.message + " You may paste one of your own sandbox tokens.", "error");
    });
    var first = form.querySelector("input:not([data-token]), textarea") || field;
    first.focus();
  }

  // request builds the call from the form: the path's parameters filled
  // in, query and header parameters that have a value, the body. It
  // refuses anything that would leave the sandbox.
  function request(panel, form) {
    var path = panel.getAttribute("data-path");
    var query = new URLSearchParams();
    var headers = { Accept: "application/json" };
    var missing = [];
    form.querySelectorAll("input[data-in]").forEach(function (f) {
      var v = f.value.trim();
      if (!v) {
        if (f.required) missing.push(f.name);
        return;
      }
      var where = f.getAttribute("data-in");
      if (where === "path") path = path.split("{" + f.name + "}").join(encodeURIComponent(v));
      else if (where === "query") query.append(f.name, v);
      else headers[f.name] = v;
    });
    if (missing.length) throw new Error("Fill in " + missing.join(", ") + ".");
    var url = new URL(sandbox + path + (query.toString() ? "?" + query.toString() : ""), location.href).href;
    if (url.indexOf(sandbox + "/") !== 0 && url.indexOf(sandbox + "?") !== 0) {
      throw new Error("Try it only calls this API's sandbox (" + sandbox + ").");
    }
    var init = { method: panel.getAttribute("data-method"), headers: headers, credentials: "omit", cache: "no-store", redirect: "error" };
    var body = form.querySelector("textarea[data-body]");
    if (body && body.value.trim()) {
      try {
        JSON.parse(body.value);
      } catch (err) {
        throw new Error("The body is not valid JSON: " + err.message);
      }
      headers["Content-Type"] = "application/json";
      init.body = body.value;
    }
    return { url: url, init: init };
  }

  function show(panel, status, text, ms) {
    var box = panel.querySelector(".try-response");
    var shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch (err) { /* not JSON: as it came */ }
    var line = box.querySelector("[data-testid=try-response-status]");
    line.textContent = status;
    line.className = "http-status status-" + String(status).charAt(0) + "xx";
    box.querySelector("[data-testid=try-response-time]").textContent = ms + " ms";
    box.querySelector("[data-testid=try-response-body]").textContent = shown;
    box.hidden = false;
  }

  var refusal = "Sandbox tokens (ptc_sbx_…) only: Try it never sends a live token. " +
    "Create a sandbox token under Tokens, or clear the field for a new console token.";

  function send(panel, form) {
    var call;
    try {
      call = request(panel, form);
    } catch (err) {
      say(panel, err.message, "error");
      return;
    }
    var field = form.querySelector("input[data-token]");
    var tok = field.value.trim().replace(/^Bearer\s+/i, "");
    var ready;
    if (!tok || (current && tok === current.token)) {
      // The console token (or none yet): renewed when it is about to end.
      ready = fresh().then(function (t) { field.value = t.token; return t.token; });
    } else if (tok.indexOf("ptc_sbx_") !== 0) {
      say(panel, refusal, "error");
      return;
    } else {
      ready = Promise.resolve(tok);
    }
    var button = form.querySelector("button[type=submit]");
    button.setAttribute("aria-busy", "true");
    say(panel, "Calling " + call.init.method + " " + call.url + "…", "");
    var started = performance.now();
    ready.then(function (t) {
      call.init.headers.Authorization = "Bearer " + t;
      return fetch(call.url, call.init);
    }).then(function (res) {
      return res.text().then(function (text) {
        show(panel, res.status, text, Math.round(performance.now() - started));
        say(panel, res.ok ? "Done." : "The sandbox answered " + res.status + ".", res.ok ? "ok" : "error");
      });
    }).catch(function (err) {
      say(panel, err.message || "The call failed.", "error");
    }).finally(function () {
      button.removeAttribute("aria-busy");
    });
  }

  document.querySelectorAll(".try-panel").forEach(function (panel) {
    var button = panel.querySelector(".try-open");
    var form = panel.querySelector(".try-form");
    button.addEventListener("click", function () { open(panel, button); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(panel, form);
    });
    panel.hidden = false;
  });
})();
