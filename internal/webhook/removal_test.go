package webhook_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// TestRemovingAMemberRevokesTheirCredentialsAloud: a member removed loses
// their tokens and OAuth clients in the same transaction; subscribers to
// token.revoked and oauth_client.revoked hear of each open one (and of
// the removal), not of one revoked before.
func TestRemovingAMemberRevokesTheirCredentialsAloud(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHub(t)
	w := newWorld(t, h.srv)
	if err := demo.SeedCatalog(ctx, w.store); err != nil {
		t.Fatal(err)
	}
	svc := w.services()
	harbor := w.partnerID(t, "harbor-logistics")
	if err := w.store.SetDeveloperClients(ctx, harbor, true); err != nil {
		t.Fatal(err)
	}
	dev, asDev := w.actors["dev@harbor.test"], w.as("dev@harbor.test")
	in := pat.Input{Name: "Laptop", Environment: store.EnvSandbox, Days: 30, Scopes: []string{"fleet/fleet:read"}}
	laptop, err := svc.pats.Create(asDev, dev, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Name = "Old"
	old, err := svc.pats.Create(asDev, dev, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.pats.Revoke(asDev, dev, old.Token.ID); err != nil {
		t.Fatal(err)
	}
	in.Name = "Sync"
	client, err := svc.pats.CreateClient(asDev, dev, pat.ClientInput{Input: in})
	if err != nil {
		t.Fatal(err)
	}
	_, rc := w.endpoint(t, h, "admin@harbor.test", "/h", []string{webhook.MemberRemoved, webhook.TokenRevoked, webhook.OAuthClientRevoked}, 0)
	if _, err := svc.people.Remove(w.as("admin@harbor.test"), harbor, dev.UserID); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	type got struct{ Type, Name, Hint, Reason, Status, Actor string }
	var gots []got
	for _, r := range rc.got() {
		s := func(path string) string { v, _ := at(r.Payload, path).(string); return v }
		gots = append(gots, got{r.Type, s("data.credential.name"), s("data.credential.hint"), s("data.reason"), s("data.credential.status"), s("data.actor.email")})
	}
	want := []got{
		{webhook.TokenRevoked, "Laptop", laptop.Token.Hint, "owner removed from the partner", "revoked", "admin@harbor.test"},
		{webhook.OAuthClientRevoked, "Sync", client.Token.Hint, "owner removed from the partner", "revoked", "admin@harbor.test"},
		{webhook.MemberRemoved, "", "", "", "", "admin@harbor.test"},
	}
	if d := cmp.Diff(want, gots); d != "" {
		t.Errorf("received (-want +got):\n%s", d)
	}
}
