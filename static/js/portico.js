// Portico's small progressive enhancements. Every form works without this
// file; it only adds conveniences. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // Dismiss flash messages: <button data-dismiss> inside .flash.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-dismiss]");
    if (btn) {
      var box = btn.closest(".flash");
      if (box) box.remove();
    }
  });

  // Copy buttons: <button data-copy="#element-id">.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.value || el.textContent.trim()).then(function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    });
  });

  // Management API scopes work on live credentials only: while Sandbox is
  // chosen, their fieldset (data-live-only) is disabled with its reason
  // shown. Without this file the server refuses the combination instead.
  function liveOnly(form) {
    var env = form.querySelector("input[name=environment]:checked");
    var sandbox = !env || env.value !== "live";
    form.querySelectorAll("fieldset[data-live-only]").forEach(function (fs) {
      fs.disabled = sandbox;
      var why = fs.querySelector(".live-only-reason");
      if (why) why.hidden = !sandbox;
    });
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.name === "environment" && ev.target.form) liveOnly(ev.target.form);
  });
  function liveOnlyAll() {
    document.querySelectorAll("fieldset[data-live-only]").forEach(function (fs) {
      if (fs.form) liveOnly(fs.form);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", liveOnlyAll);
  } else {
    liveOnlyAll();
  }
})();
