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

// checkFits fails t when the page's own content is wider than a screen of
// width px, or when the page ran something its CSP refused. The navigation
// bar is left out: it is wider than a phone on every page, a matter of the
// layout (issue 15).
func (tb *tab) checkFits(t *testing.T, where string, px int) {
	t.Helper()
	// A wide table scrolls inside its .table-scroll box, which must fit.
	wide := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll("main *")].
		filter(e => !e.parentElement.closest(".table-scroll") && e.getBoundingClientRect().right > %d.5).
		map(e => e.tagName.toLowerCase() + " " + Math.round(e.getBoundingClientRect().right) + " px")`, px))
	if len(wide) > 0 {
		t.Errorf("%s: content wider than a %d px screen: %v", where, px, wide)
	}
	if v := tb.cspViolations(); len(v) > 0 {
		t.Errorf("%s: CSP violations: %v", where, v)
	}
}
