package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/token"
)

// grantClipboard lets the pages of origin in the browser context bc read
// and write the clipboard without asking, so a test can read back what a
// copy button copied.
func grantClipboard(t *testing.T, bc context.Context, origin string) {
	t.Helper()
	c := chromedp.FromContext(bc)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := cdp.Call(bc, c.Browser, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted,
			Origin: origin, BrowserContextID: c.BrowserContextID}); err != nil {
			t.Fatalf("e2e: grant %s: %v", name, err)
		}
	}
}

// TestTokenFormAndCreatedTokenScreenshots is the browser check of
// the token form and the created token, at a phone's 390×844 and at
// 1366×900: Harbor's developer opens the form, where each scope shows its
// description under its API and access group, creates a sandbox token,
// and sees the secret whole (no character clipped or scrolled away) in
// its code block; the copy button puts exactly the secret on the
// clipboard and says "Copied". Both pages fit, pass axe and are saved as
// full-page screenshots (test-artifacts/e2e/ or $E2E_ARTIFACTS).
func TestTokenFormAndCreatedTokenScreenshots(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	bc := browserContext(t)
	grantClipboard(t, bc, p.URL)
	p.signIn(t, bc, "dev@harbor.test")
	for _, w := range []struct{ px, height int }{{390, 844}, {1366, 900}} {
		tb := newTab(t, bc) // signed in (same cookies), with its own deadline
		tb.do(fmt.Sprintf("set the size to %d×%d", w.px, w.height), chromedp.EmulateViewport(int64(w.px), int64(w.height)))

		where := fmt.Sprintf("/tokens/new at %d px", w.px)
		tb.do("open the token form", chromedp.Navigate(p.URL+"/tokens/new"), chromedp.WaitVisible(chromedp.CSS("[data-testid=token-form]")))
		// The fleet scope's row: its name, its description beside it on the
		// screen, and the access group in its API's header.
		row := eval[struct {
			Name, Description, GrantedBy string
			Visible                      bool
		}](tb, `(function () {
			var fs = document.querySelector("fieldset[data-slug=fleet]"), row = fs.querySelector("[data-testid=scope-row]");
			var desc = row.querySelector("[data-testid=scope-description]");
			return {Name: row.querySelector("label").textContent.trim(), Description: desc.textContent.trim(),
				GrantedBy: fs.querySelector("[data-testid=granted-by]").textContent.replace(/\s+/g, " ").trim(),
				Visible: desc.checkVisibility() && desc.getBoundingClientRect().width > 0};
		})()`)
		if row.Name != "fleet:read" || !strings.HasPrefix(row.Description, "Read spreaders") || !row.Visible || row.GrantedBy != "granted by Port operations" {
			t.Errorf("%s: the fleet scope row is %+v, want fleet:read described and granted by Port operations", where, row)
		}
		tb.checkFits(t, where, w.px)
		tb.pageScreenshot(fmt.Sprintf("token-form-%d.png", w.px))
		checkAccessibility(t, tb, where)

		name := fmt.Sprintf("Yard sync %d", w.px)
		tb.do("create a sandbox token",
			chromedp.SendKeys(chromedp.CSS("#token-name"), name),
			chromedp.Click(chromedp.CSS(`input[name=scope][value="fleet/fleet:read"]`)),
			chromedp.Click(chromedp.CSS("[data-testid=create-token]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=token-created]")))
		where = fmt.Sprintf("the created token at %d px", w.px)
		shown := eval[struct {
			Secret               string
			Clipped              bool
			ButtonShown, Success bool
			FontSize, LineHeight float64
		}](tb, `(function () {
			var code = document.querySelector("pre > code[data-testid=token-plaintext]"), pre = code.parentElement;
			var cs = getComputedStyle(code);
			return {Secret: code.textContent,
				Clipped: pre.scrollWidth > pre.clientWidth + 1 || pre.scrollHeight > pre.clientHeight + 1,
				ButtonShown: !document.querySelector("[data-testid=copy-token]").hidden,
				Success: document.querySelector("[data-testid=shown-once]").classList.contains("shown-once"),
				FontSize: parseFloat(cs.fontSize), LineHeight: parseFloat(cs.lineHeight)};
		})()`)
		parsed, err := token.Parse(shown.Secret)
		if err != nil || parsed.Kind != token.KindSandbox {
			t.Fatalf("%s: the code block reads %q, not a sandbox token: %v", where, shown.Secret, err)
		}
		// Underscores sit below the baseline: a line box shorter than 1.3
		// times the font cuts them off, as the old input did.
		if shown.Clipped || shown.LineHeight < 1.3*shown.FontSize {
			t.Errorf("%s: the secret's block clips it (clipped %v, line height %.1f px for a %.1f px font)", where, shown.Clipped, shown.LineHeight, shown.FontSize)
		}
		if !shown.ButtonShown || !shown.Success {
			t.Errorf("%s: copy button shown %v, 'shown once' success status %v; want both", where, shown.ButtonShown, shown.Success)
		}
		tb.checkFits(t, where, w.px)
		tb.pageScreenshot(fmt.Sprintf("token-created-%d.png", w.px))
		checkAccessibility(t, tb, where)

		tb.do("copy the token", chromedp.Click(chromedp.CSS("[data-testid=copy-token]")))
		tb.waitFor("the copy button's feedback", `document.querySelector("[data-testid=copy-token]").textContent.trim().startsWith("Copied")`)
		if got := eval[string](tb, `document.querySelector("#token-value-status").textContent`); got != "Copied to the clipboard." {
			t.Errorf("%s: the copy status says %q", where, got)
		}
		if got := eval[string](tb, `navigator.clipboard.readText()`, chromedp.EvalAwaitPromise); got != shown.Secret {
			t.Errorf("%s: the clipboard holds %q, want the secret %q", where, got, shown.Secret)
		}
		tb.waitFor("the copy button's label back", `document.querySelector("[data-testid=copy-token]").textContent.trim().startsWith("Copy the token")`)
	}
}
