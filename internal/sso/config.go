package sso

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// Bounds of what configures a provider: the migration's CHECKs, said in
// words before the database would refuse them.
const (
	MaxDisplayName  = 100
	MaxClientID     = 500
	MaxClientSecret = 1000
	MaxDomains      = 20
	MaxDomain       = 253
	MaxGroupsClaim  = 100
	// MaxGroup is the longest mapped group name, in characters (the
	// column's CHECK). At 4 bytes at most each, it stays within
	// MaxGroupBytes, the longest group read from a claim: every name that
	// can be saved can match.
	MaxGroup = 200
	// MaxMappings bounds a provider's group mappings: each sign-in walks
	// them, and a hundred covers any real directory's teams.
	MaxMappings = 100
)

// A mapped group name of MaxGroup characters fits the claim's bound (the
// constant would overflow, and the build fail, otherwise).
const _ = uint(MaxGroupBytes - MaxGroup*utf8.UTFMax)

// RolePartnerAdmin is the one role a group can map to.
const RolePartnerAdmin = access.RolePartnerAdmin

// Errors of configuration the handlers turn into messages.
var (
	// ErrNotAllowed: the actor may not configure this provider (the
	// handlers ask the policy first; this is the domain's own guard).
	ErrNotAllowed = errors.New("not allowed to configure this identity provider")
	// ErrPartnerEnded: an ended partnership keeps its record unchanged.
	ErrPartnerEnded = errors.New("the partnership has ended")
	// ErrNoProvider: the partner has no identity provider to map groups of.
	ErrNoProvider = fmt.Errorf("no identity provider: %w", store.ErrNotFound)
)

// ConfigInput is what configures an identity provider, as a person (page)
// or a script (API) entered it.
type ConfigInput struct {
	DisplayName string
	Issuer      string
	ClientID    string
	// ClientSecret "" keeps the stored one (required on creation).
	ClientSecret string
	Domains      []string
	// GroupsClaim and RequireGroup are ignored for the staff's provider,
	// which maps no groups.
	GroupsClaim  string
	Enforced     bool
	RequireGroup bool
}

// SplitDomains splits what a person typed (commas, spaces or one per
// line) into domains.
func SplitDomains(raw string) []string {
	return strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

var (
	domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
	claimPattern  = regexp.MustCompile(`^[A-Za-z0-9_.:/-]+$`)
)

func field(name, msg string) error { return &apierr.FieldError{Field: name, Message: msg} }

// checkLine trims s and checks it is one line of 1 to max characters.
func checkLine(name, what, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if p := textcheck.Line(s); p != "" {
		return "", field(name, "The "+what+" "+p)
	}
	if s == "" || utf8.RuneCountInString(s) > max {
		return "", field(name, fmt.Sprintf("Enter the %s (up to %d characters).", what, max))
	}
	return s, nil
}

// checkDomains normalises and checks the email domains: lowercase
// hostnames with a dot, each once, 1 to MaxDomains of them.
func checkDomains(raw []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, d := range raw {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" || seen[d] {
			continue
		}
		if len(d) > MaxDomain || !domainPattern.MatchString(d) {
			shown := d
			if utf8.RuneCountInString(shown) > 60 || textcheck.Line(shown) != "" {
				shown = "one of them"
			}
			return nil, field("domains", fmt.Sprintf("“%s” is not an email domain: enter domains such as example.com, without @ or https://.", shown))
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, field("domains", "Enter at least one email domain whose people sign in through this provider, such as example.com.")
	}
	if len(out) > MaxDomains {
		return nil, field("domains", fmt.Sprintf("At most %d domains per provider.", MaxDomains))
	}
	return out, nil
}

// checkInput checks everything but the issuer's discovery, in the form's
// order, and returns the input as it will be stored.
func checkInput(in ConfigInput, staff, creating bool) (ConfigInput, error) {
	var err error
	out := ConfigInput{Enforced: in.Enforced}
	if out.DisplayName, err = checkLine("display_name", "display name", in.DisplayName, MaxDisplayName); err != nil {
		return out, err
	}
	out.Issuer = strings.TrimSpace(in.Issuer)
	if err := CheckIssuerURL(out.Issuer); err != nil {
		return out, field("issuer", err.Error())
	}
	if out.ClientID, err = checkLine("client_id", "client ID", in.ClientID, MaxClientID); err != nil {
		return out, err
	}
	out.ClientSecret = strings.TrimSpace(in.ClientSecret)
	switch {
	case textcheck.Line(out.ClientSecret) != "":
		return out, field("client_secret", "The client secret "+textcheck.Line(out.ClientSecret))
	case utf8.RuneCountInString(out.ClientSecret) > MaxClientSecret:
		return out, field("client_secret", fmt.Sprintf("The client secret is longer than %d characters.", MaxClientSecret))
	case out.ClientSecret == "" && creating:
		return out, field("client_secret", "Enter the client secret the identity provider issued for this client.")
	}
	if out.Domains, err = checkDomains(in.Domains); err != nil {
		return out, err
	}
	if staff {
		return out, nil
	}
	out.GroupsClaim = strings.TrimSpace(in.GroupsClaim)
	if len(out.GroupsClaim) > MaxGroupsClaim || (out.GroupsClaim != "" && !claimPattern.MatchString(out.GroupsClaim)) {
		return out, field("groups_claim", fmt.Sprintf("Enter the claim's name as the provider sends it, such as groups (letters, digits and _ - . : /, up to %d characters), or leave it empty.", MaxGroupsClaim))
	}
	out.RequireGroup = in.RequireGroup
	if out.RequireGroup && out.GroupsClaim == "" {
		return out, field("require_group", "Requiring a mapped group needs the groups claim: name the claim the provider lists groups in.")
	}
	return out, nil
}

// providerEvent is the audit event of a change to provider p.
func providerEvent(action string, p *store.IdentityProvider, details map[string]any) audit.Event {
	e := audit.Event{Action: action, TargetType: "identity_provider", TargetID: p.ID, Target: p.DisplayName, Details: details}
	if p.PartnerID != nil {
		e.PartnerID = *p.PartnerID
	}
	return e
}

// current returns the partner's (or, nil, the staff's) provider, nil when
// none is configured.
func current(ctx context.Context, st *store.Store, partnerID *int64) (*store.IdentityProvider, error) {
	var p *store.IdentityProvider
	var err error
	if partnerID == nil {
		p, err = st.StaffIdentityProvider(ctx)
	} else {
		p, err = st.PartnerIdentityProvider(ctx, *partnerID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// Current is the partner's (partnerID nil: the staff's) provider, nil
// when none is configured.
func (s *Service) Current(ctx context.Context, partnerID *int64) (*store.IdentityProvider, error) {
	return current(ctx, s.store, partnerID)
}

// Configure creates or changes the partner's identity provider (partnerID
// nil: the staff's). The input is checked field by field (an
// *apierr.FieldError names the first refused one), then the issuer's
// discovery is fetched — outside the transaction, and only when the
// issuer is new or changed, so that an outage at the provider never stops
// anyone from switching enforcement off. In one transaction it saves the
// provider, sealing a new client secret; switching enforcement on for a
// partner cancels its open invitations (its people join through the
// provider from then on); the change is audited without the secret.
func (s *Service) Configure(ctx context.Context, actor access.Actor, partnerID *int64, in ConfigInput) (*store.IdentityProvider, error) {
	act, pid := access.ConfigureStaffSSO, int64(0)
	if partnerID != nil {
		act, pid = access.ConfigurePartnerSSO, *partnerID
	}
	if access.Can(actor, act, pid) != access.Allow {
		return nil, ErrNotAllowed
	}
	was, err := current(ctx, s.store, partnerID)
	if err != nil {
		return nil, err
	}
	in, err = checkInput(in, partnerID == nil, was == nil)
	if err != nil {
		return nil, err
	}
	if was == nil || was.Issuer != in.Issuer {
		if err := s.CheckIssuer(ctx, in.Issuer); err != nil {
			var ie *IssuerError
			if errors.As(err, &ie) {
				return nil, field("issuer", ie.Reason)
			}
			return nil, err
		}
	}
	save := store.IdentityProviderInput{PartnerID: partnerID, DisplayName: in.DisplayName, Issuer: in.Issuer, ClientID: in.ClientID,
		GroupsClaim: in.GroupsClaim, Enforced: in.Enforced, RequireGroup: in.RequireGroup, Domains: in.Domains}
	if in.ClientSecret != "" {
		save.ClientSecretEnc = s.box.Seal(in.ClientSecret, PurposeClientSecret)
	}
	var p *store.IdentityProvider
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		before := was
		if partnerID != nil {
			partner, err := tx.LockPartner(ctx, *partnerID)
			if err != nil {
				return err
			}
			if partner.Status == store.PartnerEnded {
				return ErrPartnerEnded
			}
			// Read again under the partner's lock: what enforcement was
			// decides whether invitations are cancelled now.
			if before, err = current(ctx, tx, partnerID); err != nil {
				return err
			}
		}
		var err error
		p, err = tx.SaveIdentityProvider(ctx, save)
		var taken *store.DomainTakenError
		if errors.As(err, &taken) {
			return field("domains", "The domain "+taken.Domain+" already belongs to another organisation's sign-in: a domain signs in through one provider only.")
		}
		if err != nil {
			return err
		}
		details := map[string]any{"issuer": p.Issuer, "client_id": p.ClientID, "domains": []string(p.Domains),
			"enforced": p.Enforced, "require_group": p.RequireGroup, "groups_claim": p.GroupsClaim,
			"secret_changed": save.ClientSecretEnc != nil, "created": before == nil}
		if partnerID != nil && p.Enforced && (before == nil || !before.Enforced) {
			invs, err := tx.CancelPartnerInvitations(ctx, *partnerID)
			if err != nil {
				return err
			}
			for _, i := range invs {
				if err := audit.Record(ctx, tx, audit.Event{Action: "invitation.cancel", PartnerID: *partnerID, TargetType: "invitation",
					TargetID: i.ID, Target: i.Email, Details: map[string]any{"role": i.Role, "reason": "sso_enforced"}}); err != nil {
					return err
				}
			}
			details["invitations_cancelled"] = len(invs)
		}
		return audit.Record(ctx, tx, providerEvent("sso.provider_saved", p, details))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// RemoveProvider deletes the partner's (partnerID nil: the staff's)
// identity provider with its domains and mappings; the identities linked
// through it go with it, so its people sign in with a password again
// (which they may first have to set through "forgot password"). It
// returns the provider and how many active people signed in through it.
func (s *Service) RemoveProvider(ctx context.Context, partnerID *int64) (*store.IdentityProvider, int, error) {
	var p *store.IdentityProvider
	var n int
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if partnerID == nil {
			p, err = tx.LockStaffIdentityProvider(ctx)
		} else {
			p, err = tx.LockPartnerIdentityProvider(ctx, *partnerID)
		}
		if err != nil {
			return err
		}
		if n, err = tx.ProviderPeopleCount(ctx, p.ID); err != nil {
			return err
		}
		if err := tx.DeleteIdentityProvider(ctx, p.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, providerEvent("sso.provider_removed", p, map[string]any{
			"issuer": p.Issuer, "domains": []string(p.Domains), "enforced": p.Enforced, "people": n}))
	})
	if err != nil {
		return nil, 0, err
	}
	return p, n, nil
}

// mappingEvent is the audit event of a change to one group mapping.
func mappingEvent(action string, partnerID int64, m *store.GroupMapping) audit.Event {
	details := map[string]any{"group": m.Group}
	if m.TeamID != nil {
		details["team_id"] = *m.TeamID
		if m.TeamName != nil {
			details["team"] = *m.TeamName
		}
	}
	if m.Role != nil {
		details["role"] = *m.Role
	}
	return audit.Event{Action: action, PartnerID: partnerID, TargetType: "sso_mapping", TargetID: m.ID, Target: m.Group, Details: details}
}

// AddMapping maps a group of the partner's provider's groups claim to
// one of the partner's teams (teamID) or to the partner-admin role
// (role): people in that group join the team, or become partner admins,
// at their next sign-in. ErrNoProvider when the partner has none; a
// FieldError for a group name out of bounds, a team not the partner's,
// a mapping that exists already or one too many.
func (s *Service) AddMapping(ctx context.Context, partnerID int64, group string, teamID *int64, role *string) (*store.GroupMapping, error) {
	group, err := checkLine("group", "group name", group, MaxGroup)
	if err != nil {
		return nil, err
	}
	if (teamID == nil) == (role == nil) || (role != nil && *role != RolePartnerAdmin) {
		return nil, field("team", "Choose a team of yours or the partner admin role.")
	}
	var m *store.GroupMapping
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		p, err := tx.LockPartnerIdentityProvider(ctx, partnerID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoProvider
		}
		if err != nil {
			return err
		}
		if teamID != nil {
			if _, err := tx.PartnerTeam(ctx, partnerID, *teamID); errors.Is(err, store.ErrNotFound) {
				return field("team", "Choose one of your teams: this one is not among them.")
			} else if err != nil {
				return err
			}
		}
		n, err := tx.GroupMappingCount(ctx, p.ID)
		if err != nil {
			return err
		}
		if n >= MaxMappings {
			return field("group", fmt.Sprintf("A provider has at most %d group mappings: remove one you no longer need first.", MaxMappings))
		}
		m, err = tx.AddGroupMapping(ctx, p.ID, group, teamID, role)
		if errors.Is(err, store.ErrMappingExists) {
			return field("group", "The group "+group+" is already mapped to it.")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, mappingEvent("sso.mapping_added", partnerID, m))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveMapping removes one mapping of the partner's provider; people
// keep the team or role it gave them until their next sign-in applies
// the mappings left. A mapping of another partner is store.ErrNotFound.
func (s *Service) RemoveMapping(ctx context.Context, partnerID, id int64) (*store.GroupMapping, error) {
	var m *store.GroupMapping
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		p, err := tx.LockPartnerIdentityProvider(ctx, partnerID)
		if err != nil {
			return err
		}
		if m, err = tx.DeleteGroupMapping(ctx, p.ID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, mappingEvent("sso.mapping_removed", partnerID, m))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Mappings lists the group mappings of the partner's provider p.
func (s *Service) Mappings(ctx context.Context, p *store.IdentityProvider) ([]store.GroupMapping, error) {
	return s.store.GroupMappings(ctx, p.ID)
}
