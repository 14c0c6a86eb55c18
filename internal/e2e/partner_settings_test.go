package e2e_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPartnerSettingsOnAPhone: the account manager sets a partner's
// ceiling and its switches on the partner's page at a phone's 360 px and
// a laptop's 1366 px; the saved page, and the page refusing a ceiling the
// server checks (the browser's own check set aside, as an old browser
// would), and the partner admin's read-only view of them, fit the screen,
// run nothing the CSP refuses and pass axe.
func TestPartnerSettingsOnAPhone(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	// A partner each, so the two widths' saves do not cross.
	for _, c := range []struct {
		w           int
		slug, admin string
	}{{360, "harbor-logistics", "admin@harbor.test"}, {1366, "crane-works", "admin@crane.test"}} {
		w := c.w
		var id int64
		if err := p.store.DB().Get(&id, `SELECT id FROM partners WHERE slug = $1`, c.slug); err != nil {
			t.Fatal(err)
		}
		path := "/partners/" + strconv.FormatInt(id, 10)
		t.Run(strconv.Itoa(w), func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), "am@portico.test")
			where := func(what string) string { return fmt.Sprintf("%s at %d px", what, w) }
			tb.do("open "+path,
				chromedp.EmulateViewport(int64(w), 800),
				chromedp.Navigate(p.URL+path),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=partner-settings]")),
				chromedp.SetValue(chromedp.CSS("#partner-rate-limit"), strconv.Itoa(100+w)),
				chromedp.Click(chromedp.CSS("[data-testid=partner-require-approval]")),
				chromedp.Click(chromedp.CSS("[data-testid=save-partner-settings]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")),
			)
			if got := eval[string](tb, `document.querySelector('#partner-rate-limit').value`); got != strconv.Itoa(100+w) {
				t.Errorf("saved ceiling shows %q", got)
			}
			if flash := eval[string](tb, `document.querySelector('[data-testid=flash]').textContent`); !strings.Contains(flash, "a minute across all its APIs") {
				t.Errorf("flash = %q", flash)
			}
			tb.checkFits(t, where("the saved settings"), w)
			checkAccessibility(t, tb, where("the saved settings"))

			tb.do("refused ceiling",
				chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid=partner-settings]').noValidate = true`),
				chromedp.SetValue(chromedp.CSS("#partner-rate-limit"), "0"),
				chromedp.Click(chromedp.CSS("[data-testid=save-partner-settings]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=partner-rate-limit-error]")),
			)
			tb.checkFits(t, where("the refused ceiling"), w)
			checkAccessibility(t, tb, where("the refused ceiling"))
			tb.screenshotOf("[data-testid=partner-settings-section]", fmt.Sprintf("partner-settings-%d.png", w))

			// The partner admin reads them, and who sets them.
			admin := p.signIn(t, browserContext(t), c.admin)
			admin.do("open /tokens/partner",
				chromedp.EmulateViewport(int64(w), 800),
				chromedp.Navigate(p.URL+"/tokens/partner"),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=partner-own-settings]")),
			)
			if got := eval[string](admin, `document.querySelector('[data-testid=settings-managers]').textContent`); got != "Morgan Account" {
				t.Errorf("the partner admin reads the settings are set by %q", got)
			}
			admin.checkFits(t, where("the partner admin's settings"), w)
			checkAccessibility(t, admin, where("the partner admin's settings"))
			admin.screenshotOf("[data-testid=partner-own-settings]", fmt.Sprintf("partner-own-settings-%d.png", w))
		})
	}
}
