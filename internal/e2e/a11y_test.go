package e2e_test

import (
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored for the tests only (see
// scripts/vendor-axe.sh); it never reaches static/.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeViolation is one failed axe rule, with the nodes that fail it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	URL    string `json:"helpUrl"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core over the tab's page and fails the test
// on every serious or critical violation, naming the rule, its help and
// the nodes.
func checkAccessibility(t *testing.T, tb *tab, page string) {
	t.Helper()
	if !eval[bool](tb, `typeof window.axe === "object"`) {
		// Injected from DevTools, so the page's CSP does not apply to it.
		tb.do("inject axe-core", chromedp.Evaluate[chromedp.Void](axeSource))
	}
	// Colours checked mid-transition (a button fading after a click) are
	// neither the before nor the after: let running animations end first.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if eval[bool](tb, `document.getAnimations().every(a => a.playState !== "running")`) {
			break
		}
	}
	vs := eval[[]axeViolation](tb, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise)
	var report []string
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " ")))
		}
		report = append(report, fmt.Sprintf("  %s (%s): %s — %s\n%s", v.ID, v.Impact, v.Help, v.URL, strings.Join(nodes, "\n")))
	}
	if len(report) > 0 {
		t.Errorf("%s has %d serious or critical accessibility violations:\n%s", page, len(report), strings.Join(report, "\n"))
	}
}

// TestAccessibility runs axe-core over the main portal pages, each as a
// role that sees it, in the same browser as the other tests.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	t.Run("signed out", func(t *testing.T) {
		t.Parallel()
		tb := newTab(t, browserContext(t))
		for _, path := range []string{"/sign-in", "/"} {
			tb.do("open "+path, chromedp.Navigate(p.URL+path))
			checkAccessibility(t, tb, path)
		}
	})
	for _, role := range []struct {
		email string
		pages []string
	}{
		{"dev@harbor.test", []string{"/", "/apis", "/account", "/tokens", "/tokens/new", "/audit", "/usage"}},
		{"admin@harbor.test", []string{"/members", "/teams", "/access", "/tokens/partner"}},
		{"am@portico.test", []string{"/partners", "/access-groups", "/catalog/import", "/audit", "/usage?range=7d"}},
		{"admin@portico.test", []string{"/staff", "/settings", "/usage"}},
	} {
		t.Run(role.email, func(t *testing.T) {
			t.Parallel()
			tb := p.signIn(t, browserContext(t), role.email)
			for _, path := range role.pages {
				tb.do("open "+path, chromedp.Navigate(p.URL+path))
				checkAccessibility(t, tb, path+" as "+role.email)
			}
			if role.email != "dev@harbor.test" {
				return
			}
			// An API's docs with Try it open, before and after a call.
			openTryIt(t, p, tb, "fleet", "listSpreaders")
			checkAccessibility(t, tb, "/apis/fleet with Try it open")
			execute(t, tb, "listSpreaders")
			checkAccessibility(t, tb, "/apis/fleet with a response")
		})
	}
}
