package e2e_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPickersSearchAsYouType types into the add-member picker of a team
// and the grant picker of an access group: htmx swaps in the matches as the
// search is typed (the page's address does not change), with no script the
// CSP refuses; a match's button adds or grants. Both pages fit 390 px and
// pass axe.
func TestPickersSearchAsYouType(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO users (partner_id, email, name, role)
		SELECT u.partner_id, 'picker' || i || '@harbor.test', 'Picker ' || lpad(i::text, 2, '0'), 'developer'
		FROM users u, generate_series(1, 60) i WHERE u.email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	var team, group int64
	if err := p.store.DB().Get(&team, `SELECT id FROM teams WHERE name = 'Integrations'`); err != nil {
		t.Fatal(err)
	}
	if err := p.store.DB().Get(&group, `SELECT id FROM access_groups ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	count := func(sel string) string { return `document.querySelectorAll(` + strconv.Quote(sel) + `).length` }

	t.Run("team", func(t *testing.T) {
		t.Parallel()
		tb := p.signIn(t, browserContext(t), "admin@harbor.test")
		tb.do("phone width", chromedp.EmulateViewport(390, 844))
		path := "/teams/" + strconv.FormatInt(team, 10)
		tb.do("open the team", chromedp.Navigate(p.URL+path), chromedp.WaitVisible(chromedp.CSS("#team-find")))
		if n := eval[int](tb, count("#team-candidates [data-testid=candidate]")); n != 20 {
			t.Errorf("candidates before typing = %d, want the first 20", n)
		}
		tb.checkFits(t, path, 390)
		checkAccessibility(t, tb, path+" at 390 px")
		tb.do("type a name", chromedp.SendKeys(chromedp.CSS("#team-find"), "picker 07"))
		tb.waitFor("one match", count("#team-candidates [data-testid=candidate]")+` === 1`)
		if got := eval[string](tb, `location.pathname + location.search`); got != path {
			t.Errorf("typing navigated to %q", got)
		}
		tb.do("add the match", chromedp.Click(chromedp.CSS("[data-testid=add-candidate]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")))
		tb.waitFor("the new member listed", `document.querySelector("[data-testid=team-member][data-email='picker7@harbor.test']")`)
		if v := tb.cspViolations(); len(v) != 0 {
			t.Errorf("CSP violations: %v", v)
		}
	})

	t.Run("access group", func(t *testing.T) {
		t.Parallel()
		tb := p.signIn(t, browserContext(t), "am@portico.test")
		tb.do("phone width", chromedp.EmulateViewport(390, 844))
		path := "/access-groups/" + strconv.FormatInt(group, 10)
		tb.do("open the group", chromedp.Navigate(p.URL+path), chromedp.WaitVisible(chromedp.CSS("#grantee-find")))
		tb.do("type a name and a partner",
			chromedp.SendKeys(chromedp.CSS("#grantee-find"), "picker 1"),
			chromedp.SendKeys(chromedp.CSS("#grantee-partner"), "harbor"))
		tb.waitFor("ten matches of Harbor", count("#grantee-results [data-testid=grantee-result][data-partner='Harbor Logistics']")+` === 10`)
		if got := eval[string](tb, `location.pathname + location.search`); got != path {
			t.Errorf("typing navigated to %q", got)
		}
		tb.checkFits(t, path, 390)
		checkAccessibility(t, tb, path+" with matches at 390 px")
		tb.do("grant to the first", chromedp.Click(chromedp.CSS("[data-testid=grant-to]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")))
		tb.waitFor("the grant listed", `[...document.querySelectorAll("[data-testid=grant]")].some(r => r.textContent.includes("Picker 10"))`)
		if v := tb.cspViolations(); len(v) != 0 {
			t.Errorf("CSP violations: %v", v)
		}
	})
}
