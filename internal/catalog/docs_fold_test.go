package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFold takes the description's own sections on authentication,
// environments and errors out of it, so the page says each once.
func TestFold(t *testing.T) {
	t.Parallel()
	desc := ParseProse("Intro.\n\n## Environments\n\n| a | b |\n|---|---|\n| c | d |\n\nOne environment a token.\n\n" +
		"## Authentication\n\nBearer tokens.\n\n### Machines\n\nOAuth.\n\n## Pagination\n\nCursors.\n\n" +
		"## Errors\n\nOne shape.\n\n```json\n{}\n```\n\n## Rate limits\n\nPer partner.")
	rest, notes := Fold(desc)
	texts := func(p Prose) []string {
		var out []string
		for _, b := range p {
			out = append(out, b.Kind+" "+Prose{b}.Plain())
		}
		return out
	}
	for _, tc := range []struct {
		name string
		got  Prose
		want []string
	}{
		{"rest", rest, []string{"p Intro.", "h Pagination", "p Cursors.", "h Rate limits", "p Per partner."}},
		{"authentication", notes.Authentication, []string{"p Bearer tokens.", "h Machines", "p OAuth."}},
		{"environments (no table)", notes.Environments, []string{"p One environment a token."}},
		{"errors (no code)", notes.Errors, []string{"p One shape."}},
	} {
		if diff := cmp.Diff(tc.want, texts(tc.got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if rest, notes := Fold(ParseProse("Just an intro.")); len(rest) != 1 || notes.Authentication != nil || notes.Errors != nil {
		t.Errorf("a description without sections folds to %v, %+v", rest, notes)
	}
}
