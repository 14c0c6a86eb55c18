package webhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/portico/portico/internal/webhook"
)

// TestRotationSignsWithBothSecrets: after a rotation with a grace period,
// deliveries carry two signatures, so receivers still on the old secret
// and those already on the new one both verify them; after the grace
// period only the new secret signs.
func TestRotationSignsWithBothSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHub(t)
	w := newWorld(t, h.srv)
	harbor := w.partnerID(t, "harbor-logistics")
	admin := w.actors["admin@harbor.test"]
	ep, rc := w.endpoint(t, h, "admin@harbor.test", "/rotating", []string{webhook.TeamChanged}, 0)
	old := ep.Secret
	rotated, err := w.endpoints.Rotate(ctx, admin, ep.Endpoint.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	nu := rotated.Secret
	if nu == old {
		t.Fatal("the rotation kept the secret")
	}
	verifies := func(secret string, r received) bool {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(r.Body, r.Header) == nil
	}
	check := func(name string, wantSigs int, wantOld bool) {
		t.Helper()
		w.emit(t, harbor, name)
		if n := w.drain(t); n != 1 {
			t.Fatalf("%s: drained %d", name, n)
		}
		got := rc.got()
		if len(got) == 0 {
			t.Fatalf("%s: the receiver accepted nothing", name)
		}
		r := got[len(got)-1]
		if sigs := strings.Fields(r.Header.Get("webhook-signature")); len(sigs) != wantSigs {
			t.Errorf("%s: %d signatures %q, want %d", name, len(sigs), sigs, wantSigs)
		}
		if !verifies(nu, r) {
			t.Errorf("%s: the new secret does not verify", name)
		}
		if verifies(old, r) != wantOld {
			t.Errorf("%s: the old secret verifies: %v, want %v", name, !wantOld, wantOld)
		}
	}
	// The receiver still verifies with the old secret.
	check("During the grace period", 2, true)
	// The receiver moves to the new one; the grace period ends.
	rc.setSecret(nu)
	w.clock.advance(time.Hour + time.Minute)
	check("After the grace period", 1, false)
	if _, refused := rc.stats(); refused != 0 {
		t.Errorf("refused %d", refused)
	}
}
