package credential_test

import (
	"testing"

	"github.com/portico/portico/internal/credential"
)

func TestBearer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   string
		err    error
	}{
		{"none", nil, "", credential.ErrNoCredential},
		{"empty", []string{""}, "", credential.ErrNoCredential},
		{"bearer", []string{"Bearer ptc_sbx_abc"}, "ptc_sbx_abc", nil},
		{"any case", []string{"bEARER ptc_sbx_abc"}, "ptc_sbx_abc", nil},
		{"trailing space", []string{"Bearer ptc_sbx_abc "}, "ptc_sbx_abc", nil},
		{"two headers", []string{"Bearer ptc_sbx_a", "Bearer ptc_sbx_b"}, "", credential.ErrSeveralCredentials},
		{"two in one, comma", []string{"Bearer ptc_sbx_a, Bearer ptc_sbx_b"}, "", credential.ErrNotBearer},
		{"two in one, space", []string{"Bearer ptc_sbx_a ptc_sbx_b"}, "", credential.ErrNotBearer},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "", credential.ErrNotBearer},
		{"scheme only", []string{"Bearer "}, "", credential.ErrNotBearer},
		{"no space", []string{"Bearerptc_sbx_a"}, "", credential.ErrNotBearer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := credential.Bearer(tc.values)
			if got != tc.want || err != tc.err {
				t.Errorf("Bearer(%q) = %q, %v; want %q, %v", tc.values, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestBearerDoesNotAllocate: it runs on every gateway call.
func TestBearerDoesNotAllocate(t *testing.T) {
	values := []string{"Bearer ptc_sbx_abc"}
	if n := testing.AllocsPerRun(100, func() { _, _ = credential.Bearer(values) }); n != 0 {
		t.Errorf("Bearer allocates %v times per call, want 0", n)
	}
}
