package mail

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testFrom = "Portico <portal@portico.test>"

// smtpTransport returns a transport to the fake server that trusts its
// certificate.
func smtpTransport(t *testing.T, srv *fakeSMTP, rawURL string) *SMTPTransport {
	t.Helper()
	tr, err := NewSMTPTransport(rawURL, testFrom)
	if err != nil {
		t.Fatalf("NewSMTPTransport(%q): %v", rawURL, err)
	}
	tr.tlsConfig = srv.ClientTLS
	tr.timeout = 5 * time.Second
	return tr
}

// parsedMail is a received mail's headers and its parts by media type.
type parsedMail struct {
	Subject   string
	To        *netmail.Address
	MessageID string
	Parts     map[string]string
}

func parseMail(t *testing.T, data string) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("received mail does not parse: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject header: %v", err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To header %q: %v", msg.Header.Get("To"), err)
	}
	p := parsedMail{Subject: subject, To: to[0], MessageID: msg.Header.Get("Message-Id"), Parts: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, _ := io.ReadAll(msg.Body)
		p.Parts[mt] = strings.TrimSuffix(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") // DATA ends with a line break
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		body, _ := io.ReadAll(part)
		p.Parts[pt] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	return p
}

func TestSMTPTransportDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		server   fakeSMTPOptions
		userinfo string
		scheme   string
		wantTLS  bool
		wantUser string
		wantPass string
	}{
		{name: "no credentials, no STARTTLS offered: plain, no auth", scheme: "smtp"},
		{name: "no credentials, STARTTLS offered: upgraded, no auth", server: fakeSMTPOptions{StartTLS: true}, scheme: "smtp", wantTLS: true},
		{name: "credentials over STARTTLS", server: fakeSMTPOptions{StartTLS: true, Auth: true}, scheme: "smtp",
			userinfo: "ann%40example.com:p%3Ass%20word@", wantTLS: true, wantUser: "ann@example.com", wantPass: "p:ss word"},
		{name: "credentials over smtps", server: fakeSMTPOptions{ImplicitTLS: true, Auth: true}, scheme: "smtps",
			userinfo: "relay:secret@", wantTLS: true, wantUser: "relay", wantPass: "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeSMTP(t, tt.server)
			tr := smtpTransport(t, srv, tt.scheme+"://"+tt.userinfo+srv.Addr)
			m := Message{
				ToEmail: "bob@partner.test", ToName: "Bob Doe, Jr.", Subject: "Willkommen — join Portico",
				Text: "Hello Bob,\naccept: https://portal.test/invitations/ptc_inv_x\n", HTML: "<p>Hello <b>Bob</b></p>", Key: "7.123",
			}
			if err := tr.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Received()
			if len(got) != 1 {
				t.Fatalf("server received %d mails, want 1", len(got))
			}
			r := got[0]
			if r.From != "portal@portico.test" || !cmp.Equal(r.To, []string{"bob@partner.test"}) {
				t.Errorf("envelope from %q to %v, want portal@portico.test to [bob@partner.test]", r.From, r.To)
			}
			if r.TLS != tt.wantTLS || r.AuthUser != tt.wantUser || r.AuthPass != tt.wantPass {
				t.Errorf("tls=%v auth=%q/%q, want tls=%v auth=%q/%q", r.TLS, r.AuthUser, r.AuthPass, tt.wantTLS, tt.wantUser, tt.wantPass)
			}
			p := parseMail(t, r.Data)
			want := parsedMail{
				Subject:   m.Subject,
				To:        &netmail.Address{Name: m.ToName, Address: m.ToEmail},
				MessageID: "<portico.7.123@portico.test>",
				Parts:     map[string]string{"text/plain": m.Text, "text/html": m.HTML},
			}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("received mail (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSMTPTransportWithoutHTMLSendsPlainText(t *testing.T) {
	t.Parallel()
	srv := newFakeSMTP(t, fakeSMTPOptions{})
	tr := smtpTransport(t, srv, "smtp://"+srv.Addr)
	if err := tr.Send(context.Background(), Message{ToEmail: "a@b.test", Subject: "s", Text: "only text"}); err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, srv.Received()[0].Data)
	if diff := cmp.Diff(map[string]string{"text/plain": "only text"}, p.Parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
}

func TestSMTPTransportNeverSendsPasswordInClear(t *testing.T) {
	t.Parallel()
	srv := newFakeSMTP(t, fakeSMTPOptions{Auth: true}) // AUTH PLAIN offered, no STARTTLS
	tr := smtpTransport(t, srv, "smtp://relay:secret@"+srv.Addr)
	err := tr.Send(context.Background(), Message{ToEmail: "a@b.test", Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("Send with credentials over a connection without TLS: want an error, got nil")
	}
	if IsPermanent(err) {
		t.Errorf("a relay or settings problem must be retried, got a permanent error: %v", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Errorf("server received %d mails, want 0", n)
	}
}

func TestSMTPTransportClassifiesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage, reply  string
		wantPermanent bool
	}{
		{"RCPT", "550 5.1.1 no such user", true},
		{"RCPT", "451 4.3.0 try again later", false},
		{"DATA", "554 5.7.1 message rejected", true},
		{"DATA", "452 4.3.1 insufficient storage", false},
		{"MAIL", "553 5.7.1 sender not allowed", false}, // our settings, not this mail
	}
	for _, tt := range tests {
		t.Run(tt.stage+" "+tt.reply, func(t *testing.T) {
			t.Parallel()
			srv := newFakeSMTP(t, fakeSMTPOptions{Reply: func(stage string) string {
				if stage == tt.stage {
					return tt.reply
				}
				return ""
			}})
			tr := smtpTransport(t, srv, "smtp://"+srv.Addr)
			err := tr.Send(context.Background(), Message{ToEmail: "a@b.test", Subject: "s", Text: "t"})
			if err == nil {
				t.Fatal("Send: want an error, got nil")
			}
			if IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tt.wantPermanent)
			}
		})
	}
	t.Run("relay hangs: the context bounds the send", func(t *testing.T) {
		t.Parallel()
		srv := newFakeSMTP(t, fakeSMTPOptions{Hang: true})
		tr := smtpTransport(t, srv, "smtp://"+srv.Addr)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := tr.Send(ctx, Message{ToEmail: "a@b.test", Subject: "s", Text: "t"})
		if err == nil || IsPermanent(err) {
			t.Errorf("Send to a hanging relay = %v, want a temporary error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Send took %v, want it cut off at the context's 100ms", d)
		}
	})
	t.Run("relay unreachable", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		tr, err := NewSMTPTransport("smtp://"+addr, testFrom)
		if err != nil {
			t.Fatal(err)
		}
		err = tr.Send(context.Background(), Message{ToEmail: "a@b.test", Subject: "s", Text: "t"})
		if err == nil || IsPermanent(err) {
			t.Errorf("Send to a closed port = %v, want a temporary error", err)
		}
	})
}

func TestNewSMTPTransport(t *testing.T) {
	t.Parallel()
	type parsed struct {
		Host        string
		Port        int
		ImplicitTLS bool
		User, Pass  string
		From        string
		String      string
	}
	tests := []struct {
		url, from string
		want      parsed
	}{
		{"smtp://mail.example.com", "portal@example.com",
			parsed{"mail.example.com", 587, false, "", "", "<portal@example.com>", "smtp://mail.example.com:587"}},
		{"smtps://u:p%40ss@mail.example.com", "Portico <portal@example.com>",
			parsed{"mail.example.com", 465, true, "u", "p@ss", `"Portico" <portal@example.com>`, "smtps://u@mail.example.com:465"}},
		{"smtp://mail.example.com:25?from=Portal%20%3Cp%40example.com%3E", "",
			parsed{"mail.example.com", 25, false, "", "", `"Portal" <p@example.com>`, "smtp://mail.example.com:25"}},
		{"smtp://apikey:k@[::1]:2525", "a@b.test",
			parsed{"::1", 2525, false, "apikey", "k", "<a@b.test>", "smtp://apikey@[::1]:2525"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			tr, err := NewSMTPTransport(tt.url, tt.from)
			if err != nil {
				t.Fatalf("NewSMTPTransport: %v", err)
			}
			got := parsed{tr.host, tr.port, tr.implicitTLS, tr.user, tr.pass, tr.from.String(), tr.String()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	bad := []struct{ url, from string }{
		{"http://mail.example.com", "a@b.test"},
		{"smtp://", "a@b.test"},
		{"smtp://mail.example.com:99999", "a@b.test"},
		{"smtp://u:secret@mail.example.com:nope", "a@b.test"},
		{"smtp://mail.example.com/x", "a@b.test"},
		{"smtp://mail.example.com?tls=off", "a@b.test"},
		{"smtp://mail.example.com", ""},
		{"smtp://mail.example.com", "not an address"},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.url+" from "+tt.from, func(t *testing.T) {
			t.Parallel()
			_, err := NewSMTPTransport(tt.url, tt.from)
			if err == nil {
				t.Fatal("want an error, got nil")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}
