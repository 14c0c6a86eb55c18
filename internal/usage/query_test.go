package usage

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 14, 35, 0, 0, time.UTC)
	for _, tc := range []struct {
		query, param string
		// want is the range's name and buckets, the API and token; bad the
		// parameter refused.
		name    string
		buckets int
		api     string
		token   int64
		bad     string
	}{
		{query: "", param: "token", name: "24h", buckets: 24},
		{query: "range=7d&from=2026-01-01&to=2026-01-02", param: "token", name: "7d", buckets: 7},
		{query: "range=custom&from=2026-03-01&to=2026-03-10", param: "token", name: "custom", buckets: 10},
		{query: "api=%20fleet%20&token=42", param: "token", name: "24h", buckets: 24, api: "fleet", token: 42},
		{query: "token_id=42&token=7", param: "token_id", name: "24h", buckets: 24, token: 42},
		{query: "range=1y", param: "token", bad: "range"},
		{query: "range=custom&from=2026-03-09", param: "token", bad: "from, to"},
		{query: "token=0", param: "token", bad: "token"},
		{query: "token_id=x", param: "token_id", bad: "token_id"},
		{query: "api=" + strings.Repeat("a", 101), param: "token", bad: "api"},
	} {
		v, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		q, qe := ParseQuery(v, tc.param, now)
		switch {
		case tc.bad != "":
			if qe == nil || qe.Param != tc.bad || qe.Message == "" {
				t.Errorf("ParseQuery(%q) = %+v, %v; want %s refused", tc.query, q, qe, tc.bad)
			}
		case qe != nil || q.Range.Name != tc.name || q.Range.Buckets != tc.buckets || q.API != tc.api || q.Token != tc.token:
			t.Errorf("ParseQuery(%q) = %+v, %v; want %s in %d buckets, api %q, token %d", tc.query, q, qe, tc.name, tc.buckets, tc.api, tc.token)
		}
	}
}
