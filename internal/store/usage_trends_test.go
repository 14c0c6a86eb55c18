package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestErrorRatesRising: a partner whose failures jumped is listed; one
// that always fails as much, one with too few calls and one that got
// better are not. An account manager's list holds their partners only.
func TestErrorRatesRising(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	now := time.Now().UTC()
	ids := map[string]int64{}
	for _, name := range []string{"Rising", "Steady", "Quiet", "Better", "New", "Suspended"} {
		var id int64
		if err := db.Get(&id, `INSERT INTO partners (name, slug) VALUES ($1, lower($1)) RETURNING id`, name); err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	// Each: calls and errors in the last hours, and a day of the week
	// before (three days ago) with its calls and errors.
	for _, r := range []struct {
		name                           string
		calls, errors, bcalls, berrors int64
	}{
		{"Rising", 200, 40, 1000, 20},    // 20 % after 2 %
		{"Steady", 200, 40, 1000, 200},   // 20 % after 20 %
		{"Quiet", 50, 40, 1000, 0},       // too few calls to say
		{"Better", 200, 2, 1000, 200},    // 1 % after 20 %
		{"New", 150, 15, 0, 0},           // 10 % with nothing before
		{"Suspended", 200, 200, 1000, 0}, // refused for being suspended
	} {
		for _, q := range []struct {
			sql string
			at  time.Time
			n   int64
			e   int64
		}{
			{`INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
				b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
				VALUES (date_trunc('hour', $1::timestamptz), $2, 1, 'fleet', 'op', 'live', $3, $4, 0, 0, 0, 0, 0, $3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`,
				now.Add(-2 * time.Hour), r.calls, r.errors},
			{`INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
				b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
				VALUES (date_trunc('day', $1::timestamptz, 'UTC'), $2, 'fleet', 'live', $3, 0, $4, 0, 0, 0, 0, $3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`,
				now.AddDate(0, 0, -3), r.bcalls, r.berrors},
		} {
			if q.n == 0 {
				continue
			}
			if _, err := db.Exec(q.sql, q.at, ids[r.name], q.n, q.e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.Exec(`UPDATE partners SET status = 'suspended' WHERE id = $1`, ids["Suspended"]); err != nil {
		t.Fatal(err)
	}
	got, err := st.ErrorRatesRising(ctx, now, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ErrorTrend{
		{PartnerID: ids["Rising"], Name: "Rising", Calls: 200, Errors: 40, BaseCalls: 1000, BaseErrors: 20},
		{PartnerID: ids["New"], Name: "New", Calls: 150, Errors: 15},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rising (-want +got):\n%s", diff)
	}
	// An account manager of New (and Steady) sees New alone; one of no
	// partner sees none.
	var am, none int64
	if err := db.Get(&am, `INSERT INTO users (email, name, role) VALUES ('am@x.test', 'AM', 'account_manager') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&none, `INSERT INTO users (email, name, role) VALUES ('none@x.test', 'None', 'account_manager') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"New", "Steady"} {
		if _, err := st.AssignManager(ctx, ids[name], am, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got, err = st.ErrorRatesRising(ctx, now, am, 10); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:], got); diff != "" {
		t.Errorf("rising for an account manager of New (-want +got):\n%s", diff)
	}
	if got, err = st.ErrorRatesRising(ctx, now, none, 10); err != nil || len(got) != 0 {
		t.Errorf("rising for an account manager of none = %v, %v", got, err)
	}
}
