package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAPIBodyLimitPage: staff set an API's request body limit on its
// lifecycle page, in KiB within 1 KiB..64 MiB; the change is audited and
// partners cannot make it.
func TestAPIBodyLimitPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")
	if res := am.postFile("/catalog/import", map[string]string{"slug": "gate", "name": "Gate API"}, []byte(smallSpec)); res.status != http.StatusSeeOther {
		t.Fatalf("import = %d", res.status)
	}
	limit := func() string {
		res := am.get("/catalog/gate/revisions")
		return text(res, "[data-testid=api-body-limit]") + " / " + res.doc.Find("#max_body_kib").AttrOr("value", "")
	}
	if got, want := limit(), "1 MiB / 1024"; got != want {
		t.Errorf("new API's limit = %q, want %q", got, want)
	}
	res := am.post("/catalog/gate/body-limit", url.Values{"max_body_kib": {"256"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("set limit = %d", res.status)
	}
	if got, want := limit(), "256 KiB / 256"; got != want {
		t.Errorf("limit after change = %q, want %q", got, want)
	}
	var raw []byte
	if err := p.store.DB().Get(&raw, `SELECT details FROM audit_events WHERE action = 'api.body_limit' AND target = 'Gate API'`); err != nil {
		t.Fatalf("audit event: %v", err)
	}
	var details map[string]any
	_ = json.Unmarshal(raw, &details)
	if diff := cmp.Diff(map[string]any{"from": float64(1 << 20), "to": float64(256 << 10)}, details); diff != "" {
		t.Errorf("audit details (-want +got):\n%s", diff)
	}

	for _, in := range []string{"0", "65537", "-4", "-18014398509480960", "1.5", "lots", "", "99999999999999999999"} {
		t.Run(in, func(t *testing.T) {
			res := am.post("/catalog/gate/body-limit", url.Values{"max_body_kib": {in}})
			if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=body-limit-error]") == "" {
				t.Errorf("%q = %d, error %q; want 422 with a message", in, res.status, text(res, "[data-testid=body-limit-error]"))
			}
			if got := res.doc.Find("#max_body_kib").AttrOr("value", ""); got != in {
				t.Errorf("the form lost what was typed: %q", got)
			}
		})
	}
	if got, want := limit(), "256 KiB / 256"; got != want {
		t.Errorf("limit after refused changes = %q, want %q", got, want)
	}

	partner := signedInAs(t, p, "admin@harbor.test")
	if res := partner.post("/catalog/gate/body-limit", url.Values{"max_body_kib": {"65536"}}); res.status < 400 {
		t.Errorf("a partner admin setting the limit = %d, want refused", res.status)
	}
	if got, want := limit(), "256 KiB / 256"; got != want {
		t.Errorf("limit after a partner's try = %q, want %q", got, want)
	}
}
