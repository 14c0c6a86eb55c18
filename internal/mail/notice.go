package mail

import (
	"bytes"
	"context"
	"strings"
)

// Notice is a short mail from the portal: a greeting, a few lines, an
// optional link with its label, and a closing line.
type Notice struct {
	ToEmail, ToName, Subject string
	Greeting                 string
	Lines                    []string
	Link, LinkLabel          string
	Closing                  string
}

// Message renders the notice as plain text and simple HTML. A failed HTML
// render (which plain string fields cannot cause) leaves it text-only.
func (n Notice) Message() Message {
	var t strings.Builder
	t.WriteString(n.Greeting + "\n\n")
	for _, l := range n.Lines {
		t.WriteString(l + "\n\n")
	}
	if n.Link != "" {
		t.WriteString(n.LinkLabel + ":\n" + n.Link + "\n\n")
	}
	t.WriteString(n.Closing + "\n")
	var h bytes.Buffer
	if err := noticeHTML(n).Render(context.Background(), &h); err != nil {
		h.Reset()
	}
	return Message{ToEmail: n.ToEmail, ToName: n.ToName, Subject: n.Subject, Text: t.String(), HTML: h.String()}
}
