package handlers_test

import (
	"net/url"
	"strconv"

	"github.com/portico/portico/internal/store"
)

// benchPath is one request of BenchmarkListPages.
type benchPath struct{ name, user, path string }

// benchPaths are the requests BenchmarkListPages times; the deep pages
// continue after the 5 000th partner and the 50 000th mail.
func benchPaths(harbor int64) []benchPath {
	deepPartners := url.QueryEscape(store.PartnersList.Cursor(store.Key{Sort: "partner 05000", ID: 1 << 62}))
	deepMails := url.QueryEscape(store.OutboxList.Cursor(store.Key{ID: 50000}))
	return []benchPath{
		{"partners", "admin@portico.test", "/partners"},
		{"partners-deep", "admin@portico.test", "/partners?after=" + deepPartners},
		{"partners-search", "admin@portico.test", "/partners?q=partner+09"},
		{"partners-suspended", "admin@portico.test", "/partners?status=suspended"},
		{"staff", "admin@portico.test", "/staff"},
		{"outbox", "admin@portico.test", "/outbox"},
		{"outbox-deep", "admin@portico.test", "/outbox?after=" + deepMails},
		{"apis-staff", "admin@portico.test", "/apis"},
		{"apis-developer", "dev@harbor.test", "/apis"},
		{"revisions", "admin@portico.test", "/catalog/fleet/revisions"},
		{"access-groups", "admin@portico.test", "/access-groups"},
		{"members-invitations", "admin@harbor.test", "/members"},
		{"invitations", "admin@harbor.test", "/members/invitations"},
		{"api-apis-staff", "admin@portico.test", "/api/v1/apis"},
		{"api-apis-developer", "dev@harbor.test", "/api/v1/apis"},
		{"api-revisions", "admin@portico.test", "/api/v1/apis/fleet/revisions"},
		{"api-access-groups", "admin@portico.test", "/api/v1/access-groups"},
		{"api-invitations", "admin@harbor.test", "/api/v1/invitations"},
		{"api-grants", "admin@harbor.test", "/api/v1/grants"},
		{"api-grants-staff", "admin@portico.test", "/api/v1/grants?partner_id=" + strconv.FormatInt(harbor, 10)},
	}
}
