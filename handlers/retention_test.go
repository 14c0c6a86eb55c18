package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/retention"
)

func retentionValues(pg page) []string {
	return []string{
		pg.doc.Find("input[name=calls_retention_days]").AttrOr("value", "?"),
		pg.doc.Find("input[name=rollups_retention_days]").AttrOr("value", "?"),
	}
}

func TestRetentionSettings(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	save := func(calls, rollups string) url.Values {
		return url.Values{"calls_retention_days": {calls}, "rollups_retention_days": {rollups}}
	}
	for _, who := range []string{"am@portico.test", "admin@harbor.test", "dev@harbor.test"} {
		if res := signedInAs(t, p, who).post("/settings/retention", save("30", "60")); res.status != http.StatusForbidden {
			t.Errorf("%s POST /settings/retention = %d, want 403", who, res.status)
		}
	}
	admin := signedInAs(t, p, "admin@portico.test")
	pg := admin.get("/settings")
	if diff := cmp.Diff([]string{"400", "800"}, retentionValues(pg)); pg.status != http.StatusOK || diff != "" {
		t.Fatalf("GET /settings = %d, retention (-want +got):\n%s", pg.status, diff)
	}
	if got := text(pg, "[data-testid=retention-last-run]"); !strings.Contains(got, "has not run yet") || !strings.Contains(got, "portico retention run") {
		t.Errorf("before any run: %q", got)
	}

	for _, tc := range []struct {
		calls, rollups, field, want string
	}{
		{"6", "800", "calls-retention-error", "7 to 3650"},
		{"3651", "8000", "calls-retention-error", "7 to 3650"},
		{"a year", "800", "calls-retention-error", "7 to 3650"},
		{"", "800", "calls-retention-error", "7 to 3650"},
		{"400", "7301", "rollups-retention-error", "7 to 7300"},
		{"400", "1.5", "rollups-retention-error", "7 to 7300"},
		{"400", "399", "rollups-retention-error", "400 days or more"},
	} {
		t.Run(tc.calls+"/"+tc.rollups, func(t *testing.T) {
			res := admin.post("/settings/retention", save(tc.calls, tc.rollups))
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid="+tc.field+"]"), tc.want) {
				t.Errorf("= %d, %s %q; want 422 saying %q", res.status, tc.field, text(res, "[data-testid="+tc.field+"]"), tc.want)
			}
			if diff := cmp.Diff([]string{tc.calls, tc.rollups}, retentionValues(res)); diff != "" {
				t.Errorf("input not kept (-want +got):\n%s", diff)
			}
			// The other form shows the saved lifetime, not an error.
			if res.doc.Find("[data-testid=max-days-error]").Length() != 0 || res.doc.Find("input[name=token_max_days]").AttrOr("value", "") != "365" {
				t.Error("token lifetime form disturbed")
			}
		})
	}
	if diff := cmp.Diff([]string{"400", "800"}, retentionValues(admin.get("/settings"))); diff != "" {
		t.Errorf("refused values saved (-want +got):\n%s", diff)
	}

	if res := admin.post("/settings/retention", save("90", "90")); res.status != http.StatusSeeOther {
		t.Fatalf("save 90/90 = %d", res.status)
	}
	saved := admin.get("/settings")
	if diff := cmp.Diff([]string{"90", "90"}, retentionValues(saved)); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	if got := text(saved, "[data-testid=settings-updated]"); !strings.Contains(got, "Pat Admin") {
		t.Errorf("last change = %q, want who made it", got)
	}
	if diff := cmp.Diff([]string{`{"calls_to": 90, "calls_from": 400, "rollups_to": 90, "rollups_from": 800}`},
		p.auditDetails(t, "settings.retention")); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	// A run: the page says when and what it removed; the trail says it.
	ctx := context.Background()
	today, err := p.store.DatabaseToday(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := calls.EnsurePartitions(ctx, p.store.DB(), today.AddDate(0, 0, -95), 3); err != nil {
		t.Fatal(err)
	}
	job := retention.New(p.store, retention.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := job.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	got := text(admin.get("/settings"), "[data-testid=retention-last-run]")
	want := "removed the calls of 3 days (" + today.AddDate(0, 0, -95).Format("2 Jan 2006") + " to " + today.AddDate(0, 0, -93).Format("2 Jan 2006") + ")"
	if !strings.Contains(got, want) || !strings.Contains(got, "0 stray calls") {
		t.Errorf("last run = %q, want %q", got, want)
	}
	trail := admin.get("/audit?kind=settings")
	if body := trail.doc.Find("main").Text(); !strings.Contains(body, "ran retention: dropped 3 day partitions") || !strings.Contains(body, "set call retention to 90 days") {
		t.Errorf("audit trail of settings lacks the retention events:\n%s", body)
	}
}
