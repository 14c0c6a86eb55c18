package e2e_test

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// navBox is where a navigation item is drawn.
type navBox struct {
	Text    string  `json:"text"`
	Left    float64 `json:"left"`
	Right   float64 `json:"right"`
	Middle  float64 `json:"middle"`
	Visible bool    `json:"visible"`
}

const navBoxes = `[...document.querySelectorAll("[data-testid=nav] a, [data-testid=sign-out]")].map(e => {
	const r = e.getBoundingClientRect();
	return {text: e.textContent.trim(), left: r.left, right: r.right, middle: (r.top + r.bottom) / 2, visible: e.checkVisibility() && r.width > 0};
})`

// TestNavigationMenu signs in as the platform admin (the longest
// navigation) with scripts turned off. On a 390 px phone the navigation is
// folded into a Menu button; opened, every item and Sign out lie on the
// screen, and Sign out signs out. At 1366 px there is no Menu button, every
// item shows in the bar, and Sign out sits on the line of the links beside
// it. Both are saved as screenshots (menu-phone.png, menu-wide.png).
func TestNavigationMenu(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tb := p.signIn(t, browserContext(t), "admin@portico.test")
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turn scripts off: %v", err)
	}

	tb.do("open / on a laptop", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(p.URL+"/"))
	if eval[bool](tb, `document.querySelector("[data-testid=menu-button]").getBoundingClientRect().width > 0`) {
		t.Error("1366 px: the Menu button shows")
	}
	wide := eval[[]navBox](tb, navBoxes)
	if len(wide) < 8 {
		t.Fatalf("1366 px: %d navigation items: %+v", len(wide), wide)
	}
	for _, b := range wide {
		if !b.Visible || b.Left < 0 || b.Right > 1366 {
			t.Errorf("1366 px: %q not shown in the bar: %+v", b.Text, b)
		}
	}
	if first, out := wide[0], wide[len(wide)-1]; out.Middle-first.Middle > 2 || first.Middle-out.Middle > 2 {
		t.Errorf("1366 px: Sign out's middle at %.1f px, the links' at %.1f px", out.Middle, first.Middle)
	}
	if h := eval[float64](tb, `document.querySelector(".site-header").getBoundingClientRect().height`); h > 80 {
		t.Errorf("1366 px: the header is %.0f px high, want one line", h)
	}
	tb.screenshotOf(".site-header", "menu-wide.png")

	tb.do("phone width", chromedp.EmulateViewport(390, 844))
	for _, b := range eval[[]navBox](tb, navBoxes) {
		if b.Visible {
			t.Errorf("390 px: %q shows before the menu is opened", b.Text)
		}
	}
	tb.do("open the menu", chromedp.Click(chromedp.CSS("[data-testid=menu-button]")))
	for _, b := range eval[[]navBox](tb, navBoxes) {
		if !b.Visible || b.Left < 0 || b.Right > 390 || b.Middle > 844 {
			t.Errorf("390 px, menu open: %q not on the screen: %+v", b.Text, b)
		}
	}
	tb.checkFits(t, "/ with the menu open", 390)
	tb.screenshotOf("body", "menu-phone.png")
	tb.do("sign out from the menu",
		chromedp.Click(chromedp.CSS("[data-testid=sign-out]")))
	tb.waitFor("the signed-out home page", `document.querySelector("a[href='/sign-in']") && !document.querySelector("[data-testid=viewer]")`)
}
