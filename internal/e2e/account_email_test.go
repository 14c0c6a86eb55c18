package e2e_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
)

var emailChangeLink = regexp.MustCompile(`/account/email/confirm/ptc_eml_[0-9A-Za-z]+`)

// TestEmailChangeOnAPhone changes the sign-in email through the account
// page and the mailed link in a 360 px wide browser: the pending change
// and the confirmation page fit the screen, pass axe and run no script
// the CSP refuses.
func TestEmailChangeOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tb := p.signIn(t, browserContext(t), "dev@crane.test")
	fits := func(where string) { t.Helper(); tb.checkFits(t, where, 360) }
	tb.do("ask for a new email",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(p.URL+"/account"),
		chromedp.SetValue(chromedp.CSS("#email"), "dan@new.test"),
		chromedp.Click(chromedp.CSS("[data-testid=email-form] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=pending-email]")),
	)
	fits("/account with a pending change")
	checkAccessibility(t, tb, "/account with a pending change")

	var body string
	if err := p.store.DB().Get(&body, `SELECT text_body FROM outbox WHERE to_email = 'dan@new.test'`); err != nil {
		t.Fatal(err)
	}
	link := emailChangeLink.FindString(body)
	if link == "" {
		t.Fatalf("no link in the mail:\n%s", body)
	}
	tb.do("open the link",
		chromedp.Navigate(p.URL+link),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-email]")),
	)
	fits("the confirmation page")
	checkAccessibility(t, tb, "the email confirmation page")
	tb.do("confirm",
		chromedp.Click(chromedp.CSS("[data-testid=email-change-page] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")),
	)
	if got := eval[string](tb, `document.querySelector("#email").value`); got != "dan@new.test" {
		t.Errorf("email field after confirming = %q", got)
	}
	fits("/account after confirming")
}

// checkFits fails t when the document scrolls sideways on a screen of
// width px (naming what is too wide), or when the page ran something its
// CSP refused.
func (tb *tab) checkFits(t *testing.T, where string, px int) {
	t.Helper()
	if wide := tb.tooWide(px); len(wide) > 0 {
		t.Errorf("%s: wider than a %d px screen: %v", where, px, wide)
	}
	if v := tb.cspViolations(); len(v) > 0 {
		t.Errorf("%s: CSP violations: %v", where, v)
	}
}

// tooWide names what makes the page wider than a screen of width px: the
// document itself when it scrolls sideways, then the elements reaching
// past the screen's edge. An element inside a box that scrolls on its own
// (a wide table's .table-scroll, a code block) is that box's business, and
// only the box itself must fit.
func (tb *tab) tooWide(px int) []string {
	tb.t.Helper()
	return eval[[]string](tb, fmt.Sprintf(`(() => {
		const scrolls = e => { for (let b = e.parentElement; b && b !== document.body; b = b.parentElement) {
			if (getComputedStyle(b).overflowX !== "visible") return true; } return false; };
		const out = [...document.querySelectorAll("body *")].
			filter(e => e.getBoundingClientRect().right > %d.5 && !scrolls(e)).
			map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
				" " + Math.round(e.getBoundingClientRect().right) + " px");
		const sw = document.documentElement.scrollWidth;
		if (sw > %d) out.unshift("the document, " + sw + " px");
		return out.slice(0, 25);
	})()`, px, px))
}
