package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/webhook"
)

// TestWebhookEndpointIsolation: Harbor's endpoint is its partner admins'
// alone. Crane's admin and staff (Harbor's account manager, the platform
// admin) find nothing at its id on any operation (404), and do not list
// it; Harbor's developer is refused (403); nothing reaches the receiver.
func TestWebhookEndpointIsolation(t *testing.T) {
	t.Parallel()
	rc := &hookReceiver{}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	e := newWebhookEnv(t, srv)
	ep := e.createEndpoint(e.signIn("admin@harbor.test"), srv.URL+"/hooks", webhook.TeamChanged)
	rc.setSecret(ep.Secret)
	path := "/api/v1/webhook-endpoints/" + strconv.FormatInt(ep.ID, 10)
	ops := []struct{ method, path, body string }{
		{http.MethodGet, path, ""},
		{http.MethodPatch, path, `{"enabled": false}`},
		{http.MethodPost, path + "/rotate-secret", `{"grace_seconds": 0}`},
		{http.MethodPost, path + "/test", ""},
		{http.MethodGet, path + "/deliveries", ""},
		{http.MethodPost, path + "/deliveries/1/resend", ""},
		{http.MethodDelete, path, ""},
	}
	for _, tc := range []struct {
		who    string
		status int
		code   string
	}{
		{"admin@crane.test", http.StatusNotFound, "not_found"},
		{"am@portico.test", http.StatusNotFound, "not_found"},
		{"admin@portico.test", http.StatusNotFound, "not_found"},
		{"dev@harbor.test", http.StatusForbidden, "forbidden"},
	} {
		cookie := e.signIn(tc.who)
		for _, op := range ops {
			want(t, tc.who+" "+op.method+" "+op.path, e.call(cookie, op.method, op.path, op.body), tc.status, tc.code)
		}
		rec := e.call(cookie, http.MethodGet, "/api/v1/webhook-endpoints", "")
		if tc.status == http.StatusForbidden {
			want(t, tc.who+" lists endpoints", rec, http.StatusForbidden, "forbidden")
		} else if want(t, tc.who+" lists endpoints", rec, http.StatusOK, ""); strings.Contains(rec.Body.String(), srv.URL) {
			t.Errorf("%s lists Harbor's endpoint: %s", tc.who, rec.Body)
		}
	}
	if got, refused := rc.got(); len(got) != 0 || refused != 0 {
		t.Errorf("the receiver got %d deliveries (%d refused), want none", len(got), refused)
	}
	rec := e.call(e.signIn("admin@harbor.test"), http.MethodGet, path, "")
	if got := decodeBody[apiEndpoint](t, rec); !got.Enabled || got.SecretHint != ep.SecretHint {
		t.Errorf("Harbor's endpoint after the others tried = %+v", got)
	}
}

func (ep apiEndpoint) partnerID(t *testing.T) int64 {
	t.Helper()
	if ep.PartnerID == nil {
		t.Fatalf("endpoint %d has no partner", ep.ID)
	}
	return *ep.PartnerID
}

// TestWebhookEndpointValidation: bad input is refused with the field it is
// about, and registers or changes nothing.
func TestWebhookEndpointValidation(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(&hookReceiver{})
	t.Cleanup(srv.Close)
	e := newWebhookEnv(t, srv)
	admin := e.signIn("admin@harbor.test")
	am := e.signIn("am@portico.test")
	ep := e.createEndpoint(admin, srv.URL+"/hooks", webhook.TeamChanged)
	path := "/api/v1/webhook-endpoints/" + strconv.FormatInt(ep.ID, 10)
	crane, err := e.store.PartnerBySlug(t.Context(), "crane-works")
	if err != nil {
		t.Fatal(err)
	}
	// The account manager is Harbor's only.
	amUser, err := e.store.UserByEmail(t.Context(), "am@portico.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UnassignManager(t.Context(), crane.ID, amUser.ID); err != nil {
		t.Fatal(err)
	}
	const list = "/api/v1/webhook-endpoints"
	for _, tc := range []struct {
		what, cookie, method, path, body string
		// off: the body breaks the document on purpose.
		off    bool
		status int
		field  string
	}{
		{"plain http", admin, http.MethodPost, list, `{"url": "http://hooks.example.test/x", "event_types": ["team.changed"]}`, true, 422, "url"},
		{"credentials in the URL", admin, http.MethodPost, list, `{"url": "` + strings.Replace(srv.URL, "https://", "https://u:p@", 1) + `", "event_types": ["team.changed"]}`, false, 422, "url"},
		{"no event type", admin, http.MethodPost, list, `{"url": "` + srv.URL + `", "event_types": []}`, true, 422, "event_types"},
		{"an unknown event type", admin, http.MethodPost, list, `{"url": "` + srv.URL + `", "event_types": ["webhook.test"]}`, true, 422, "event_types"},
		{"a two-line description", admin, http.MethodPost, list, `{"url": "` + srv.URL + `", "description": "a\nb", "event_types": ["team.changed"]}`, true, 422, "description"},
		{"a partner admin naming a partner", admin, http.MethodPost, list, `{"url": "` + srv.URL + `", "event_types": ["team.changed"], "partner_id": ` + strconv.FormatInt(crane.ID, 10) + `}`, false, 422, "partner_id"},
		{"staff naming a partner they do not manage", am, http.MethodPost, list, `{"url": "` + srv.URL + `", "event_types": ["team.changed"], "partner_id": ` + strconv.FormatInt(crane.ID, 10) + `}`, false, 422, "partner_id"},
		{"event_types not an array", admin, http.MethodPost, list, `{"url": "` + srv.URL + `", "event_types": "team.changed"}`, true, 422, "event_types"},
		{"an unknown field", admin, http.MethodPost, list, `{"url": "` + srv.URL + `", "event_types": ["team.changed"], "secret": "whsec_mine"}`, true, 400, ""},
		{"PATCH to http", admin, http.MethodPatch, path, `{"url": "http://hooks.example.test/x"}`, true, 422, "url"},
		{"PATCH moving a partner's endpoint", admin, http.MethodPatch, path, `{"partner_id": ` + strconv.FormatInt(crane.ID, 10) + `}`, false, 422, "partner_id"},
		{"a grace over 7 days", admin, http.MethodPost, path + "/rotate-secret", `{"grace_seconds": 604801}`, true, 422, "grace_seconds"},
		{"a negative grace", admin, http.MethodPost, path + "/rotate-secret", `{"grace_seconds": -1}`, true, 422, "grace_seconds"},
	} {
		var rec *httptest.ResponseRecorder
		if tc.off {
			rec = e.callOff(tc.cookie, tc.method, tc.path, tc.body, "application/json")
		} else {
			rec = e.call(tc.cookie, tc.method, tc.path, tc.body)
		}
		code := "invalid_input"
		if tc.status == http.StatusBadRequest {
			code = "bad_request"
		}
		want(t, tc.what, rec, tc.status, code)
		if msg := decodeBody[apiError](t, rec).Error.Message; tc.field != "" && !strings.HasPrefix(msg, tc.field+": ") {
			t.Errorf("%s: message %q does not start with %s", tc.what, msg, tc.field)
		}
	}
	// Staff choose the partner, and may widen it to every one again.
	rec := e.call(am, http.MethodPost, list, `{"url": "`+srv.URL+`/staff", "event_types": ["partner.ended"], "partner_id": `+strconv.FormatInt(ep.partnerID(t), 10)+`}`)
	want(t, "staff register for Harbor", rec, http.StatusCreated, "")
	staff := decodeBody[apiEndpoint](t, rec)
	if staff.PartnerID == nil || *staff.PartnerID != ep.partnerID(t) {
		t.Errorf("staff endpoint = %+v, want Harbor's events", staff)
	}
	rec = e.call(am, http.MethodPatch, "/api/v1/webhook-endpoints/"+strconv.FormatInt(staff.ID, 10), `{"partner_id": null}`)
	if want(t, "staff widen", rec, http.StatusOK, ""); decodeBody[apiEndpoint](t, rec).PartnerID != nil {
		t.Errorf("after partner_id null: %s", rec.Body)
	}
	rec = e.call(admin, http.MethodGet, list, "")
	if got := decodeBody[struct{ Items []apiEndpoint }](t, rec); len(got.Items) != 1 || got.Items[0].URL != ep.URL || got.Items[0].SecretHint != ep.SecretHint {
		t.Errorf("after the refusals: %+v, want only the first endpoint unchanged", got.Items)
	}
}
