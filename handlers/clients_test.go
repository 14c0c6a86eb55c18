package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/token"
)

// clientForm is the new-client form as a browser sends it.
func clientForm(name, env, days, networks string, scopes ...string) url.Values {
	f := tokenForm(name, env, days, scopes...)
	f.Set("networks", networks)
	return f
}

// clientSecretOf returns the client id and secret a client page shows,
// checking that the page may not be cached and that both are well formed.
func clientSecretOf(t *testing.T, pg page) (id, secret string) {
	t.Helper()
	if pg.status != http.StatusOK || pg.doc.Find("[data-testid=client-created]").Length() != 1 {
		t.Fatalf("client page = %d: %s", pg.status, text(pg, "main"))
	}
	if cc := pg.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control of the page with the secret = %q, want no-store", cc)
	}
	id = pg.doc.Find("pre > code[data-testid=client-id]").Text()
	secret = pg.doc.Find("pre > code[data-testid=client-secret]").Text()
	if !token.ValidPublicID(token.ClientIDPrefix, id) {
		t.Errorf("client id %q is not a pcl_ id", id)
	}
	if parsed, err := token.Parse(secret); err != nil || parsed.Kind != token.KindClientSecret {
		t.Fatalf("client secret %q: kind %v, %v", secret, parsed.Kind, err)
	}
	return id, secret
}

// rowOfClient is the list row of the client with this id.
func rowOfClient(pg page, clientID string) string {
	for _, row := range pg.doc.Find("[data-testid=token]").EachIter() {
		if strings.TrimSpace(row.Find("[data-testid=client-id]").Text()) == clientID {
			return row.AttrOr("data-id", "")
		}
	}
	return ""
}

// joinIntegrations puts a user in Harbor's Integrations team, which holds
// the Port operations access group (Fleet, Telemetry, Maintenance).
func (p *portal) joinIntegrations(t *testing.T, email string) {
	t.Helper()
	if _, err := p.store.DB().Exec(`
		INSERT INTO team_memberships (team_id, user_id)
		SELECT tm.id, u.id FROM teams tm, users u WHERE tm.name = 'Integrations' AND u.email = $1`, email); err != nil {
		t.Fatal(err)
	}
}

// dump is every row of a table as text, to look for secrets.
func (p *portal) dump(t *testing.T, table string) string {
	t.Helper()
	var rows []string
	if err := p.store.DB().Select(&rows, `SELECT x::text FROM `+table+` x`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func TestPartnerAdminRegistersAnOAuthClient(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.joinIntegrations(t, "admin@harbor.test")
	admin := signedInAs(t, p, "admin@harbor.test")

	list := admin.get("/tokens")
	if href := list.doc.Find("[data-testid=new-client]").AttrOr("href", ""); href != "/tokens/new-client" {
		t.Fatalf("a partner admin's token page offers new client at %q", href)
	}
	form := admin.get("/tokens/new-client")
	if form.status != http.StatusOK || form.doc.Find("form[data-testid=client-form] textarea[name=networks]").Length() != 1 {
		t.Fatalf("GET /tokens/new-client = %d, no networks field", form.status)
	}
	if form.doc.Find("input[name=scope][value='fleet/fleet:read']").Length() != 1 {
		t.Error("the client form does not offer the user's granted scopes")
	}

	f := clientForm("Billing service", "sandbox", "30", "203.0.113.7\n10.0.0.0/8, 2001:db8::/48", "fleet/fleet:read")
	f.Set("rate_limit", "120")
	res := admin.post("/tokens/new-client", f)
	clientID, secret := clientSecretOf(t, res)
	if got := res.doc.Find("[data-testid=token-endpoint]").Text(); got != "http://portal.test/oauth/token" {
		t.Errorf("token endpoint = %q", got)
	}
	curl := text(res, "[data-testid=client-usage]")
	for _, want := range []string{clientID, "grant_type=client_credentials", "http://portal.test/oauth/token", "$PORTICO_CLIENT_SECRET"} {
		if !strings.Contains(curl, want) {
			t.Errorf("curl example %q lacks %q", curl, want)
		}
	}
	if strings.Contains(curl, secret) || strings.Contains(text(res, "[data-testid=client-call]"), secret) {
		t.Error("the curl examples spell out the secret")
	}
	if got := text(res, "[data-testid=client-networks]"); !strings.Contains(got, "10.0.0.0/8") || !strings.Contains(got, "203.0.113.7/32") {
		t.Errorf("networks on the page = %q", got)
	}
	if res.doc.Find("[data-testid=client-pending]").Length() != 0 {
		t.Error("a partner admin's sandbox client says it waits for approval")
	}

	// Listed as a client, its secret nowhere.
	for path, pg := range map[string]page{
		"/tokens":         admin.get("/tokens"),
		"/tokens/partner": admin.get("/tokens/partner"),
		"staff":           signedInAs(t, p, "am@portico.test").get("/partners/" + itoa(p.partnerID(t, "harbor-logistics")) + "/tokens"),
	} {
		found := false
		for _, r := range pg.doc.Find("[data-testid=token]").EachIter() {
			if strings.TrimSpace(r.Find("[data-testid=client-id]").Text()) != clientID {
				continue
			}
			found = true
			if r.Find("[data-testid=client-badge]").Length() != 1 {
				t.Errorf("%s: the client has no OAuth client badge", path)
			}
			if got := r.Find("[data-testid=client-networks]").Text(); !strings.Contains(got, "2001:db8::/48") {
				t.Errorf("%s: networks shown = %q", path, got)
			}
			if got := r.Find("[data-testid=token-rate-limit]").AttrOr("data-limit", ""); got != "120" {
				t.Errorf("%s: rate limit shown = %q", path, got)
			}
		}
		if !found {
			t.Errorf("%s: the client %s is not listed", path, clientID)
		}
		if strings.Contains(html(t, pg), secret) {
			t.Errorf("%s shows the secret", path)
		}
	}
	// A personal token in the same list has no badge.
	createToken(t, admin, tokenForm("Laptop", "sandbox", "30", "fleet/fleet:read"))
	if n := admin.get("/tokens").doc.Find("[data-testid=client-badge]").Length(); n != 1 {
		t.Errorf("%d badges with one client and one token, want 1", n)
	}

	// Only the HMAC is stored; the audit trail has the id, not the secret.
	for _, table := range []string{"tokens", "audit_events"} {
		if strings.Contains(p.dump(t, table), secret) {
			t.Errorf("the secret is stored in %s", table)
		}
	}
	details := p.auditDetails(t, "client.create")
	if len(details) != 1 || !strings.Contains(details[0], clientID) {
		t.Errorf("client.create audit = %v, want one naming %s", details, clientID)
	}
	auth, err := p.store.ClientByClientID(context.Background(), clientID)
	if err != nil || auth.Environment != "sandbox" {
		t.Fatalf("client by id: %+v, %v", auth, err)
	}
}

func TestOAuthClientRefusals(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	dev := signedInAs(t, p, "dev@harbor.test")

	// Developers may not until a partner admin allows it.
	list := dev.get("/tokens")
	if list.doc.Find("[data-testid=new-client]").Length() != 0 {
		t.Error("a developer who may not register clients is offered it")
	}
	if list.doc.Find("[data-testid=client-hint]").Length() != 1 {
		t.Error("the developer is not told who can allow clients")
	}
	for _, res := range []page{
		dev.get("/tokens/new-client"),
		dev.post("/tokens/new-client", clientForm("Sneaky", "sandbox", "30", "", "fleet/fleet:read")),
	} {
		if res.status != http.StatusForbidden || !strings.Contains(text(res, "main"), "partner admin") {
			t.Errorf("developer without permission = %d: %q", res.status, text(res, "main"))
		}
	}
	// Staff have no clients of their own.
	am := signedInAs(t, p, "am@portico.test")
	if res := am.post("/tokens/new-client", clientForm("Staff", "sandbox", "30", "", "fleet/fleet:read")); res.status != http.StatusForbidden {
		t.Errorf("account manager registers a client = %d, want 403", res.status)
	}
	if am.get("/tokens").doc.Find("[data-testid=new-client]").Length() != 0 {
		t.Error("staff are offered a new client")
	}
	if n := p.tokenCount(t); n != 0 {
		t.Fatalf("refused requests stored %d rows", n)
	}

	if err := p.store.SetDeveloperClients(context.Background(), p.partnerID(t, "harbor-logistics"), true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		testid string
		want   string
	}{
		{"bad network", clientForm("Robot", "sandbox", "30", "10.0.0.0/8\nnot-a-network", "fleet/fleet:read"), "networks-error", "not-a-network"},
		{"too many networks", clientForm("Robot", "sandbox", "30", strings.Repeat("10.0.0.1 ", 21), "fleet/fleet:read"), "networks-error", "at most 20"},
		{"no name", clientForm(" ", "sandbox", "30", "", "fleet/fleet:read"), "name-error", ""},
		{"ungranted scope", clientForm("Robot", "sandbox", "30", "", "fleet/fleet:destroy"), "scopes-error", "fleet:destroy"},
		{"bad rate", func() url.Values {
			f := clientForm("Robot", "sandbox", "30", "", "fleet/fleet:read")
			f.Set("rate_limit", "lots")
			return f
		}(), "rate-limit-error", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dev.post("/tokens/new-client", tc.form)
			got := text(res, "[data-testid="+tc.testid+"]")
			if res.status != http.StatusUnprocessableEntity || got == "" || !strings.Contains(got, tc.want) {
				t.Errorf("= %d, %s %q (want it to say %q)", res.status, tc.testid, got, tc.want)
			}
			if res.doc.Find("[data-testid=client-form-error]").Length() != 1 {
				t.Error("no summary of the refusal")
			}
			if res.doc.Find("[data-testid=client-secret]").Length() != 0 {
				t.Error("a refusal shows a secret")
			}
			if got := res.doc.Find("textarea[name=networks]").Text(); got != tc.form.Get("networks") {
				t.Errorf("networks not kept: %q", got)
			}
		})
	}
	if n := p.tokenCount(t); n != 0 {
		t.Fatalf("refusals stored %d rows", n)
	}

	// A live client asks for the password again, keeping the input.
	expireSudo(t, p)
	res := dev.post("/tokens/new-client", clientForm("Live robot", "live", "30", "192.0.2.0/24", "fleet/fleet:read"))
	loc, _ := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || loc.Path != "/confirm-password" {
		t.Fatalf("live client without a recent password = %d to %q", res.status, res.header.Get("Location"))
	}
	if n := p.tokenCount(t); n != 0 {
		t.Fatalf("%d rows before the password was confirmed", n)
	}
	next := loc.Query().Get("next")
	dev.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {next}})
	form := dev.get(next)
	if form.doc.Find("textarea[name=networks]").Text() != "192.0.2.0/24" ||
		form.doc.Find("input[name=environment][value=live][checked]").Length() != 1 ||
		form.doc.Find("input[name=name]").AttrOr("value", "") != "Live robot" {
		t.Error("the client form lost its input through the password prompt")
	}
	id, _ := clientSecretOf(t, dev.post("/tokens/new-client", clientForm("Live robot", "live", "30", "192.0.2.0/24", "fleet/fleet:read")))
	if rowOfClient(dev.get("/tokens"), id) == "" {
		t.Error("the developer's client is not in their list")
	}
}

func TestDeveloperClientsSetting(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	admin := signedInAs(t, p, "admin@harbor.test")
	dev := signedInAs(t, p, "dev@harbor.test")
	am := signedInAs(t, p, "am@portico.test")
	harborSettings := "/partners/" + itoa(p.partnerID(t, "harbor-logistics")) + "/settings"
	on, off := url.Values{"developer_clients": {"off", "on"}}, url.Values{"developer_clients": {"off"}}

	if got := text(admin.get("/tokens/partner"), "[data-testid=developer-clients-state]"); got != "Only partner admins register them." {
		t.Errorf("by default the partner admin reads %q", got)
	}
	for _, b := range []*browser{admin, dev} {
		if res := b.post(harborSettings, on); res.status != http.StatusForbidden {
			t.Errorf("a partner user changes the setting = %d, want 403", res.status)
		}
	}
	crane := "/partners/" + itoa(p.partnerID(t, "crane-works")) + "/settings"
	if res := am.post(crane, on); res.status != http.StatusSeeOther {
		t.Errorf("Crane's account manager changes Crane's setting = %d", res.status)
	}
	if dev.get("/tokens").doc.Find("[data-testid=new-client]").Length() != 0 {
		t.Error("another partner's setting let Harbor's developer register clients")
	}

	if res := am.post(harborSettings, on); res.status != http.StatusSeeOther {
		t.Fatalf("turn on = %d", res.status)
	}
	if got := text(admin.get("/tokens/partner"), "[data-testid=developer-clients-state]"); got != "Developers may register their own." {
		t.Errorf("the partner admin reads %q once it is on", got)
	}
	if dev.get("/tokens").doc.Find("[data-testid=new-client]").Length() != 1 {
		t.Error("the developer is not offered a new client once allowed")
	}
	id, _ := clientSecretOf(t, dev.post("/tokens/new-client", clientForm("Yard robot", "sandbox", "30", "", "fleet/fleet:read")))

	am.post(harborSettings, off)
	if res := dev.get("/tokens/new-client"); res.status != http.StatusForbidden {
		t.Errorf("after turning it off the form = %d, want 403", res.status)
	}
	// The client already registered is listed (and works) still.
	if rowOfClient(admin.get("/tokens/partner"), id) == "" {
		t.Error("the developer's client left the partner's list")
	}
	harbor := p.partnerID(t, "harbor-logistics")
	var harborDetails []string
	if err := p.store.DB().Select(&harborDetails, `SELECT details::text FROM audit_events WHERE action = 'partner.developer_clients' AND partner_id = $1 ORDER BY id`, harbor); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`{"to": true, "from": false}`, `{"to": false, "from": true}`}, harborDetails); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if got := text(admin.get("/audit"), "main"); !strings.Contains(got, "let developers register OAuth clients") {
		t.Error("the audit trail does not say the change in words")
	}
}

func TestRotateAndRevokeAnOAuthClient(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.joinIntegrations(t, "admin@harbor.test")
	admin := signedInAs(t, p, "admin@harbor.test")
	clientID, oldSecret := clientSecretOf(t, admin.post("/tokens/new-client", clientForm("Billing", "sandbox", "30", "", "fleet/fleet:read")))
	list := admin.get("/tokens")
	id := rowOfClient(list, clientID)
	row := list.doc.Find("[data-testid=token][data-id='" + id + "']")
	if got := strings.TrimSpace(row.Find("[data-testid=regenerate-token]").Text()); got != "Rotate secret" {
		t.Errorf("the client's regenerate action reads %q", got)
	}
	form := admin.get("/tokens/" + id + "/regenerate")
	if !strings.Contains(text(form, "h1"), "Rotate the secret") || form.doc.Find("select[name=grace] option").Length() != 4 {
		t.Errorf("rotate form: %q", text(form, "h1"))
	}
	res := admin.post("/tokens/"+id+"/regenerate", url.Values{"grace": {"1h"}})
	sameID, newSecret := clientSecretOf(t, res)
	if sameID != clientID || newSecret == oldSecret {
		t.Errorf("rotation gave id %s (want %s), new secret equal to the old: %v", sameID, clientID, newSecret == oldSecret)
	}
	if !strings.Contains(text(res, "[data-testid=grace-until]"), "keeps working until") {
		t.Errorf("grace = %q", text(res, "[data-testid=grace-until]"))
	}
	if strings.Contains(p.dump(t, "tokens")+p.dump(t, "audit_events"), newSecret) {
		t.Error("the rotated secret is stored in plaintext")
	}

	// Revoking says how many live access tokens it ends.
	hasher := token.NewHasher(testConfig().Secret)
	tokenID, _ := strconv.ParseInt(id, 10, 64)
	for i, exp := range []time.Duration{time.Hour, -time.Minute} {
		at, _ := token.New(token.KindAccessToken)
		if _, err := p.store.InsertAccessToken(context.Background(), tokenID, hasher.Hash(at), []string{"fleet/fleet:read"}, time.Now().Add(exp)); err != nil {
			t.Fatal(i, err)
		}
	}
	confirm := admin.get(row.Find("[data-testid=revoke-token]").AttrOr("href", ""))
	if got := text(confirm, "[data-testid=revoke-client-effect]"); !strings.Contains(got, "1 live access token ") || !strings.Contains(got, clientID) {
		t.Errorf("revoke confirmation says %q, want the one live access token and the client id", got)
	}
	action := confirm.doc.Find("[data-testid=confirm-revoke] form").AttrOr("action", "")
	if res := admin.post(action, nil); res.status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", res.status)
	}
	if auth, err := p.store.ClientByClientID(context.Background(), clientID); err != nil || !auth.Revoked {
		t.Errorf("client after revoke: %+v, %v", auth, err)
	}
	if got := rowStatus(admin.get("/tokens?status=revoked"), tokenID); got != "revoked" {
		t.Errorf("status after revoke = %q", got)
	}
}

func TestTokenListsFilterByType(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.joinIntegrations(t, "admin@harbor.test")
	admin := signedInAs(t, p, "admin@harbor.test")
	clientSecretOf(t, admin.post("/tokens/new-client", clientForm("Billing client", "sandbox", "30", "", "fleet/fleet:read")))
	createToken(t, admin, tokenForm("Laptop token", "sandbox", "30", "fleet/fleet:read"))
	createToken(t, signedInAs(t, p, "dev@harbor.test"), tokenForm("Dev token", "sandbox", "30", "fleet/fleet:read"))
	am := signedInAs(t, p, "am@portico.test")
	staffPath := "/partners/" + itoa(p.partnerID(t, "harbor-logistics")) + "/tokens"

	for _, tc := range []struct {
		b    *browser
		path string
		want []string
	}{
		{admin, "/tokens", []string{"Laptop token", "Billing client"}},
		{admin, "/tokens?type=clients", []string{"Billing client"}},
		{admin, "/tokens?type=tokens", []string{"Laptop token"}},
		{admin, "/tokens/partner?type=clients&status=all", []string{"Billing client"}},
		{admin, "/tokens/partner?type=tokens", []string{"Dev token", "Laptop token"}},
		{am, staffPath + "?type=clients", []string{"Billing client"}},
		{admin, "/tokens/partner?type=clients&q=laptop", nil},
	} {
		pg := tc.b.get(tc.path)
		if pg.status != http.StatusOK {
			t.Errorf("%s = %d", tc.path, pg.status)
			continue
		}
		if diff := cmp.Diff(tc.want, tokenNames(pg)); diff != "" {
			t.Errorf("%s lists (-want +got):\n%s", tc.path, diff)
		}
	}
	// The other filters, the search and the pager keep the type.
	pg := admin.get("/tokens/partner?type=clients")
	if got := pg.doc.Find("[data-testid=filter-revoked]").AttrOr("href", ""); !strings.Contains(got, "type=clients") {
		t.Errorf("status filter link %q drops the type", got)
	}
	if got := pg.doc.Find("[data-testid=token-search] input[name=type]").AttrOr("value", ""); got != "clients" {
		t.Errorf("search form type = %q", got)
	}
	if pg.doc.Find("[data-testid=type-clients][aria-current=page]").Length() != 1 {
		t.Error("the current type is not marked")
	}
	empty := admin.get("/tokens?type=clients&status=revoked")
	if href := empty.doc.Find("[data-testid=any-type]").AttrOr("href", ""); href != "/tokens?status=revoked" {
		t.Errorf("an empty client filter offers %q, want the same status with every type", href)
	}
	if res := admin.get("/tokens?type=robots"); res.status != http.StatusBadRequest || !strings.Contains(text(res, "main"), "clients") {
		t.Errorf("unknown type = %d: %q", res.status, text(res, "main"))
	}
}
