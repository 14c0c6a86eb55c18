// The pages that show a new credential once: a copy button per value with
// the clipboard API, falling back to selecting the text for Ctrl+C / ⌘C.
// The buttons stay hidden without JavaScript; the values sit in code
// blocks that one click selects whole (CSS user-select: all). No inline
// script anywhere: the CSP forbids it.
(function () {
  "use strict";

  function valueOf(el) {
    return el.value !== undefined ? el.value : el.textContent;
  }

  function selectAll(el) {
    if (el.select) {
      el.focus();
      el.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // say tells screen readers in the button's status region, and everyone
  // on the button itself ("Copied") for two seconds.
  function say(btn, msg, copied) {
    var sel = btn.getAttribute("data-copy-status");
    var out = sel && document.querySelector(sel);
    if (out) out.textContent = msg;
    var label = btn.querySelector("[data-copy-label]");
    if (!label || !copied) return;
    label.textContent = "Copied";
    btn.classList.add("copied");
    clearTimeout(btn._copyTimer);
    btn._copyTimer = setTimeout(function () {
      label.textContent = "Copy";
      btn.classList.remove("copied");
    }, 2000);
  }

  function fallback(btn, el) {
    selectAll(el);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    say(btn, ok ? "Copied to the clipboard." : "Selected: press Ctrl+C (⌘C on a Mac) to copy.", ok);
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
      navigator.clipboard.writeText(valueOf(el)).then(function () {
        say(btn, "Copied to the clipboard.", true);
      }, function () {
        fallback(btn, el);
      });
    } else {
      fallback(btn, el);
    }
  });

  // Clicking into a read-only field (data-select-all) selects all of it.
  document.addEventListener("focusin", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-select-all")) selectAll(ev.target);
  });
})();
