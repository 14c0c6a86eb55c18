package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPTransport delivers mails to an SMTP relay, one connection per mail.
type SMTPTransport struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	from        *netmail.Address
	timeout     time.Duration
	// tlsConfig replaces the default (system roots, server name = host);
	// tests set it to trust their own certificate.
	tlsConfig *tls.Config
}

// NewSMTPTransport parses an SMTP_URL:
//
//	smtp://user:pass@host:587   STARTTLS when the server offers it (port 587 if omitted)
//	smtps://user:pass@host:465  TLS from the first byte (port 465 if omitted)
//	smtp://host:25              no credentials: no authentication
//
// User and password are URL-encoded. Over a connection that ended up without
// TLS, credentials go only through challenge mechanisms (CRAM-MD5, SCRAM),
// never in clear. from is the sender, "Portico <portal@example.com>" or a
// bare address; when empty, the URL's from query parameter is used
// (smtp://host:587?from=portal@example.com).
func NewSMTPTransport(rawURL, from string) (*SMTPTransport, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("SMTP_URL: not a URL") // the error would repeat the password
	}
	t := &SMTPTransport{host: u.Hostname(), timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
		t.port = gomail.DefaultPortTLS
	case "smtps":
		t.port, t.implicitTLS = gomail.DefaultPortSSL, true
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	if t.host == "" {
		return nil, errors.New("SMTP_URL: no host")
	}
	if p := u.Port(); p != "" {
		if t.port, err = strconv.Atoi(p); err != nil || t.port < 1 || t.port > 65535 {
			return nil, fmt.Errorf("SMTP_URL: invalid port %q", p)
		}
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("SMTP_URL: unexpected path %q", u.Path)
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "from" {
			return nil, fmt.Errorf("SMTP_URL: unknown parameter %q (only from is known)", k)
		}
	}
	if from == "" {
		from = q.Get("from")
	}
	if from == "" {
		return nil, errors.New("SMTP_URL: no sender address: add ?from=portal@example.com")
	}
	if t.from, err = netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail sender %q: %w", from, err)
	}
	return t, nil
}

// String describes the relay without its password, for logs.
func (t *SMTPTransport) String() string {
	scheme := "smtp"
	if t.implicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(t.host, strconv.Itoa(t.port))}
	if t.user != "" {
		u.User = url.User(t.user)
	}
	return u.String()
}

// Send delivers m. Rejections of the recipient or of the message (5xx
// replies to RCPT TO or after DATA) are Permanent; everything else, the
// relay being unreachable or refusing the sender or the credentials
// included, is worth retrying once the relay or the settings are fixed.
func (t *SMTPTransport) Send(ctx context.Context, m Message) error {
	msg, err := t.compose(m)
	if err != nil {
		return Permanent(err)
	}
	// We dial ourselves (TLS included for smtps) so the connection is closed
	// whatever happens (go-mail leaves it open when the greeting, STARTTLS or
	// AUTH fails), and closed when ctx ends, which bounds the whole
	// conversation by ctx (go-mail uses ctx for dialling only).
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	closeConn := func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			_ = conn.Close() // ends the conversation, done or abandoned: a close error changes nothing
		}
	}
	defer closeConn()
	defer context.AfterFunc(ctx, closeConn)()
	opts := []gomail.Option{
		gomail.WithPort(t.port),
		gomail.WithTimeout(t.timeout),
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
		gomail.WithTLSConfig(t.clientTLS()),
		gomail.WithDialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := t.dial(ctx, network, addr)
			mu.Lock()
			conn = c
			mu.Unlock()
			return c, err
		}),
	}
	if t.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(t.user), gomail.WithPassword(t.pass))
	}
	c, err := gomail.NewClient(t.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 &&
			(se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPDataClose) {
			return Permanent(err)
		}
		return err
	}
	return nil
}

// dial connects to the relay, with TLS from the first byte for smtps. With
// smtp, STARTTLS is up to go-mail's opportunistic policy.
func (t *SMTPTransport) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil || !t.implicitTLS {
		return c, err
	}
	tc := tls.Client(c, t.clientTLS())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = c.Close() // the handshake's error is the one to report
		return nil, err
	}
	return tc, nil
}

func (t *SMTPTransport) clientTLS() *tls.Config {
	if t.tlsConfig != nil {
		return t.tlsConfig
	}
	return &tls.Config{ServerName: t.host, MinVersion: tls.VersionTLS12}
}

// compose builds the MIME message: multipart/alternative with the text and
// the HTML when there is HTML, plain text otherwise.
func (t *SMTPTransport) compose(m Message) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(t.from)
	msg.ToMailAddress(&netmail.Address{Name: m.ToName, Address: m.ToEmail})
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.Key != "" {
		domain := t.from.Address[strings.LastIndexByte(t.from.Address, '@')+1:]
		msg.SetMessageIDWithValue("portico." + m.Key + "@" + domain)
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
