package token

import (
	"strings"
	"testing"
)

func TestRedactPath(t *testing.T) {
	t.Parallel()
	sbx := mustNew(t, KindSandbox)
	inv := mustNew(t, KindInvite)
	rst := mustNew(t, KindPasswordReset)
	live := mustNew(t, KindLive)
	eml := mustNew(t, KindEmailChange)
	enc := func(s string) string { // every byte percent-encoded
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[s[i]>>4])+string("0123456789abcdef"[s[i]&15])))
		}
		return b.String()
	}
	tests := []struct{ name, in, want string }{
		{"no token", "/sandbox/fleet/spreaders/7", "/sandbox/fleet/spreaders/7"},
		{"empty", "", ""},
		{"plain percent", "/a%20b/%", "/a%20b/%"},
		{"last segment", "/sandbox/fleet/spreaders/" + sbx, "/sandbox/fleet/spreaders/ptc_sbx_[redacted]"},
		{"middle segment", "/sandbox/fleet/" + sbx + "/spreaders", "/sandbox/fleet/ptc_sbx_[redacted]/spreaders"},
		{"api slug", "/live/" + live + "/x", "/live/ptc_live_[redacted]/x"},
		{"invitation", "/invitations/" + inv, "/invitations/ptc_inv_[redacted]"},
		{"reset", "/reset-password/" + rst, "/reset-password/ptc_rst_[redacted]"},
		{"email change", "/account/email/confirm/" + eml, "/account/email/confirm/ptc_eml_[redacted]"},
		{"two tokens", "/" + sbx + "/" + inv, "/ptc_sbx_[redacted]/ptc_inv_[redacted]"},
		{"suffix kept", "/x/" + sbx + ".json", "/x/ptc_sbx_[redacted].json"},
		{"inside a segment", "/x/key=" + sbx, "/x/key=ptc_sbx_[redacted]"},
		{"unknown kind", "/x/ptc_zz_abcDEF123", "/x/ptc_[redacted]"},
		{"bad checksum", "/x/" + sbx[:len(sbx)-1] + "0", "/x/ptc_sbx_[redacted]"},
		{"prefix encoded", "/x/%70tc_" + sbx[4:], "/x/ptc_sbx_[redacted]"},
		{"all encoded", "/x/" + enc(sbx) + "/y", "/x/ptc_sbx_[redacted]/y"},
		{"double encoded", "/x/%2570tc%255Fsbx_" + sbx[8:], "/x/ptc_sbx_[redacted]"},
		{"encoded slash ends it", "/x/" + sbx + "%2Fy", "/x/ptc_sbx_[redacted]%2Fy"},
		{"lower-case hex", "/x/%70%74%63%5f" + sbx[4:], "/x/ptc_sbx_[redacted]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := RedactPath(tc.in); got != tc.want {
				t.Errorf("RedactPath(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if got, want := InPath(tc.in), tc.in != tc.want; got != want {
				t.Errorf("InPath(%q) = %v, want %v", tc.in, got, want)
			}
		})
	}
}

func TestRedactPathDoesNotAllocateWithoutToken(t *testing.T) {
	for _, p := range []string{"/sandbox/fleet/spreaders/SP-0042", "/live/maintenance/work-orders?x=1", "/a%20b/c"} {
		if n := testing.AllocsPerRun(100, func() { _ = RedactPath(p); _ = InPath(p) }); n != 0 {
			t.Errorf("RedactPath(%q) allocates %.0f times, want 0", p, n)
		}
	}
}

func BenchmarkRedactPath(b *testing.B) {
	sbx := mustNew(b, KindSandbox)
	for _, bc := range []struct{ name, path string }{
		{"clean", "/sandbox/fleet/spreaders/SP-0042/status"},
		{"escaped", "/sandbox/fleet/spreaders/SP%200042/status"},
		{"token", "/sandbox/fleet/spreaders/" + sbx},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = RedactPath(bc.path)
			}
		})
	}
}
