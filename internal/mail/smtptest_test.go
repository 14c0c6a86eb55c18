package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a tiny SMTP server on loopback that records what it receives.
// It speaks EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP
// and QUIT: enough for a real client.
type fakeSMTP struct {
	Addr string
	// ClientTLS trusts the server's certificate.
	ClientTLS *tls.Config

	serverTLS   *tls.Config
	startTLS    bool
	implicitTLS bool
	auth        bool
	hang        bool
	// reply, when set, may replace the success reply of "MAIL", "RCPT" or
	// "DATA" (after the message) with another one, e.g. "550 no such user".
	reply func(stage string) string

	mu       sync.Mutex
	received []receivedMail
}

type receivedMail struct {
	From     string
	To       []string
	Data     string
	TLS      bool
	AuthUser string
	AuthPass string
}

type fakeSMTPOptions struct {
	StartTLS    bool // offer STARTTLS
	ImplicitTLS bool // TLS from the first byte (smtps)
	Auth        bool // offer and require AUTH PLAIN
	Hang        bool // accept connections and never answer
	Reply       func(stage string) string
}

func newFakeSMTP(t *testing.T, o fakeSMTPOptions) *fakeSMTP {
	t.Helper()
	serverTLS, clientTLS := testTLS(t)
	s := &fakeSMTP{ClientTLS: clientTLS, serverTLS: serverTLS, startTLS: o.StartTLS,
		implicitTLS: o.ImplicitTLS, auth: o.Auth, hang: o.Hang, reply: o.Reply}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.ImplicitTLS {
		ln = tls.NewListener(ln, serverTLS)
	}
	s.Addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s
}

// Received returns the mails accepted so far.
func (s *fakeSMTP) Received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.received...)
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if s.hang {
		_, _ = io.Copy(io.Discard, c) // until the client closes
		return
	}
	tp := textproto.NewConn(c)
	isTLS := s.implicitTLS
	var cur receivedMail
	var user, pass string
	reply := func(stage, ok string) {
		if s.reply != nil {
			if r := s.reply(stage); r != "" {
				ok = r
			}
		}
		_ = tp.PrintfLine("%s", ok)
	}
	_ = tp.PrintfLine("220 fake.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"fake.test"}
			if s.startTLS && !isTLS {
				lines = append(lines, "STARTTLS")
			}
			if s.auth {
				lines = append(lines, "AUTH PLAIN")
			}
			lines = append(lines, "8BITMIME")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, l)
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, s.serverTLS)
			if tc.Handshake() != nil {
				return
			}
			c, tp, isTLS = tc, textproto.NewConn(tc), true
			cur = receivedMail{}
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				_ = tp.PrintfLine("504 unsupported mechanism")
				continue
			}
			if initial == "" {
				_ = tp.PrintfLine("334 ")
				if initial, err = tp.ReadLine(); err != nil {
					return
				}
			}
			raw, err := base64.StdEncoding.DecodeString(initial)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 {
				_ = tp.PrintfLine("501 malformed")
				continue
			}
			user, pass = parts[1], parts[2]
			_ = tp.PrintfLine("235 authenticated")
		case "MAIL":
			if s.auth && user == "" {
				_ = tp.PrintfLine("530 authentication required")
				continue
			}
			cur = receivedMail{From: addrArg(arg), TLS: isTLS, AuthUser: user, AuthPass: pass}
			reply("MAIL", "250 ok")
		case "RCPT":
			cur.To = append(cur.To, addrArg(arg))
			reply("RCPT", "250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with <CRLF>.<CRLF>")
			data, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			cur.Data = string(data)
			accepted := s.reply == nil || s.reply("DATA") == ""
			if accepted {
				s.mu.Lock()
				s.received = append(s.received, cur)
				s.mu.Unlock()
			}
			reply("DATA", "250 queued")
		case "RSET":
			cur = receivedMail{}
			_ = tp.PrintfLine("250 ok")
		case "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 not implemented")
		}
	}
}

// addrArg takes the address out of "FROM:<a@b> PARAM=x".
func addrArg(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// testTLS makes a self-signed certificate for 127.0.0.1: the server's
// config, and a client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}
