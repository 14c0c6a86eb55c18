package webhook_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/leak"
	"github.com/portico/portico/internal/lifecycle"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
)

// services are the domain services whose actions become events.
type services struct {
	people *people.Service
	pats   *pat.Service
	groups *catalog.Groups
	leak   *leak.Service
	life   *lifecycle.Service
}

func (w *world) services() services {
	hasher := token.NewHasher(testSecret)
	outbox := mail.NewOutbox(w.store)
	const base = "https://portal.test"
	return services{
		people: people.New(w.store, hasher, outbox, base),
		pats:   pat.New(w.store, hasher, outbox, base),
		groups: catalog.NewGroups(w.store),
		leak:   leak.New(w.store, hasher, outbox, base),
		life:   lifecycle.New(w.store, outbox, base),
	}
}

// as returns ctx acting as the demo user with email, as a signed-in
// request's would.
func (w *world) as(email string) context.Context {
	return audit.WithActor(context.Background(), w.actors[email].UserID)
}

// invitationLink reads the link of the last invitation mailed to email.
func (w *world) invitationLink(t *testing.T, email string) string {
	t.Helper()
	mails, _, err := w.store.ListMails(context.Background(), 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.ToEmail != email {
			continue
		}
		if i := strings.Index(m.TextBody, "ptc_inv_"); i >= 0 {
			link, _, _ := strings.Cut(m.TextBody[i:], "\n")
			return strings.TrimSpace(link)
		}
	}
	t.Fatalf("no invitation mailed to %s", email)
	return ""
}

// at reads a dotted path ("data.partner.id") of a decoded payload.
func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestEveryEventTypeIsDelivered drives real actions through the domain
// services, each causing one event type, to a partner admin's endpoint
// subscribed to all of them: the receiver verifies every delivery with the
// Standard Webhooks library and gets every type, each naming the partner
// and the object acted on, and no secret an action returned is in any body.
func TestEveryEventTypeIsDelivered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHub(t)
	w := newWorld(t, h.srv)
	if err := demo.SeedCatalog(ctx, w.store); err != nil {
		t.Fatal(err)
	}
	svc := w.services()
	harbor := w.partnerID(t, "harbor-logistics")
	if err := w.store.SetRequireLiveApproval(ctx, harbor, true); err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetDeveloperClients(ctx, harbor, true); err != nil {
		t.Fatal(err)
	}
	ep, rc := w.endpoint(t, h, "admin@harbor.test", "/harbor", nil, 0)
	secrets := []string{ep.Secret}
	admin, dev, staff := w.actors["admin@harbor.test"], w.actors["dev@harbor.test"], w.actors["admin@portico.test"]
	asAdmin, asDev, asStaff := w.as("admin@harbor.test"), w.as("dev@harbor.test"), w.as("admin@portico.test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// People: an invitation accepted, a team's whole life.
	_, err := svc.people.Invite(asAdmin, admin, harbor, "nia@harbor.test", "developer")
	must(err)
	link := w.invitationLink(t, "nia@harbor.test")
	secrets = append(secrets, link)
	nia, err := svc.people.Accept(ctx, link, "Nia New", "tide tables at noon")
	must(err)
	team, err := svc.people.CreateTeam(asAdmin, harbor, "Night shift")
	must(err)
	_, err = svc.people.RenameTeam(asAdmin, harbor, team.ID, "Late shift")
	must(err)
	_, _, err = svc.people.AddTeamMember(asAdmin, harbor, team.ID, nia.ID)
	must(err)
	_, _, err = svc.people.RemoveTeamMember(asAdmin, harbor, team.ID, nia.ID)
	must(err)
	_, _, err = svc.people.DeleteTeam(asAdmin, harbor, team.ID)
	must(err)

	// Access: a group granted to the new member, and revoked.
	var basics int64
	must(w.store.DB().Get(&basics, `SELECT id FROM access_groups WHERE name = 'Fleet basics'`))
	granted, err := svc.groups.Grant(asStaff, staff, basics, catalog.GrantTo{UserID: nia.ID, PartnerID: harbor})
	must(err)
	_, err = svc.groups.Revoke(asStaff, staff, basics, granted.ID)
	must(err)

	// Tokens: created, regenerated, revoked; a live one waits for approval
	// and leaks; one expires within a week.
	scopes := []string{"fleet/fleet:read"}
	ci, err := svc.pats.Create(asDev, dev, pat.Input{Name: "CI deploy", Environment: store.EnvSandbox, Days: 30, Scopes: scopes})
	must(err)
	ci2, err := svc.pats.Regenerate(asDev, dev, ci.Token.ID, time.Hour)
	must(err)
	_, err = svc.pats.Revoke(asDev, dev, ci.Token.ID)
	must(err)
	live, err := svc.pats.Create(asDev, dev, pat.Input{Name: "Live deploy", Environment: store.EnvLive, Days: 30, Scopes: scopes})
	must(err)
	if !live.Token.Pending {
		t.Fatal("the live token does not wait for approval")
	}
	_, err = svc.pats.Approve(asAdmin, admin, live.Token.ID)
	must(err)
	short, err := svc.pats.Create(asDev, dev, pat.Input{Name: "Short", Environment: store.EnvSandbox, Days: 7, Scopes: scopes})
	must(err)
	// OAuth clients: created (expiring within a week), rotated, revoked.
	client, err := svc.pats.CreateClient(asDev, dev, pat.ClientInput{Input: pat.Input{Name: "Billing sync", Environment: store.EnvSandbox, Days: 7, Scopes: scopes}})
	must(err)
	n, err := svc.pats.SendExpiryNotices(ctx)
	must(err)
	if n != 2 {
		t.Fatalf("%d expiry notices, want 2 (the short token and the client)", n)
	}
	client2, err := svc.pats.Regenerate(asDev, dev, client.Token.ID, 0)
	must(err)
	_, err = svc.pats.Revoke(asDev, dev, client.Token.ID)
	must(err)
	secrets = append(secrets, ci.Plaintext, ci2.Plaintext, live.Plaintext, short.Plaintext, client.Secret, client2.Plaintext)
	// A secret scanner finds the live token: revoked, and an alert.
	verdicts, err := svc.leak.Report(ctx, "GitHub secret scanning", []leak.Found{{Token: live.Plaintext, Type: "portico_live_token",
		URL: "https://github.com/harbor/ops/blob/main/.env", Source: "content"}})
	must(err)
	if verdicts[0].Label != leak.TruePositive {
		t.Fatalf("verdict %+v", verdicts[0])
	}

	// The member leaves; the partnership is suspended, reactivated, ended.
	_, err = svc.people.Remove(asAdmin, harbor, nia.ID)
	must(err)
	_, err = svc.people.SetPartnerStatus(asStaff, harbor, store.PartnerSuspended)
	must(err)
	_, err = svc.people.SetPartnerStatus(asStaff, harbor, store.PartnerActive)
	must(err)
	_, err = svc.life.End(asStaff, harbor)
	must(err)

	w.drain(t)
	got := rc.got()
	if _, refused := rc.stats(); refused != 0 {
		t.Errorf("the receiver refused %d deliveries", refused)
	}
	var gotTypes, wantTypes []string
	for _, r := range got {
		if !slices.Contains(gotTypes, r.Type) {
			gotTypes = append(gotTypes, r.Type)
		}
	}
	for _, ty := range webhook.Types {
		wantTypes = append(wantTypes, ty.Name)
	}
	slices.Sort(gotTypes)
	slices.Sort(wantTypes)
	if d := cmp.Diff(wantTypes, gotTypes); d != "" {
		t.Errorf("event types received (-want +got):\n%s", d)
	}
	for _, r := range got {
		for _, s := range secrets {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("%s carries a secret (%s…)", r.Type, s[:12])
			}
		}
	}

	num := func(id int64) float64 { return float64(id) }
	cred := func(name, kind, hint string) map[string]any {
		return map[string]any{"data.credential.name": name, "data.credential.kind": kind, "data.credential.hint": hint,
			"data.credential.owner.email": "dev@harbor.test"}
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	const tok, oc = "personal_access_token", "oauth_client"
	cases := []struct {
		typ  string
		want map[string]any
	}{
		{webhook.MemberInvited, map[string]any{"data.invitation.email": "nia@harbor.test", "data.invitation.role": "developer", "data.actor.email": "admin@harbor.test"}},
		{webhook.MemberJoined, map[string]any{"data.member.id": num(nia.ID), "data.member.email": "nia@harbor.test", "data.via": "invitation"}},
		{webhook.MemberRemoved, map[string]any{"data.member.id": num(nia.ID), "data.via": "removed", "data.actor.email": "admin@harbor.test"}},
		{webhook.TeamChanged, map[string]any{"data.team.id": num(team.ID), "data.team.name": "Night shift", "data.change": "created"}},
		{webhook.TeamChanged, map[string]any{"data.team.name": "Late shift", "data.change": "renamed", "data.previous_name": "Night shift"}},
		{webhook.TeamChanged, map[string]any{"data.change": "member_added", "data.member.email": "nia@harbor.test"}},
		{webhook.TeamChanged, map[string]any{"data.change": "member_removed", "data.member.id": num(nia.ID)}},
		{webhook.TeamChanged, map[string]any{"data.team.name": "Late shift", "data.change": "deleted"}},
		{webhook.AccessGroupGranted, map[string]any{"data.grant.id": num(granted.ID), "data.access_group.name": "Fleet basics",
			"data.grantee.type": "developer", "data.grantee.email": "nia@harbor.test", "data.actor": nil}},
		{webhook.AccessGroupRevoked, map[string]any{"data.grant.id": num(granted.ID), "data.access_group.id": num(basics)}},
		{webhook.TokenCreated, with(cred("CI deploy", tok, ci.Token.Hint), "data.credential.environment", "sandbox", "data.actor.email", "dev@harbor.test")},
		{webhook.TokenRotated, with(cred("CI deploy", tok, ci2.Token.Hint), "data.previous_hint", ci.Token.Hint, "data.grace_seconds", 3600.0)},
		{webhook.TokenRevoked, with(cred("CI deploy", tok, ci2.Token.Hint), "data.reason", "revoked by its owner", "data.credential.status", "revoked")},
		{webhook.TokenCreated, with(cred("Live deploy", tok, live.Token.Hint), "data.credential.status", "pending")},
		{webhook.TokenApproved, with(cred("Live deploy", tok, live.Token.Hint), "data.credential.status", "active", "data.actor.email", "admin@harbor.test")},
		{webhook.TokenRevoked, with(cred("Live deploy", tok, live.Token.Hint), "data.reason", "leaked", "data.actor", nil)},
		{webhook.TokenExpiring, with(cred("Short", tok, short.Token.Hint), "data.actor", nil)},
		{webhook.OAuthClientCreated, with(cred("Billing sync", oc, client.Token.Hint), "data.credential.client_id", client.ClientID)},
		{webhook.OAuthClientExpiring, with(cred("Billing sync", oc, client.Token.Hint), "data.credential.client_id", client.ClientID)},
		{webhook.OAuthClientRotated, with(cred("Billing sync", oc, client2.Token.Hint), "data.previous_hint", client.Token.Hint, "data.grace_seconds", 0.0)},
		{webhook.OAuthClientRevoked, with(cred("Billing sync", oc, client2.Token.Hint), "data.reason", "revoked by its owner")},
		{webhook.AlertRaised, map[string]any{"data.alert.rule": "leaked", "data.alert.credential.name": "Live deploy", "data.alert.credential.hint": live.Token.Hint}},
		// Staff acted: the partner's endpoint is not told who (actor null).
		{webhook.PartnerSuspended, map[string]any{"data.actor": nil, "data.ended": nil}},
		{webhook.PartnerReactivated, map[string]any{"data.actor": nil}},
		{webhook.PartnerEnded, map[string]any{"data.ended.credentials_revoked": 1.0, "data.ended.people_closed": 2.0,
			"data.ended.invitations_cancelled": 0.0, "data.ended.grants_ended": 1.0}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%02d-%s", i, c.typ), func(t *testing.T) {
			c.want["data.partner.id"], c.want["data.partner.name"] = num(harbor), "Harbor Logistics"
			var diffs []string
			for _, r := range got {
				if r.Type != c.typ {
					continue
				}
				have := map[string]any{}
				for k := range c.want {
					have[k] = at(r.Payload, k)
				}
				d := cmp.Diff(c.want, have)
				if d == "" {
					return
				}
				diffs = append(diffs, d)
			}
			t.Errorf("no %s delivery with the expected data (-want +got):\n%s", c.typ, strings.Join(diffs, "\n"))
		})
	}
}
