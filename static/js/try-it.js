// The "Try it" console of an API's documentation page: starts Swagger UI
// (vendored under static/vendor/swagger-ui) on the document served for this
// viewer, mints their console token (a 15-minute sandbox token with their
// scopes of this API) and fills it in, so Try it out -> Execute works at once.
//
// Calls leave only for this API's sandbox and only with a sandbox token
// (ptc_sbx_…): a live token pasted in Authorize is refused before anything
// is sent. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  var el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") return;

  var specURL = el.getAttribute("data-spec-url");
  var tokenURL = el.getAttribute("data-token-url");
  var sandbox = el.getAttribute("data-sandbox").replace(/\/+$/, "");
  var partner = el.getAttribute("data-mode") === "partner";
  var status = document.querySelector("[data-testid=console-status]");

  // The console token, once minted: {token, hint, expires_at, scopes}.
  var current = null;
  var minting = null;
  var ui = null;

  function say(msg, kind) {
    if (!status) return;
    status.textContent = msg;
    status.className = "console-status" + (kind ? " console-status-" + kind : "");
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
          var msg = (body && body.error && body.error.message) || "The console could not get a sandbox token (" + res.status + ").";
          throw new Error(msg);
        }
        return body;
      });
    }).then(function (body) {
      current = body;
      current.expires = new Date(body.expires_at);
      return body;
    }).finally(function () {
      minting = null;
    });
    return minting;
  }

  // bearerSchemes are the names of the document's bearer schemes (the
  // portal serves every OAuth2 scheme of the API as one).
  function bearerSchemes() {
    var out = [];
    var schemes = ui.specSelectors.specJson().getIn(["components", "securitySchemes"]);
    if (schemes && schemes.forEach) {
      schemes.forEach(function (s, name) {
        if (s && s.get && s.get("type") === "http" && /^bearer$/i.test(s.get("scheme") || "")) out.push(name);
      });
    }
    return out;
  }

  function authorise(tok) {
    bearerSchemes().forEach(function (name) {
      ui.preauthorizeApiKey(name, tok.token);
    });
    say("Authorised as you with a sandbox token (" + tok.hint + ") valid until " + clock(tok.expires) +
      ", scopes " + (tok.scopes || []).join(", ") + ". A new one comes with each page load.", "ok");
  }

  // refusal is what the console says of a token that is not a sandbox one.
  var refusal = "Sandbox tokens (ptc_sbx_…) only: the console never sends a live token. " +
    "Create a sandbox token under Tokens, or reload the page for a new console token.";

  function isSpecRequest(req) {
    return req.loadSpec || req.url === specURL || req.url === new URL(specURL, location.href).href;
  }

  // guard sees every request Swagger UI makes. The document loads with the
  // session; API calls go to the sandbox only, with a sandbox token only,
  // and without cookies. An expiring console token is renewed first.
  function guard(req) {
    if (isSpecRequest(req)) {
      req.credentials = "same-origin";
      return req;
    }
    var url = new URL(req.url, location.href).href;
    if (url !== sandbox && url.indexOf(sandbox + "/") !== 0 && url.indexOf(sandbox + "?") !== 0) {
      // Not expected: the document lists the sandbox as its only server
      // (and the CSP lets nothing leave for another origin). Refuse loudly.
      throw new Error("The console only calls this API's sandbox (" + sandbox + ").");
    }
    req.credentials = "omit";
    var headers = req.headers || {};
    var auth = headers.Authorization || headers.authorization;
    if (!auth) return req;
    var m = /^Bearer\s+(\S+)$/.exec(auth);
    if (!m || m[1].indexOf("ptc_sbx_") !== 0) {
      // The Authorize dialog refuses such tokens already; should one get
      // here anyway, it is dropped, never sent (the sandbox answers 401).
      delete headers.Authorization;
      delete headers.authorization;
      req.headers = headers;
      say(refusal, "error");
      return req;
    }
    if (current && m[1] === current.token && current.expires - Date.now() < 30000) {
      return mint().then(function (tok) {
        authorise(tok);
        headers.Authorization = "Bearer " + tok.token;
        delete headers.authorization;
        req.headers = headers;
        return req;
      }, function () {
        return req; // the gateway answers 401; the status line says why
      });
    }
    return req;
  }

  // policy is a Swagger UI plugin: the Authorize dialog takes sandbox
  // tokens only (a live one is refused there, before it is stored, with the
  // reason next to the field), and the status line follows logging out.
  function policy() {
    return {
      statePlugins: {
        auth: {
          wrapActions: {
            authorize: function (ori, system) {
              return function (payload) {
                var refused = false;
                Object.keys(payload || {}).forEach(function (name) {
                  var a = payload[name];
                  if (!a || typeof a.value !== "string") return;
                  a.value = a.value.trim().replace(/^Bearer\s+/i, "");
                  if (a.value.indexOf("ptc_sbx_") !== 0) {
                    refused = true;
                    system.errActions.newAuthErr({ authId: name, level: "error", source: "auth", message: refusal });
                  }
                });
                if (refused) return undefined;
                return ori(payload);
              };
            },
            logout: function (ori) {
              return function (payload) {
                say("Logged out: paste one of your sandbox tokens in Authorize, or reload the page for a new console token.", "info");
                return ori(payload);
              };
            }
          }
        }
      }
    };
  }

  // Swagger UI leaves a few controls without an accessible name (the
  // server list, parameter and example lists, the dialog's close button)
  // and scrollable code blocks out of keyboard reach: fix them whenever it
  // draws them. (axe-core checks this page in internal/e2e.)
  function label(sel, name) {
    el.querySelectorAll(sel).forEach(function (c) {
      var n = typeof name === "function" ? name(c) : name;
      if (n && c.getAttribute("aria-label") !== n) c.setAttribute("aria-label", n);
    });
  }
  function nameControls() {
    label("select#servers", "Server");
    label("button.close-modal", "Close");
    label("select.examples-select-element", "Example");
    label('button[aria-label="Remove authorization"]', "Logout (remove the authorization)");
    label("tr[data-param-name] select, tr[data-param-name] input, tr[data-param-name] textarea", function (c) {
      var row = c.closest("tr[data-param-name]");
      return row.getAttribute("data-param-name") + " (" + (row.getAttribute("data-param-in") || "parameter") + ")";
    });
    el.querySelectorAll("pre.microlight, .highlight-code > pre, .curl-command pre, .request-url pre").forEach(function (c) {
      if (!c.hasAttribute("tabindex")) c.setAttribute("tabindex", "0");
    });
  }
  new MutationObserver(nameControls).observe(el, { childList: true, subtree: true });

  var tokenReady = partner ? mint() : null;
  if (tokenReady) tokenReady.catch(function (err) { say(err.message, "error"); });
  say(partner ? "Loading the console…" : "Loading the console (read only for staff)…");

  ui = window.SwaggerUIBundle({
    url: specURL,
    domNode: el,
    presets: [window.SwaggerUIBundle.presets.apis],
    plugins: [policy],
    layout: "BaseLayout",
    deepLinking: false,
    queryConfigEnabled: false,
    validatorUrl: null,
    docExpansion: "list",
    defaultModelsExpandDepth: -1,
    displayRequestDuration: true,
    // Swagger UI's highlighting themes colour code below the contrast of
    // WCAG AA (and slow large responses down): plain text instead.
    syntaxHighlight: false,
    persistAuthorization: false,
    withCredentials: false,
    tryItOutEnabled: false,
    supportedSubmitMethods: partner ? ["get", "put", "post", "delete", "patch", "head", "options"] : [],
    requestInterceptor: guard,
    onComplete: function () {
      if (!tokenReady) {
        say("Read only: staff hold no sandbox credentials.", "info");
        return;
      }
      tokenReady.then(authorise, function () {});
    }
  });
})();
