package e2e_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/store"
)

// opID is the element id Swagger UI gives an operation.
func opID(tag, operationID string) string { return "#operations-" + tag + "-" + operationID }

// openConsole opens an API's docs page and waits until Swagger UI shows
// its operations and, for partner users, has filled in the console token.
func openConsole(t *testing.T, p *portal, tb *tab, slug string, partner bool) {
	t.Helper()
	tb.do("open /apis/"+slug, chromedp.Navigate(p.URL+"/apis/"+slug))
	tb.waitFor("Swagger UI's operations", `document.querySelectorAll("#swagger-ui .opblock").length > 0`)
	if partner {
		tb.waitFor("the console token", `document.querySelector("[data-testid=console-status]").textContent.includes("Authorised")`)
	}
}

// execute expands an operation, clicks Try it out and Execute, and returns
// the status and body Swagger UI shows for the response.
func execute(t *testing.T, tb *tab, op string) (status, body string) {
	t.Helper()
	tb.do("expand "+op,
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .execute")),
	)
	tb.waitFor("the response of "+op, `document.querySelector("`+op+` .live-responses-table tbody .response-col_status")`)
	status = strings.TrimSpace(eval[string](tb, `document.querySelector("`+op+` .live-responses-table tbody .response-col_status").textContent`))
	if f := strings.Fields(status); len(f) > 0 {
		status = f[0] // "404 Undocumented" is a 404 the document does not list
	}
	body = eval[string](tb, `(function () {
		var el = document.querySelector("`+op+` .live-responses-table tbody .response-col_description pre, `+op+` .live-responses-table tbody .response-col_description code");
		return el ? el.textContent : "";
	})()`)
	return status, body
}

// spreaderIDs are the ids of a spreader page's items.
func spreaderIDs(t *testing.T, body string) []string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("the response body is not a spreader page: %v\n%s", err, body)
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestTryItCallsTheSandboxAsTheDeveloper is the scenario: a
// developer signs in, opens the Fleet API's docs, runs "List spreaders"
// from the console and sees their partner's spreaders; a developer of
// another partner sees others.
func TestTryItCallsTheSandboxAsTheDeveloper(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	harbor := p.signIn(t, browserContext(t), "dev@harbor.test")
	openConsole(t, p, harbor, "fleet", true)

	// The console lists the operations, and the sandbox as its only server.
	ops := eval[[]string](harbor, `Array.from(document.querySelectorAll("#swagger-ui .opblock .opblock-summary-description")).map(e => e.textContent.trim())`)
	for _, want := range []string{"List spreaders", "Get a spreader"} {
		if !slices.ContainsFunc(ops, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("console operations %q lack %q", ops, want)
		}
	}
	servers := eval[[]string](harbor, `Array.from(document.querySelectorAll("#swagger-ui .servers select option")).map(o => o.value)`)
	if want := []string{p.URL + "/sandbox/fleet"}; !slices.Equal(servers, want) {
		t.Errorf("console servers = %q, want %q", servers, want)
	}

	list := opID("spreaders", "listSpreaders")
	status, body := execute(t, harbor, list)
	curl := eval[string](harbor, `(document.querySelector("`+list+` .curl-command") || {textContent: ""}).textContent`)
	if !strings.Contains(curl, "Authorization: Bearer ptc_sbx_") || !strings.Contains(curl, p.URL+"/sandbox/fleet/spreaders") {
		t.Errorf("curl line %q does not call the sandbox with a sandbox token", curl)
	}
	if v := harbor.cspViolations(); len(v) > 0 {
		t.Errorf("the docs page broke its Content-Security-Policy:\n%s", strings.Join(v, "\n"))
	}
	// The artifact: the docs page's console with the response.
	shot := harbor.screenshotOf("#try-it", "try-it-fleet-list-spreaders.png")
	if calls := p.sandboxCalls(); !slices.Equal(calls, []string{"ptc_sbx"}) {
		t.Errorf("sandbox calls carried %q, want one sandbox token", calls)
	}
	// The portal never logs credentials.
	if logs := p.logs.String(); strings.Contains(logs, "Bearer") || strings.Contains(logs, tokenIn(curl)) {
		t.Errorf("the portal's log holds the console token:\n%s", logs)
	}

	if status != "200" {
		t.Fatalf("List spreaders answered %s in the console, want 200 (screenshot %s):\n%s", status, shot, body)
	}
	harborIDs := spreaderIDs(t, body)
	if len(harborIDs) == 0 {
		t.Fatalf("Harbor's sandbox lists no spreaders:\n%s", body)
	}

	// Another partner's developer, in another browser context, sees other
	// spreaders.
	crane := p.signIn(t, browserContext(t), "dev@crane.test")
	openConsole(t, p, crane, "fleet", true)
	status, body = execute(t, crane, list)
	if status != "200" {
		t.Fatalf("List spreaders answered %s to Crane's developer, want 200:\n%s", status, body)
	}
	craneIDs := spreaderIDs(t, body)
	if len(craneIDs) == 0 || slices.Equal(craneIDs, harborIDs) {
		t.Errorf("Crane's spreaders %q, Harbor's %q: want each partner's own", craneIDs, harborIDs)
	}
}

// tokenIn is the bearer token of a curl line, or a placeholder that no
// log holds.
func tokenIn(curl string) string {
	i := strings.Index(curl, "ptc_sbx_")
	if i < 0 {
		return "\x00no token\x00"
	}
	end := strings.IndexAny(curl[i:], "' \"")
	if end < 0 {
		return curl[i:]
	}
	return curl[i : i+end]
}

// TestTryItMarksAndRefusesUngrantedOperations gives Crane's developer the
// Maintenance API with maintenance:read only: the console marks the write
// operations as not granted, and running one shows the gateway's 403.
func TestTryItMarksAndRefusesUngrantedOperations(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	grantMaintenanceRead(t, p, "dev@crane.test")
	tb := p.signIn(t, browserContext(t), "dev@crane.test")
	openConsole(t, p, tb, "maintenance", true)

	create := opID("work-orders", "createWorkOrder")
	summary := eval[string](tb, `document.querySelector("`+create+` .opblock-summary-description").textContent`)
	if !strings.Contains(summary, "not granted to you") {
		t.Errorf("createWorkOrder's summary %q is not marked as not granted", summary)
	}
	listSummary := eval[string](tb, `document.querySelector("`+opID("work-orders", "listWorkOrders")+` .opblock-summary-description").textContent`)
	if strings.Contains(listSummary, "not granted") {
		t.Errorf("listWorkOrders (granted) is marked: %q", listSummary)
	}

	status, body := execute(t, tb, create)
	if v := tb.cspViolations(); len(v) > 0 {
		t.Errorf("the docs page broke its Content-Security-Policy:\n%s", strings.Join(v, "\n"))
	}
	if status != "403" || !strings.Contains(body, "insufficient_scope") {
		t.Errorf("createWorkOrder answered %s in the console, want 403 insufficient_scope:\n%s", status, body)
	}
}

// grantMaintenanceRead grants the user a new access group with the
// Maintenance API's read scope only.
func grantMaintenanceRead(t *testing.T, p *portal, email string) {
	t.Helper()
	ctx := context.Background()
	err := p.store.InTx(ctx, func(tx *store.Store) error {
		g, err := tx.CreateAccessGroup(ctx, "Maintenance read", "Read work orders.", 60, nil)
		if err != nil {
			return err
		}
		api, err := tx.APIBySlug(ctx, "maintenance")
		if err != nil {
			return err
		}
		if err := tx.SetGroupAPI(ctx, g.ID, api.ID, []string{"maintenance:read"}); err != nil {
			return err
		}
		u, err := tx.UserByEmail(ctx, email)
		if err != nil {
			return err
		}
		_, err = tx.Grant(ctx, g.ID, *u.PartnerID, nil, &u.ID, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTryItRefusesLiveTokens pastes a live token in Swagger UI's Authorize
// dialog: the console refuses to send it, and nothing reaches the sandbox.
func TestTryItRefusesLiveTokens(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tb := p.signIn(t, browserContext(t), "dev@harbor.test")
	openConsole(t, p, tb, "fleet", true)

	live := "ptc_live_" + strings.Repeat("L", 43) + "abcdef"
	tb.do("paste a live token in Authorize",
		chromedp.Click(chromedp.CSS("#swagger-ui .auth-wrapper .authorize")),
		chromedp.Click(chromedp.CSS(`.dialog-ux button[aria-label^="Logout"]`)),
		chromedp.SendKeys(chromedp.CSS(".dialog-ux #auth-bearer-value"), live),
		chromedp.Click(chromedp.CSS(".dialog-ux .auth-btn-wrapper button.authorize")),
	)
	tb.waitFor("the dialog's refusal", `document.querySelector(".dialog-ux .modal-ux-content").textContent.includes("never sends a live token")`)
	if n := eval[int](tb, `document.querySelectorAll(".dialog-ux .auth-btn-wrapper button.authorize").length`); n != 1 {
		t.Errorf("after refusing the live token the dialog shows %d Authorize buttons, want 1 (not authorised)", n)
	}
	tb.do("close the dialog", chromedp.Click(chromedp.CSS(".dialog-ux .auth-btn-wrapper button.btn-done")))

	// Executing now sends no credential at all: the live token was never
	// stored, and the console token was logged out.
	status, _ := execute(t, tb, opID("spreaders", "listSpreaders"))
	if calls := p.sandboxCalls(); slices.Contains(calls, "ptc_live") || len(calls) != 1 || calls[0] != "none" {
		t.Errorf("sandbox calls carried %q (status %s); want one call without a credential", calls, status)
	}
	if strings.Contains(p.logs.String(), live) {
		t.Error("the portal's log holds the pasted live token")
	}
}
