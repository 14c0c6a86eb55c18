package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestManagementScopesWaitForLive: on the token form, the management API's
// scopes are disabled with their reason while Sandbox is chosen, and
// usable once Live is (they work on live tokens only).
func TestManagementScopesWaitForLive(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tb := p.signIn(t, browserContext(t), "dev@harbor.test")
	const fs = `document.querySelector('fieldset[data-slug=portal]')`
	state := func(what string) (disabled, reasonShown bool) {
		t.Helper()
		got := eval[[]bool](tb, `[`+fs+`.disabled, !`+fs+`.querySelector('[data-testid=live-only-reason]').hidden]`)
		if len(got) != 2 {
			t.Fatalf("%s: %v", what, got)
		}
		return got[0], got[1]
	}
	tb.do("open the token form", chromedp.Navigate(p.URL+"/tokens/new"), chromedp.WaitVisible(chromedp.CSS(`fieldset[data-slug=portal]`)))
	if disabled, shown := state("read the sandbox state"); !disabled || !shown {
		t.Errorf("with Sandbox chosen: disabled %v, reason shown %v; want both", disabled, shown)
	}
	tb.do("choose live", chromedp.Click(chromedp.CSS(`input[name=environment][value=live]`)))
	if disabled, shown := state("read the live state"); disabled || shown {
		t.Errorf("with Live chosen: disabled %v, reason shown %v; want neither", disabled, shown)
	}
	tb.do("choose sandbox again", chromedp.Click(chromedp.CSS(`input[name=environment][value=sandbox]`)))
	if disabled, _ := state("read the sandbox state again"); !disabled {
		t.Error("back on Sandbox, the management scopes are usable")
	}
}
