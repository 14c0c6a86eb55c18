// Package handlers is Portico's HTTP surface for people: the portal pages,
// plus the operational endpoints. Handlers parse, ask the policy, call the
// domain and render; errors they return become responses in handleError.
package handlers

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/alerts"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/hygiene"
	"github.com/portico/portico/internal/leak"
	"github.com/portico/portico/internal/lifecycle"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/oauth"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/session"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/views"
)

// Config is what the handlers need to know of the deployment.
type Config struct {
	// Version is shown in the footer and /healthz.
	Version string
	// SecureCookies is true when the portal is served over https.
	SecureCookies bool
	// Secret keys the session ids.
	Secret []byte
	// Demo shows the demo accounts on the sign-in page (`portico dev`).
	Demo bool
	// BaseURL is the portal's public URL, for links in mails.
	BaseURL string
	// MailTransport describes where mails go, for the Outbox page.
	MailTransport string
	// MailDelivered is true when mails are delivered (SMTP): the Outbox
	// page then hides the secrets of links, which the sender also removes
	// from a mail once sent. False: the Outbox page is where mails are
	// read, links included.
	MailDelivered bool
	// TrustedProxies may set X-Forwarded-For; nobody else can say which
	// address a request comes from.
	TrustedProxies []*net.IPNet
	// LeakKeys accept signed leaked-token reports from secret scanners;
	// nil, POST /security/leaked-tokens answers 404.
	LeakKeys *leak.Keys
	// GatewayURL is the public URL of the gateway's own listener
	// (PORTICO_GATEWAY_URL): the pages give it for /sandbox, /live and
	// /oauth calls. Empty: BaseURL, whose listener serves them too.
	GatewayURL string
	// WebhookAllowPrivate lets webhook endpoints be registered at
	// addresses inside the network (PORTICO_WEBHOOK_ALLOW_PRIVATE).
	WebhookAllowPrivate bool
}

// Kicker wakes the mail sender so a queued mail goes out at once.
type Kicker interface{ Kick() }

// Deps are the handlers' dependencies, built in main.
type Deps struct {
	Log    *slog.Logger
	DB     *sqlx.DB
	Outbox *mail.Outbox
	Mailer Kicker
	// Verifier checks bearer tokens; main runs its listener and flusher.
	// Nil (in tests) means one that caches nothing.
	Verifier *credential.Verifier
	// Limiter, Quota and Recorder are the gateway's rate limits, monthly
	// quotas and call audit; nil leaves that part out (tests of others).
	Limiter  ratelimit.Limiter
	Quota    gateway.Quota
	Recorder gateway.Recorder
	// GatewayMetrics counts gateway calls for the metrics listener; nil
	// when PORTICO_METRICS_ADDR is unset.
	GatewayMetrics gateway.Metrics
	// SSO signs people in through identity providers; nil: one built
	// here, reaching providers through SSOClient (nil: a client with short
	// timeouts; tests pass one trusting their provider's certificate).
	SSO       *sso.Service
	SSOClient *http.Client
	// Webhooks manages webhook endpoints and sends test events and
	// resends through the same sender as the workers; nil: one built here,
	// posting through WebhookClient (nil: webhook.NewClient, refusing
	// addresses inside the network unless Config.WebhookAllowPrivate).
	Webhooks      *endpoints.Service
	WebhookClient *http.Client
}

// Handler holds the dependencies of every handler.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	db    *sqlx.DB
	store *store.Store
	// sessions keeps portal sessions in PostgreSQL.
	sessions *session.Store
	people   *people.Service
	catalog  *catalog.Service
	groups   *catalog.Groups
	hygiene  *hygiene.Service
	pats     *pat.Service
	leaks    *leak.Service
	verifier *credential.Verifier
	mailer   Kicker
	// sandbox is the built-in backend of every API's sandbox; the access
	// page resets a partner's sandbox data through it.
	sandbox *sandbox.Sandbox
	gateway *gateway.Gateway
	// callQueue is the gateway's call audit queue when the recorder is one
	// (the platform admin's home shows its depth); nil otherwise.
	callQueue callQueue
	// readyTimeout bounds the /readyz checks.
	readyTimeout time.Duration
	// csp is the pages' Content-Security-Policy.
	csp string
	// lifecycle ends partnerships and schedules their end.
	lifecycle *lifecycle.Service
	// sso signs people in through identity providers.
	sso *sso.Service
	// webhooks manages webhook endpoints.
	webhooks *endpoints.Service
}

// New builds the portal's echo instance: middleware, every route and the
// error handler.
func New(cfg Config, d Deps) *echo.Echo {
	e, _ := NewWithGateway(cfg, d)
	return e
}

// NewWithGateway is New, also returning the gateway the portal mounts, for
// a listener of its own (gateway.NewEdge) to serve too.
func NewWithGateway(cfg Config, d Deps) (*echo.Echo, *gateway.Gateway) {
	st := store.New(d.DB)
	hasher := token.NewHasher(cfg.Secret)
	verifier := d.Verifier
	if verifier == nil {
		verifier = credential.NewVerifier(st, hasher)
		verifier.TTL = 0
	}
	h := &Handler{
		cfg:          cfg,
		log:          d.Log,
		db:           d.DB,
		store:        st,
		sessions:     session.New(st, cfg.Secret, cfg.SecureCookies),
		people:       people.New(st, hasher, d.Outbox, cfg.BaseURL),
		pats:         pat.New(st, hasher, d.Outbox, cfg.BaseURL),
		leaks:        leak.New(st, hasher, d.Outbox, cfg.BaseURL),
		verifier:     verifier,
		catalog:      catalog.NewService(st),
		groups:       catalog.NewGroups(st),
		mailer:       d.Mailer,
		sandbox:      sandbox.New(st),
		readyTimeout: 2 * time.Second,
	}
	h.csp = contentSecurityPolicy(gatewayOrigin(cfg.GatewayURL))
	h.hygiene = hygiene.New(st, h.catalog, d.Outbox, cfg.BaseURL)
	h.lifecycle = lifecycle.New(st, d.Outbox, cfg.BaseURL)
	h.sso = d.SSO
	if h.sso == nil {
		h.sso = sso.New(st, sso.MustBox(cfg.Secret), d.SSOClient, d.Outbox, cfg.BaseURL)
	}
	h.webhooks = d.Webhooks
	if h.webhooks == nil {
		client := d.WebhookClient
		if client == nil {
			client = webhook.NewClient(cfg.WebhookAllowPrivate, nil)
		}
		box := webhook.MustBox(cfg.Secret)
		h.webhooks = endpoints.New(st, box, webhook.NewSender(st, box, client, d.Outbox, cfg.BaseURL, d.Log), cfg.WebhookAllowPrivate)
	}
	h.gateway = gateway.New(gateway.Deps{Store: st, Catalog: h.catalog, Verifier: verifier, Sandbox: sandboxBackend{h.sandbox},
		Limiter: d.Limiter, Quota: d.Quota, Recorder: d.Recorder, Log: d.Log, Metrics: d.GatewayMetrics,
		OAuth: oauth.New(st, hasher, verifier, cfg.BaseURL, d.Log)})
	h.callQueue, _ = d.Recorder.(callQueue)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	// The gateway's paths skip the portal's middleware: they have their
	// own request ids, errors and audit, and they are the hot path.
	e.Pre(h.machineSurface)
	e.Use(h.requestID, h.accessLog, h.recoverPanic, h.secureHeaders, h.limitBodies, h.crossOriginProtection(), h.checkInput, h.withSession, h.auditSource)
	h.routes(e)
	return e, h.gateway
}

// render writes a templ component through a buffer, so a failed render
// becomes a clean error response rather than half a page.
func (h *Handler) render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return writeHTML(c, status, buf.Bytes())
}

// page builds the frame's model for the current request, taking any
// queued flash messages.
func (h *Handler) page(c echo.Context, title string) views.Page {
	p := views.Page{
		Title:     title,
		Nav:       h.nav(c),
		Flashes:   h.takeFlashes(c),
		Version:   h.cfg.Version,
		RequestID: requestID(c),
	}
	if u := currentUser(c); u != nil {
		p.Viewer = &views.Viewer{Name: u.Name, Email: u.Email, RoleLabel: RoleLabel(u.Role)}
		if partner := currentPartner(c); partner != nil {
			p.Viewer.PartnerName = partner.Name
		}
	}
	return p
}

// nav lists the main navigation for the viewer, marking the current page.
func (h *Handler) nav(c echo.Context) []views.NavItem {
	items := []views.NavItem{{Label: "Home", Href: "/"}}
	u := currentUser(c)
	if u == nil {
		items = append(items, views.NavItem{Label: "Sign in", Href: "/sign-in"})
	} else {
		a := actorOf(u)
		if access.Can(a, access.ViewCatalog, 0) == access.Allow {
			items = append(items, views.NavItem{Label: "APIs", Href: "/apis"})
		}
		if access.Can(a, access.ListPartners, 0) == access.Allow {
			items = append(items, views.NavItem{Label: "Partners", Href: "/partners"})
		}
		if a.PartnerID != 0 && access.Can(a, access.ViewMembers, a.PartnerID) == access.Allow {
			items = append(items, views.NavItem{Label: "Members", Href: "/members"})
		}
		if a.PartnerID != 0 && access.Can(a, access.ViewTeams, a.PartnerID) == access.Allow {
			items = append(items, views.NavItem{Label: "Teams", Href: "/teams"})
		}
		if access.Can(a, access.ManageAccessGroups, 0) == access.Allow {
			items = append(items, views.NavItem{Label: "Access groups", Href: "/access-groups"})
		}
		if a.PartnerID != 0 && access.Can(a, access.ViewGrants, a.PartnerID) == access.Allow {
			items = append(items, views.NavItem{Label: "Access", Href: "/access"})
		}
		if a.PartnerID != 0 && access.Can(a, access.CreateToken, a.PartnerID) == access.Allow {
			items = append(items, views.NavItem{Label: "Tokens", Href: "/tokens"})
		}
		if scope := alerts.Scope(a); (a.Staff() || a.PartnerID != 0) && access.Can(a, access.ViewAlerts, scope) == access.Allow {
			label := "Alerts"
			// One bounded count from the open alerts' index per page; a
			// failure only leaves the count out.
			if n, err := h.store.CountOpenAlerts(c.Request().Context(), scope, a.Book()); err == nil && n > 0 {
				label += " (" + boundedCount(n, store.AlertCountLimit) + ")"
			}
			items = append(items, views.NavItem{Label: label, Href: "/alerts"})
		}
		// A platform admin's bar is full: their webhooks are on Settings,
		// beside the other provider-wide integrations.
		if access.Can(a, access.ManageWebhooks, a.PartnerID) == access.Allow && a.Role != access.RoleAdmin {
			items = append(items, views.NavItem{Label: "Webhooks", Href: "/webhooks"})
		}
		if access.Can(a, access.ViewAudit, 0) == access.Allow || access.Can(a, access.ViewOwnAudit, a.PartnerID) == access.Allow ||
			(a.PartnerID != 0 && access.Can(a, access.ViewAudit, a.PartnerID) == access.Allow) {
			items = append(items, views.NavItem{Label: "Audit", Href: "/audit"})
		}
		if access.Can(a, access.ViewUsage, 0) == access.Allow || access.Can(a, access.ViewOwnUsage, a.PartnerID) == access.Allow {
			items = append(items, views.NavItem{Label: "Usage", Href: "/usage"})
		}
		if access.Can(a, access.ListAccountManagers, 0) == access.Allow {
			items = append(items, views.NavItem{Label: "Staff", Href: "/staff"})
		}
		if access.Can(a, access.ViewOutbox, 0) == access.Allow {
			items = append(items, views.NavItem{Label: "Outbox", Href: "/outbox"})
		}
		if access.Can(a, access.ManagePortalSettings, 0) == access.Allow {
			items = append(items, views.NavItem{Label: "Settings", Href: "/settings"})
		}
	}
	path := c.Request().URL.Path
	for i := range items {
		items[i].Current = items[i].Href == path
	}
	return items
}

// ctxTimeout bounds work a handler does on behalf of one request.
func ctxTimeout(c echo.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), d)
}
