package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// recorded is what a test compares of a stored event.
type recorded struct {
	ActorID    *int64
	Actor      string
	PartnerID  *int64
	Action     string
	TargetType string
	TargetID   *int64
	Target     string
	Details    map[string]any
	IP         *string
	RequestID  string
}

func asRecorded(t *testing.T, e store.AuditEvent) recorded {
	t.Helper()
	r := recorded{ActorID: e.ActorID, Actor: e.Actor, PartnerID: e.PartnerID, Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, Target: e.Target, IP: e.IP, RequestID: e.RequestID}
	if err := json.Unmarshal(e.Details, &r.Details); err != nil {
		t.Fatalf("details %s: %v", e.Details, err)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

func TestRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	admin, err := st.UserByEmail(ctx, "admin@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := st.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	pid := *admin.PartnerID

	for _, tc := range []struct {
		name  string
		src   *audit.Source // nil: a context without a source
		event audit.Event
		want  recorded
	}{
		{
			name:  "actor, IP and request id come from the context",
			src:   &audit.Source{ActorID: admin.ID, IP: "203.0.113.7", RequestID: "req-1"},
			event: audit.Event{Action: "team.create", PartnerID: pid, TargetType: "team", TargetID: 42, Target: "Integrations"},
			want: recorded{ActorID: &admin.ID, Actor: "admin@harbor.test", PartnerID: &pid, Action: "team.create", TargetType: "team",
				TargetID: ptr[int64](42), Target: "Integrations", Details: map[string]any{}, IP: ptr("203.0.113.7"), RequestID: "req-1"},
		},
		{
			name:  "the event's actor wins over the context's",
			src:   &audit.Source{IP: "2001:db8::1", RequestID: "req-2"},
			event: audit.Event{Action: "user.sign_in", PartnerID: pid, TargetType: "user", TargetID: dev.ID, Target: dev.Email, ActorID: dev.ID},
			want: recorded{ActorID: &dev.ID, Actor: "dev@harbor.test", PartnerID: &pid, Action: "user.sign_in", TargetType: "user",
				TargetID: &dev.ID, Target: dev.Email, Details: map[string]any{}, IP: ptr("2001:db8::1"), RequestID: "req-2"},
		},
		{
			name:  "details are stored as given",
			src:   &audit.Source{ActorID: admin.ID, IP: "198.51.100.2", RequestID: "req-3"},
			event: audit.Event{Action: "member.role_change", PartnerID: pid, TargetType: "user", TargetID: dev.ID, Target: dev.Email, Details: map[string]any{"from": "developer", "to": "partner_admin"}},
			want: recorded{ActorID: &admin.ID, Actor: "admin@harbor.test", PartnerID: &pid, Action: "member.role_change", TargetType: "user",
				TargetID: &dev.ID, Target: dev.Email, Details: map[string]any{"from": "developer", "to": "partner_admin"}, IP: ptr("198.51.100.2"), RequestID: "req-3"},
		},
		{
			name:  "no source: no actor, no IP, no request id",
			event: audit.Event{Action: "api.import", TargetType: "api", TargetID: 7, Target: "Fleet API"},
			want:  recorded{Action: "api.import", TargetType: "api", TargetID: ptr[int64](7), Target: "Fleet API", Details: map[string]any{}},
		},
		{
			name:  "an address that is not an IP is left out",
			src:   &audit.Source{ActorID: admin.ID, IP: "not-an-ip", RequestID: "req-5"},
			event: audit.Event{Action: "team.delete", PartnerID: pid, TargetType: "team", TargetID: 9, Target: "Old"},
			want: recorded{ActorID: &admin.ID, Actor: "admin@harbor.test", PartnerID: &pid, Action: "team.delete", TargetType: "team",
				TargetID: ptr[int64](9), Target: "Old", Details: map[string]any{}, RequestID: "req-5"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctx
			if tc.src != nil {
				ctx = audit.WithSource(ctx, *tc.src)
			}
			err := st.InTx(ctx, func(tx *store.Store) error { return audit.Record(ctx, tx, tc.event) })
			if err != nil {
				t.Fatal(err)
			}
			es, err := st.ListAuditEvents(ctx, store.AuditFilter{Limit: 1})
			if err != nil || len(es) != 1 {
				t.Fatalf("list = %d events, %v", len(es), err)
			}
			if diff := cmp.Diff(tc.want, asRecorded(t, es[0])); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithActor(t *testing.T) {
	t.Parallel()
	ctx := audit.WithSource(context.Background(), audit.Source{IP: "192.0.2.1", RequestID: "r"})
	got := audit.SourceFrom(audit.WithActor(ctx, 5))
	if diff := cmp.Diff(audit.Source{ActorID: 5, IP: "192.0.2.1", RequestID: "r"}, got); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(audit.Source{}, audit.SourceFrom(context.Background())); diff != "" {
		t.Errorf("empty context's source (-want +got):\n%s", diff)
	}
}

// TestRolledBackChangeLeavesNoEvent: the event shares the fate of its
// transaction.
func TestRolledBackChangeLeavesNoEvent(t *testing.T) {
	t.Parallel()
	ctx := audit.WithSource(context.Background(), audit.Source{IP: "192.0.2.9", RequestID: "rolled-back"})
	st := pgtest.Store(t)
	refused := errors.New("refused after recording")
	err := st.InTx(ctx, func(tx *store.Store) error {
		if err := audit.Record(ctx, tx, audit.Event{Action: "team.create", Target: "Ghost"}); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("InTx = %v, want the refusal", err)
	}
	err = st.InTx(ctx, func(tx *store.Store) error {
		return audit.Record(ctx, tx, audit.Event{Action: "team.create", Target: "Kept"})
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := st.ListAuditEvents(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, e := range es {
		targets = append(targets, e.Target)
	}
	if diff := cmp.Diff([]string{"Kept"}, targets); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
