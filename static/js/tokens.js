// The page that shows a new token's secret once: a copy button with the
// clipboard API, falling back to selecting the text for Ctrl+C / ⌘C.
// The button stays hidden without JavaScript; the field can always be
// selected by hand. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  function selectAll(el) {
    el.focus();
    el.select();
    if (el.setSelectionRange) el.setSelectionRange(0, el.value.length);
  }

  function say(btn, msg) {
    var sel = btn.getAttribute("data-copy-status");
    var out = sel && document.querySelector(sel);
    if (out) out.textContent = msg;
  }

  function fallback(btn, el) {
    selectAll(el);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    say(btn, ok ? "Copied to the clipboard." : "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
  }

  document.querySelectorAll("[data-copy-secret]").forEach(function (btn) {
    btn.hidden = false;
  });

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy-secret]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy-secret"));
    if (!el) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(el.value).then(function () {
        say(btn, "Copied to the clipboard.");
      }, function () {
        fallback(btn, el);
      });
    } else {
      fallback(btn, el);
    }
  });

  // Clicking into the field selects the whole secret.
  document.addEventListener("focusin", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-select-all")) selectAll(ev.target);
  });
})();
