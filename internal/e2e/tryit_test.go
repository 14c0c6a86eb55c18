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

// panel is the CSS selector of an operation's Try it panel.
func panel(operationID string) string {
	return "[data-testid=try-panel][data-operation-id=" + operationID + "]"
}

// openTryIt opens an API's docs page and the Try it panel of one of its
// operations, and waits until the panel has the console token.
func openTryIt(t *testing.T, p *portal, tb *tab, slug, operationID string) {
	t.Helper()
	tb.do("open /apis/"+slug, chromedp.Navigate(p.URL+"/apis/"+slug))
	openPanel(t, tb, operationID)
}

// openPanel opens the Try it panel of an operation of the docs page shown.
func openPanel(t *testing.T, tb *tab, operationID string) {
	t.Helper()
	sel := panel(operationID)
	tb.waitFor("the Try it button of "+operationID, `document.querySelector("`+sel+`:not([hidden]) [data-testid=try-open]")`)
	tb.do("open Try it of "+operationID, chromedp.Click(chromedp.CSS(sel+" [data-testid=try-open]")))
	tb.waitFor("the console token", `document.querySelector("`+sel+` [data-testid=try-status]").textContent.includes("Authorised")`)
}

// execute sends the operation's request from its open panel and returns
// the status and body the panel shows for the response.
func execute(t *testing.T, tb *tab, operationID string) (status, body string) {
	t.Helper()
	sel := panel(operationID)
	tb.do("send "+operationID, chromedp.Click(chromedp.CSS(sel+" [data-testid=try-send]")))
	tb.waitFor("the response of "+operationID, `!document.querySelector("`+sel+` [data-testid=try-response]").hidden`)
	status = eval[string](tb, `document.querySelector("`+sel+` [data-testid=try-response-status]").textContent`)
	body = eval[string](tb, `document.querySelector("`+sel+` [data-testid=try-response-body]").textContent`)
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
// developer signs in, opens the Fleet API's docs, opens Try it of "List
// spreaders", sends it and sees their partner's spreaders; a developer of
// another partner sees others. Nothing is minted before Try it is opened.
func TestTryItCallsTheSandboxAsTheDeveloper(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	harbor := p.signIn(t, browserContext(t), "dev@harbor.test")
	harbor.do("open /apis/fleet", chromedp.Navigate(p.URL+"/apis/fleet"))
	harbor.waitFor("the Try it buttons", `document.querySelector("[data-testid=try-panel]:not([hidden])")`)
	if n := consoleTokens(t, p, "dev@harbor.test"); n != 0 {
		t.Errorf("opening the docs page minted %d console tokens, want none before Try it is opened", n)
	}
	// One panel for each operation, each closed.
	panels := eval[[]string](harbor, `[...document.querySelectorAll("[data-testid=try-panel]")].map(p => p.dataset.operationId + (p.querySelector("form").hidden ? "" : " open"))`)
	for _, want := range []string{"listSpreaders", "getSpreader"} {
		if !slices.Contains(panels, want) {
			t.Errorf("Try it panels %q lack a closed %s", panels, want)
		}
	}

	const list = "listSpreaders"
	openPanel(t, harbor, list)
	status, body := execute(t, harbor, list)
	if v := harbor.cspViolations(); len(v) > 0 {
		t.Errorf("the docs page broke its Content-Security-Policy:\n%s", strings.Join(v, "\n"))
	}
	// The artifact: the operation with its samples and the response.
	shot := harbor.screenshotOf("#op-listSpreaders", "try-it-fleet-list-spreaders.png")
	if calls := p.sandboxCalls(); !slices.Equal(calls, []string{"ptc_sbx"}) {
		t.Errorf("sandbox calls carried %q, want one sandbox token", calls)
	}
	if n := consoleTokens(t, p, "dev@harbor.test"); n != 1 {
		t.Errorf("opening Try it and sending minted %d console tokens, want 1", n)
	}
	// The portal never logs credentials.
	tok := eval[string](harbor, `document.querySelector("`+panel(list)+` [data-token]").value`)
	if !strings.HasPrefix(tok, "ptc_sbx_") {
		t.Errorf("the panel's token field holds %q, want the console token", tok)
	}
	if logs := p.logs.String(); strings.Contains(logs, "Bearer") || strings.Contains(logs, tok) {
		t.Errorf("the portal's log holds the console token:\n%s", logs)
	}

	if status != "200" {
		t.Fatalf("List spreaders answered %s in Try it, want 200 (screenshot %s):\n%s", status, shot, body)
	}
	harborIDs := spreaderIDs(t, body)
	if len(harborIDs) == 0 {
		t.Fatalf("Harbor's sandbox lists no spreaders:\n%s", body)
	}

	// Another partner's developer, in another browser context, sees other
	// spreaders.
	crane := p.signIn(t, browserContext(t), "dev@crane.test")
	openTryIt(t, p, crane, "fleet", list)
	status, body = execute(t, crane, list)
	if status != "200" {
		t.Fatalf("List spreaders answered %s to Crane's developer, want 200:\n%s", status, body)
	}
	craneIDs := spreaderIDs(t, body)
	if len(craneIDs) == 0 || slices.Equal(craneIDs, harborIDs) {
		t.Errorf("Crane's spreaders %q, Harbor's %q: want each partner's own", craneIDs, harborIDs)
	}

	// A path parameter is taken from its field: Harbor's first spreader.
	openPanel(t, harbor, "getSpreader")
	harbor.do("type the spreader's id",
		chromedp.SetValue(chromedp.CSS(panel("getSpreader")+" input[data-in=path]"), harborIDs[0]))
	status, body = execute(t, harbor, "getSpreader")
	if status != "200" || !strings.Contains(body, harborIDs[0]) {
		t.Errorf("Get a spreader %s answered %s:\n%s", harborIDs[0], status, body)
	}
}

// consoleTokens counts the console tokens minted for a user.
func consoleTokens(t *testing.T, p *portal, email string) int {
	t.Helper()
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.console`, email); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTryItMarksAndRefusesUngrantedOperations gives Crane's developer the
// Maintenance API with maintenance:read only: Try it marks the write
// operations as not granted, and sending one shows the gateway's 403.
func TestTryItMarksAndRefusesUngrantedOperations(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	grantMaintenanceRead(t, p, "dev@crane.test")
	tb := p.signIn(t, browserContext(t), "dev@crane.test")
	const create = "createWorkOrder"
	openTryIt(t, p, tb, "maintenance", create)

	if got := eval[string](tb, `(document.querySelector("`+panel(create)+` [data-testid=try-not-granted]") || {textContent: ""}).textContent`); !strings.Contains(got, "Not granted to you") {
		t.Errorf("createWorkOrder's Try it is not marked as not granted: %q", got)
	}
	if n := eval[int](tb, `document.querySelectorAll("`+panel("listWorkOrders")+` [data-testid=try-not-granted]").length`); n != 0 {
		t.Errorf("listWorkOrders (granted) is marked as not granted")
	}

	status, body := execute(t, tb, create)
	if v := tb.cspViolations(); len(v) > 0 {
		t.Errorf("the docs page broke its Content-Security-Policy:\n%s", strings.Join(v, "\n"))
	}
	if status != "403" || !strings.Contains(body, "insufficient_scope") {
		t.Errorf("createWorkOrder answered %s in Try it, want 403 insufficient_scope:\n%s", status, body)
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

// TestTryItRefusesLiveTokens pastes a live token in a Try it panel: the
// page refuses to send it, and nothing reaches the sandbox.
func TestTryItRefusesLiveTokens(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tb := p.signIn(t, browserContext(t), "dev@harbor.test")
	const list = "listSpreaders"
	openTryIt(t, p, tb, "fleet", list)

	live := "ptc_live_" + strings.Repeat("L", 43) + "abcdef"
	tb.do("paste a live token and send",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("`+panel(list)+` [data-token]").value = ""`),
		chromedp.SendKeys(chromedp.CSS(panel(list)+" [data-token]"), live),
		chromedp.Click(chromedp.CSS(panel(list)+" [data-testid=try-send]")),
	)
	tb.waitFor("the refusal", `document.querySelector("`+panel(list)+` [data-testid=try-status]").textContent.includes("never sends a live token")`)
	if shown := eval[bool](tb, `!document.querySelector("`+panel(list)+` [data-testid=try-response]").hidden`); shown {
		t.Error("a response is shown for a call that must not have been made")
	}
	if calls := p.sandboxCalls(); len(calls) != 0 {
		t.Errorf("sandbox calls carried %q; want none", calls)
	}
	if strings.Contains(p.logs.String(), live) {
		t.Error("the portal's log holds the pasted live token")
	}
}
