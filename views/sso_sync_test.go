package views

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestSSOSyncPanel: the panel says when the provider cannot be synced
// (no refresh tokens, or unknown just now) and offers the button only to
// those who may press it.
func TestSSOSyncPanel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		m                        SSOSyncPanel
		offlineNote, unknownNote bool
		button                   bool
		last                     string
	}{
		{"offline, never synced", SSOSyncPanel{Provider: "Harbor ID", Offline: true, CanSync: true}, false, false, true, "Never synced yet."},
		{"no refresh tokens", SSOSyncPanel{Provider: "Harbor ID", CanSync: true, LastSync: "5 Dec 2026, 15:00 UTC"}, true, false, true, "Last synced 5 Dec 2026, 15:00 UTC."},
		{"provider unreachable just now", SSOSyncPanel{Provider: "Harbor ID", OfflineUnknown: true, CanSync: true}, false, true, true, "Never synced yet."},
		{"read only", SSOSyncPanel{Provider: "Harbor ID", Offline: true}, false, false, false, "Never synced yet."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := SSOSync(tc.m).Render(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			note := doc.Find("[data-testid=sso-sync-offline]")
			if got := note.Length() == 1; got != tc.offlineNote {
				t.Errorf("offline-access note shown: %v, want %v", got, tc.offlineNote)
			} else if got && !strings.Contains(note.Text(), "Sync needs offline access") {
				t.Errorf("offline-access note: %q", note.Text())
			}
			if got := doc.Find("[data-testid=sso-sync-unknown]").Length() == 1; got != tc.unknownNote {
				t.Errorf("unknown note shown: %v, want %v", got, tc.unknownNote)
			}
			if got := doc.Find("form[method=post][action='/sso/sync'] button").Length() == 1; got != tc.button {
				t.Errorf("button shown: %v, want %v", got, tc.button)
			}
			if got := strings.Join(strings.Fields(doc.Find("[data-testid=sso-last-sync]").Text()), " "); got != tc.last {
				t.Errorf("last sync: %q, want %q", got, tc.last)
			}
		})
	}
}
