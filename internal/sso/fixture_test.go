package sso_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// fixture is the demo portal (Harbor and Crane, their admins and
// developers) with an sso.Service over it.
type fixture struct {
	st         *store.Store
	box        *sso.Box
	svc        *sso.Service
	harbor     int64
	admin, dev *store.User
}

// newFixture seeds a fresh database; client reaches the identity
// provider (nil when the test needs none).
func newFixture(t *testing.T, client *http.Client) *fixture {
	t.Helper()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	box := sso.MustBox([]byte("sync test server secret"))
	f := &fixture{st: st, box: box, svc: sso.New(st, box, client, mail.NewOutbox(st), "https://portal.test")}
	f.admin = f.user(t, "admin@harbor.test")
	f.dev = f.user(t, "dev@harbor.test")
	f.harbor = *f.admin.PartnerID
	return f
}

func (f *fixture) user(t *testing.T, email string) *store.User {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// provider saves Harbor's identity provider (the staff's when partnerID
// is nil) with issuer, client id and secret.
func (f *fixture) provider(t *testing.T, partnerID *int64, issuer, clientID, secret string, requireGroup bool) *store.IdentityProvider {
	t.Helper()
	var p *store.IdentityProvider
	domain := "harbor.test"
	if partnerID == nil {
		domain = "portico.test"
	}
	err := f.st.InTx(context.Background(), func(tx *store.Store) error {
		var err error
		p, err = tx.SaveIdentityProvider(context.Background(), store.IdentityProviderInput{
			PartnerID: partnerID, DisplayName: "Harbor Directory", Issuer: issuer, ClientID: clientID,
			ClientSecretEnc: f.box.Seal(secret, sso.PurposeClientSecret), GroupsClaim: "groups",
			RequireGroup: requireGroup, Domains: []string{domain},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// team returns the id of Harbor's team of that name, created if needed.
func (f *fixture) team(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	err := f.st.DB().Get(&id, `SELECT id FROM teams WHERE partner_id = $1 AND name = $2`, f.harbor, name)
	if err == nil {
		return id
	}
	tm, err := f.st.CreateTeam(context.Background(), f.harbor, name)
	if err != nil {
		t.Fatal(err)
	}
	return tm.ID
}

// mapGroup maps group to Harbor's team of that name, or (team "") to the
// partner-admin role.
func (f *fixture) mapGroup(t *testing.T, p *store.IdentityProvider, group, team string) {
	t.Helper()
	var teamID *int64
	var role *string
	if team == "" {
		r := store.RolePartnerAdmin
		role = &r
	} else {
		id := f.team(t, team)
		teamID = &id
	}
	if _, err := f.st.AddGroupMapping(context.Background(), p.ID, group, teamID, role); err != nil {
		t.Fatal(err)
	}
}

// teamsOf lists the names of the user's teams.
func (f *fixture) teamsOf(t *testing.T, userID int64) []string {
	t.Helper()
	names := []string{}
	if err := f.st.DB().Select(&names, `
		SELECT t.name FROM team_memberships m JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1 ORDER BY t.name`, userID); err != nil {
		t.Fatal(err)
	}
	return names
}

// person is what a user notices of a person's standing.
type person struct {
	Status, Role string
	Teams        []string
	Sessions     int
}

func (f *fixture) person(t *testing.T, userID int64) person {
	t.Helper()
	var p person
	if err := f.st.DB().QueryRow(`SELECT status, role FROM users WHERE id = $1`, userID).Scan(&p.Status, &p.Role); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DB().Get(&p.Sessions, `SELECT count(*) FROM sessions WHERE user_id = $1`, userID); err != nil {
		t.Fatal(err)
	}
	p.Teams = f.teamsOf(t, userID)
	return p
}

// audits lists the trail's events of an action, oldest first.
func (f *fixture) audits(t *testing.T, action string) []store.AuditEvent {
	t.Helper()
	var es []store.AuditEvent
	if err := f.st.DB().Select(&es, `
		SELECT id, at, actor_id, actor, partner_id, action, target_type, target_id, target, details, ip, request_id
		FROM audit_events WHERE action = $1 ORDER BY id`, action); err != nil {
		t.Fatal(err)
	}
	return es
}

// mails lists the outbox's mails as "to: subject", with their bodies.
func (f *fixture) mails(t *testing.T) (heads []string, bodies []string) {
	t.Helper()
	rows, err := f.st.DB().Query(`SELECT to_email, subject, text_body FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	heads, bodies = []string{}, []string{}
	for rows.Next() {
		var to, subject, body string
		if err := rows.Scan(&to, &subject, &body); err != nil {
			t.Fatal(err)
		}
		heads = append(heads, to+": "+subject)
		bodies = append(bodies, body)
	}
	return heads, bodies
}

// session opens a portal session for the user, as signing in does.
func (f *fixture) session(t *testing.T, userID int64) {
	t.Helper()
	if err := f.st.CreateSession(context.Background(), &store.SessionRow{ID: []byte(rand.Text()), UserID: &userID, Data: []byte("{}"),
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}
