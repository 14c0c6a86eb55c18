package pat

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// MaxNetworks is how many source networks a client may be limited to.
const MaxNetworks = 20

// ClientInput is what the OAuth client form sends: a token's settings
// and the networks the client may ask for tokens from.
type ClientInput struct {
	Input
	// Networks are CIDRs or single addresses; none: anywhere.
	Networks []string
}

// ParseNetworks reads the allowed networks as a form sends them: CIDRs or
// single addresses separated by commas, spaces or new lines. It returns
// them canonical (masked, a single address as /32 or /128), sorted and
// without duplicates, or a FieldError naming the first it cannot read.
func ParseNetworks(raw string) ([]string, error) {
	fields := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(fields) > MaxNetworks {
		return nil, &apierr.FieldError{Field: "networks", Message: fmt.Sprintf("Allow at most %d networks; use wider CIDR ranges to cover more.", MaxNetworks)}
	}
	return checkNetworks(fields)
}

func checkNetworks(in []string) ([]string, error) {
	if len(in) > MaxNetworks {
		return nil, &apierr.FieldError{Field: "networks", Message: fmt.Sprintf("Allow at most %d networks; use wider CIDR ranges to cover more.", MaxNetworks)}
	}
	out := make([]string, 0, len(in))
	for _, f := range in {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var pfx netip.Prefix
		var err error
		if strings.Contains(f, "/") {
			pfx, err = netip.ParsePrefix(f)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(f); err == nil && a.Zone() != "" {
				err = fmt.Errorf("zoned address")
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil || !pfx.IsValid() {
			if len(f) > 50 {
				f = f[:50] + "…"
			}
			return nil, &apierr.FieldError{Field: "networks", Message: fmt.Sprintf("%q is not an IP address or CIDR range such as 203.0.113.0/24 or 2001:db8::/48.", f)}
		}
		if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
			// ::ffff:203.0.113.0/120 is 203.0.113.0/24, as the gateway
			// sees IPv4 callers.
			pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
		}
		out = append(out, pfx.Masked().String())
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ClientCreated is a new OAuth client with its secret, to be shown once.
type ClientCreated struct {
	Token *store.Token
	// ClientID is public; Secret (ptc_cs_…) is shown once.
	ClientID string
	Secret   string
}

// CreateClient registers an OAuth client owned by the actor: partner
// admins, and developers when their partner allows it. Its scopes must be
// granted to the actor now (as a token's); a live client follows the
// approval rule of live tokens. It is a tokens row with a client id, so
// it is listed, rotated, approved and revoked as tokens are.
func (s *Service) CreateClient(ctx context.Context, actor access.Actor, in ClientInput) (*ClientCreated, error) {
	if actor.PartnerID == 0 || actor.Staff() {
		return nil, ErrForbidden
	}
	allowed, err := s.store.DeveloperClients(ctx, actor.PartnerID)
	if err != nil {
		return nil, err
	}
	if access.CanCreateClient(actor, actor.PartnerID, allowed) != access.Allow {
		return nil, ErrForbidden
	}
	name, scopes, err := s.checkInput(ctx, actor, in.Input)
	if err != nil {
		return nil, err
	}
	networks, err := checkNetworks(in.Networks)
	if err != nil {
		return nil, err
	}
	clientID, err := token.NewPublicID(token.ClientIDPrefix)
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	secret, err := token.New(token.KindClientSecret)
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	created, err := s.insert(ctx, actor, store.NewToken{
		UserID: actor.UserID, PartnerID: actor.PartnerID, Name: name, Environment: in.Environment,
		Hash: s.hasher.Hash(secret), Hint: token.Hint(secret), Scopes: scopes,
		ExpiresAt: s.now().Add(time.Duration(in.Days) * 24 * time.Hour), RatePerMinute: in.RatePerMinute,
		ClientID: &clientID, Networks: networks,
	}, "client.create", map[string]any{"client_id": clientID, "networks": networks})
	if err != nil {
		return nil, err
	}
	return &ClientCreated{Token: created, ClientID: clientID, Secret: secret}, nil
}
