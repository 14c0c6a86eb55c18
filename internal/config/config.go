// Package config holds Portico's settings: read from the environment, with
// command-line flags overriding, checked once at start-up so a bad setting
// stops the process with one line that names it.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MinSecretLen is the shortest PORTICO_SECRET accepted, in bytes.
const MinSecretLen = 32

// Config is every setting of a Portico process.
type Config struct {
	// DatabaseURL is the PostgreSQL connection URL (DATABASE_URL).
	DatabaseURL string
	// Addr is the listen address (PORTICO_ADDR).
	Addr string
	// MetricsAddr is the listen address of the Prometheus metrics
	// (PORTICO_METRICS_ADDR): a listener of its own, never the public
	// one, so /metrics is reachable only where the operator exposes
	// that port. Empty: no metrics.
	MetricsAddr string
	// BaseURL is the address users reach the portal at (PORTICO_BASE_URL);
	// https here makes cookies Secure and __Host- prefixed.
	BaseURL *url.URL
	// Secret keys sessions and token HMACs (PORTICO_SECRET).
	Secret []byte
	// DataDir holds local state: the development secret and database
	// (PORTICO_DATA).
	DataDir string
	// Production refuses development conveniences such as a generated secret
	// (PORTICO_ENV=production).
	Production bool
	// SMTPURL is the mail relay (SMTP_URL: smtp://user:pass@host:587 or
	// smtps://…:465); unset, mails are only shown on the staff Outbox page.
	SMTPURL string
	// MailFrom is the sender address of the portal's mails (PORTICO_MAIL_FROM).
	MailFrom string
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For is believed (PORTICO_TRUSTED_PROXIES, comma-separated
	// CIDRs). Empty, the client address is the TCP peer's: a header cannot
	// dodge the per-IP sign-in throttle or forge the audit trail.
	TrustedProxies []*net.IPNet
	// RedisURL is the Redis that shares rate limits and quotas between
	// nodes (REDIS_URL: redis://[:password@]host:port[/db], rediss:// for
	// TLS, or unix:///path); empty, limits are kept in process.
	RedisURL string
	// RateLimitFailClosed refuses calls with 503 when the rate-limit backend
	// (Redis) cannot be reached (PORTICO_RATELIMIT_FAILURE=closed); the
	// default, open, allows them unchecked and logs the outage.
	RateLimitFailClosed bool
	// RateLimitTimeout bounds each call to Redis
	// (PORTICO_RATELIMIT_TIMEOUT, a duration from 1ms to 10s); past it the
	// failure mode applies, for a second. Zero: ratelimit.DefaultTimeout
	// (50 ms). A node whose CPU is saturated may need more.
	RateLimitTimeout time.Duration
	// LeakKeys is a PEM file of the public keys whose signatures
	// leaked-token reports (POST /security/leaked-tokens) are accepted
	// with (PORTICO_LEAK_KEYS); empty, the endpoint answers 404.
	LeakKeys string
	// GatewayAddr is the listen address of the gateway's own listener
	// (PORTICO_GATEWAY_ADDR), which serves /sandbox, /live, /auth/verify
	// and /oauth with fasthttp; empty, the portal's listener serves them
	// alone. The portal's listener serves them either way.
	GatewayAddr string
	// GatewayURL is the address callers reach that listener at
	// (PORTICO_GATEWAY_URL; by default the portal's scheme and host with
	// the gateway's port); nil without GatewayAddr.
	GatewayURL *url.URL
	// SSOSyncInterval is how often each identity provider that issues
	// refresh tokens is asked about its people
	// (PORTICO_SSO_SYNC_INTERVAL, a duration; default 1h, 0 off).
	SSOSyncInterval time.Duration
	// SSOAllowPrivate lets identity providers live at loopback, private
	// or link-local addresses (PORTICO_SSO_ALLOW_PRIVATE=true), for one run
	// on premises; otherwise such addresses are refused on every
	// connection, after DNS.
	SSOAllowPrivate bool
	// WebhookAllowPrivate lets webhook endpoints live at loopback, private
	// or link-local addresses (PORTICO_WEBHOOK_ALLOW_PRIVATE=true), for
	// receivers on premises; otherwise such addresses are refused when an
	// endpoint is saved and on every connection, after DNS.
	WebhookAllowPrivate bool
	// WebhookWorkers is how many deliveries this node sends side by side
	// (PORTICO_WEBHOOK_WORKERS, 0 to 64; default 4, 0: this node sends
	// none and other nodes do).
	WebhookWorkers int

	ssoSyncInterval  string
	webhookWorkers   string
	trustedProxies   string
	gatewayURL       string
	rateLimitFailure string
	rateLimitTimeout string

	baseURL string
}

// Error is a bad or missing setting.
type Error struct {
	Setting string
	Problem string
}

func (e *Error) Error() string { return e.Setting + ": " + e.Problem }

// FromEnv reads the settings from the environment and registers flags on fs
// that override them. Call Finish after fs.Parse.
func FromEnv(getenv func(string) string, fs *flag.FlagSet) *Config {
	c := &Config{
		DatabaseURL: getenv("DATABASE_URL"),
		Addr:        or(getenv("PORTICO_ADDR"), "127.0.0.1:8080"),
		MetricsAddr: getenv("PORTICO_METRICS_ADDR"),
		DataDir:     or(getenv("PORTICO_DATA"), ".data"),
		baseURL:     getenv("PORTICO_BASE_URL"),
		Production:  getenv("PORTICO_ENV") == "production",
		SMTPURL:     getenv("SMTP_URL"),
		MailFrom:    or(getenv("PORTICO_MAIL_FROM"), "portico@localhost"),
		RedisURL:    getenv("REDIS_URL"),
		LeakKeys:    getenv("PORTICO_LEAK_KEYS"),
		GatewayAddr: getenv("PORTICO_GATEWAY_ADDR"),
		gatewayURL:  getenv("PORTICO_GATEWAY_URL"),

		trustedProxies:   getenv("PORTICO_TRUSTED_PROXIES"),
		rateLimitFailure: getenv("PORTICO_RATELIMIT_FAILURE"),
		rateLimitTimeout: getenv("PORTICO_RATELIMIT_TIMEOUT"),
		ssoSyncInterval:  getenv("PORTICO_SSO_SYNC_INTERVAL"),
		SSOAllowPrivate:  getenv("PORTICO_SSO_ALLOW_PRIVATE") == "true",

		WebhookAllowPrivate: getenv("PORTICO_WEBHOOK_ALLOW_PRIVATE") == "true",
		webhookWorkers:      getenv("PORTICO_WEBHOOK_WORKERS"),
	}
	if s := getenv("PORTICO_SECRET"); s != "" {
		c.Secret = []byte(s)
	}
	if fs != nil {
		fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL connection URL (env DATABASE_URL)")
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (env PORTICO_ADDR)")
		fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "listen address of the Prometheus /metrics, a port apart from the public one (env PORTICO_METRICS_ADDR; unset: no metrics)")
		fs.StringVar(&c.baseURL, "base-url", c.baseURL, "public URL of the portal (env PORTICO_BASE_URL; default http://ADDR)")
		fs.StringVar(&c.DataDir, "data", c.DataDir, "folder for local state (env PORTICO_DATA)")
		fs.StringVar(&c.GatewayAddr, "gateway-addr", c.GatewayAddr, "listen address of the gateway's own listener (env PORTICO_GATEWAY_ADDR; unset: the portal's serves the gateway alone)")
	}
	return c
}

// Finish checks the settings a command needs and fills in derived ones.
// needDB and needHTTP say which groups the command uses.
func (c *Config) Finish(needDB, needHTTP bool) error {
	if c.DataDir == "" {
		return &Error{"PORTICO_DATA", "must not be empty"}
	}
	if needDB {
		if err := checkDatabaseURL(c.DatabaseURL); err != nil {
			return err
		}
	}
	if !needHTTP {
		return nil
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		return &Error{"PORTICO_ADDR", fmt.Sprintf("%q is not a host:port address (example: 127.0.0.1:8080)", c.Addr)}
	}
	if err := c.checkMetricsAddr(); err != nil {
		return err
	}
	if c.baseURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		c.baseURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return &Error{"PORTICO_BASE_URL", fmt.Sprintf("%q is not an absolute http(s) URL such as https://portal.example.com", c.baseURL)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.BaseURL = u
	c.TrustedProxies = nil
	for _, f := range strings.Split(c.trustedProxies, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return &Error{"PORTICO_TRUSTED_PROXIES", fmt.Sprintf("%q is not a CIDR network such as 10.0.0.0/8", f)}
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	if err := c.checkRateLimit(); err != nil {
		return err
	}
	if err := c.finishGateway(); err != nil {
		return err
	}
	if err := c.checkSSOSync(); err != nil {
		return err
	}
	if err := c.checkWebhookWorkers(); err != nil {
		return err
	}
	return c.loadSecret()
}

// checkMetricsAddr checks PORTICO_METRICS_ADDR: a host:port with a port
// (0 picks a free one), other than the public listener's.
func (c *Config) checkMetricsAddr() error {
	if c.MetricsAddr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(c.MetricsAddr)
	if err != nil || port == "" {
		return &Error{"PORTICO_METRICS_ADDR", fmt.Sprintf("%q is not a host:port address (example: 127.0.0.1:9090)", c.MetricsAddr)}
	}
	if c.MetricsAddr == c.Addr {
		return &Error{"PORTICO_METRICS_ADDR", fmt.Sprintf("%q is PORTICO_ADDR: metrics are served on a listener of their own, never the public one", c.MetricsAddr)}
	}
	return nil
}

func checkDatabaseURL(s string) error {
	if s == "" {
		return &Error{"DATABASE_URL", "not set; give a PostgreSQL URL such as postgres://user:pass@host/db (or use `make run`, which starts a local PostgreSQL)"}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// Never echo the value: it may hold a password.
		return &Error{"DATABASE_URL", "not a postgres:// URL"}
	}
	return nil
}

// checkRateLimit checks REDIS_URL and PORTICO_RATELIMIT_FAILURE.
func (c *Config) checkRateLimit() error {
	switch strings.ToLower(strings.TrimSpace(c.rateLimitFailure)) {
	case "", "open":
		c.RateLimitFailClosed = false
	case "closed":
		c.RateLimitFailClosed = true
	default:
		return &Error{"PORTICO_RATELIMIT_FAILURE", fmt.Sprintf("%q is neither open (allow calls when Redis is down, the default) nor closed (refuse them with 503)", c.rateLimitFailure)}
	}
	if s := strings.TrimSpace(c.rateLimitTimeout); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Millisecond || d > 10*time.Second {
			return &Error{"PORTICO_RATELIMIT_TIMEOUT", fmt.Sprintf("%q is not a duration from 1ms to 10s, such as 50ms (the default) or 250ms", c.rateLimitTimeout)}
		}
		c.RateLimitTimeout = d
	}
	if c.RedisURL == "" {
		return nil
	}
	// Never echo the value: it may hold a password.
	const example = "redis://:password@redis.internal:6379/0"
	u, err := url.Parse(c.RedisURL)
	if err != nil {
		return &Error{"REDIS_URL", "not a valid URL; give one such as " + example}
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" || u.Opaque != "" {
			return &Error{"REDIS_URL", "has no host; give one such as " + example}
		}
		if db := strings.Trim(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 {
				return &Error{"REDIS_URL", "the path must be a database number such as /0"}
			}
		}
	case "unix":
		if u.Path == "" {
			return &Error{"REDIS_URL", "a unix:// URL needs a socket path, such as unix:///run/redis/redis.sock"}
		}
	default:
		return &Error{"REDIS_URL", "not a redis://, rediss:// or unix:// URL; give one such as " + example}
	}
	return nil
}

// loadSecret checks PORTICO_SECRET, or outside production generates one
// into the data folder on first start and reuses it afterwards.
func (c *Config) loadSecret() error {
	if len(c.Secret) > 0 {
		if len(c.Secret) < MinSecretLen {
			return &Error{"PORTICO_SECRET", fmt.Sprintf("too short: %d bytes, at least %d needed (generate one with `openssl rand -base64 48`)", len(c.Secret), MinSecretLen)}
		}
		return nil
	}
	if c.Production {
		return &Error{"PORTICO_SECRET", fmt.Sprintf("not set; in production give at least %d random bytes (generate with `openssl rand -base64 48`)", MinSecretLen)}
	}
	path := filepath.Join(c.DataDir, "secret")
	b, err := os.ReadFile(path) // #nosec G304 -- in the data folder the operator set (PORTICO_DATA, -data), never a request's input
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < MinSecretLen {
			return &Error{"PORTICO_SECRET", fmt.Sprintf("the development secret in %s is too short; delete the file to generate a new one", path)}
		}
		c.Secret = []byte(s)
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return &Error{"PORTICO_DATA", fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	raw := make([]byte, 48)
	_, _ = rand.Read(raw)
	s := base64.RawURLEncoding.EncodeToString(raw)
	// Searchable by others, not readable: as root, the project's PostgreSQL
	// runs as the postgres user, who must pass through to its data
	// (pgcluster.ForProject); the secret itself is 0600.
	if err := os.MkdirAll(c.DataDir, 0o711); err != nil { // #nosec G301 -- o+x: the postgres user passes through (see above)
		return &Error{"PORTICO_DATA", fmt.Sprintf("cannot create %s: %v", c.DataDir, err)}
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return &Error{"PORTICO_DATA", fmt.Sprintf("cannot write %s: %v", path, err)}
	}
	c.Secret = []byte(s)
	return nil
}

// SecureCookies reports whether the portal is served over https.
func (c *Config) SecureCookies() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkSSOSync reads PORTICO_SSO_SYNC_INTERVAL: 0 (off) or a duration
// from a minute to a week; unset, an hour.
func (c *Config) checkSSOSync() error {
	s := strings.TrimSpace(c.ssoSyncInterval)
	if s == "" {
		c.SSOSyncInterval = time.Hour
		return nil
	}
	if s == "0" {
		c.SSOSyncInterval = 0
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute || d > 7*24*time.Hour {
		return &Error{"PORTICO_SSO_SYNC_INTERVAL", fmt.Sprintf("%q is neither 0 (off) nor a duration from 1m to 168h, such as 1h (the default) or 15m", c.ssoSyncInterval)}
	}
	c.SSOSyncInterval = d
	return nil
}

// checkWebhookWorkers reads PORTICO_WEBHOOK_WORKERS: 0 to 64, default 4.
func (c *Config) checkWebhookWorkers() error {
	c.WebhookWorkers = 4
	s := strings.TrimSpace(c.webhookWorkers)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 64 {
		return &Error{"PORTICO_WEBHOOK_WORKERS", fmt.Sprintf("%q is not a number from 0 (this node sends no webhooks) to 64", c.webhookWorkers)}
	}
	c.WebhookWorkers = n
	return nil
}
