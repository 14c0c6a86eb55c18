package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// callTimeout bounds each request a sync sends the provider.
const callTimeout = 10 * time.Second

// SyncReport is what a sync found.
type SyncReport struct {
	ProviderID int64 `json:"provider_id"`
	// People is how many people sign in through the provider.
	People int `json:"people"`
	// Checked counts those the provider answered for: Kept stay,
	// Deprovisioned lost their access.
	Checked       int             `json:"checked"`
	Kept          int             `json:"kept"`
	Deprovisioned []Deprovisioned `json:"deprovisioned"`
	// Unchecked counts those the provider cannot be asked about (no
	// refresh token was issued to the portal when they signed in).
	Unchecked int `json:"unchecked"`
	// Unreachable says the provider could not be reached or answered
	// with a server error: the sync stopped and ended nobody's access.
	Unreachable bool `json:"unreachable"`
	// Error says in words why the sync stopped ("" when it finished).
	Error string `json:"error,omitempty"`
}

// stop ends a sync early, with the sentence for its report.
type stop struct {
	reason      string
	unreachable bool
}

func (e *stop) Error() string { return e.reason }

// Sync asks the provider about every person who signs in through it,
// with the refresh token it gave at their sign-in: a person it refuses
// (invalid_grant) or who left every mapped group (with RequireGroup and at
// least one mapping) loses their access (Deprovision); for the others,
// mapped teams and role follow their groups now (ApplyGroups). When the
// provider does not send the groups claim, teams and role stay (and where
// a mapped group is required the person counts as unchecked). Each person
// is one transaction. A network error, timeout, server error or
// unexpected answer stops the sync and ends nobody's access: an outage is
// never taken for a departure. The
// admins are mailed once about everyone whose access ended, and the sync
// is audited as sso.synced. err is for the portal's own failures; the
// provider's are in the report.
func (s *Service) Sync(ctx context.Context, providerID int64) (*SyncReport, error) {
	p, err := s.store.IdentityProviderByID(ctx, providerID)
	if err != nil {
		return nil, err
	}
	rep := &SyncReport{ProviderID: p.ID, Deprovisioned: []Deprovisioned{}}
	idents, err := s.store.ProviderIdentities(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	rep.People = len(idents)
	var st *stop
	if err := s.syncAll(ctx, p, idents, rep); errors.As(err, &st) {
		rep.Error, rep.Unreachable = st.reason, st.unreachable
	} else if err != nil {
		// What was done is done: the admins still hear of it.
		rep.Error = "The sync stopped on an error of the portal."
		return rep, errors.Join(err, s.finishSync(ctx, p, rep))
	}
	return rep, s.finishSync(ctx, p, rep)
}

// syncAll checks each identity in turn, stopping at the first *stop.
func (s *Service) syncAll(ctx context.Context, p *store.IdentityProvider, idents []store.ProviderIdentity, rep *SyncReport) error {
	if len(idents) == 0 {
		return nil
	}
	r, err := s.remote(ctx, p)
	var ie *IssuerError
	if errors.As(err, &ie) {
		return &stop{reason: ie.Reason, unreachable: true}
	} else if err != nil {
		return err
	}
	secret, err := s.box.Open(p.ClientSecretEnc, PurposeClientSecret)
	if err != nil {
		return &stop{reason: "The client secret cannot be read with this server's secret: enter it again in the provider's settings."}
	}
	conf := &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, Endpoint: r.provider.Endpoint()}
	for i, pi := range idents {
		if ctx.Err() != nil {
			return &stop{reason: fmt.Sprintf("The sync was cut short after %d of %d people; the others keep their access until the next sync.", i, len(idents))}
		}
		// A person's check, once begun, runs to its end (each call to the
		// provider bounded by callTimeout): a token the provider rotated
		// is never lost to a cancelled transaction.
		if err := s.syncOne(context.WithoutCancel(ctx), p, r, conf, pi, rep); err != nil {
			return err
		}
	}
	return nil
}

// syncOne checks one person, in a transaction holding their identity row:
// the refresh token it reads is the one it replaces.
func (s *Service) syncOne(ctx context.Context, p *store.IdentityProvider, r *remote, conf *oauth2.Config, pi store.ProviderIdentity, rep *SyncReport) error {
	var halt *stop
	var gone *Deprovisioned
	kept, unchecked := false, false
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		halt, gone, kept, unchecked = nil, nil, false, false
		ident, err := tx.LockIdentity(ctx, p.ID, pi.Subject)
		if errors.Is(err, store.ErrNotFound) || (err == nil && ident.UserID != pi.UserID) {
			return nil // unlinked or re-linked meanwhile: not this sync's to judge
		} else if err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, ident.UserID)
		if err != nil {
			return err
		}
		if ident.RefreshTokenEnc == nil || !speaksFor(p, u) {
			unchecked = true
			return nil
		}
		refresh, err := s.box.Open(ident.RefreshTokenEnc, PurposeRefreshToken)
		if err != nil {
			unchecked = true
			return nil
		}
		tok, err := s.refresh(ctx, conf, refresh)
		if errors.As(err, &halt) {
			return nil
		} else if errors.Is(err, errRefused) {
			gone, err = s.Deprovision(ctx, tx, p, ident, ReasonRefused)
			return err
		} else if err != nil {
			return err
		}
		// The provider may have rotated the refresh token: whatever follows,
		// the new one is kept, or the next sync would be refused it.
		save := store.UserIdentity{ProviderID: p.ID, Subject: ident.Subject, UserID: ident.UserID, Groups: append([]string{}, ident.Groups...)}
		if tok.RefreshToken != "" {
			save.RefreshTokenEnc = s.box.Seal(tok.RefreshToken, PurposeRefreshToken)
		}
		groups, known, err := s.currentGroups(ctx, r, p, tok, ident.Subject)
		if errors.As(err, &halt) {
			return tx.SaveIdentity(ctx, save)
		} else if err != nil {
			return err
		}
		if !known {
			// The provider vouches for the person but does not say which
			// groups they are in: teams, role and the groups kept stay.
			// Where a mapped group is required, that is no answer.
			if err := KeepGroups(ctx, tx, p); errors.Is(err, ErrGroupsUnknown) {
				unchecked = true
			} else if err != nil {
				return err
			} else {
				kept = true
			}
			return tx.SaveIdentity(ctx, save)
		}
		if _, err := ApplyGroups(ctx, tx, p, u, groups); errors.Is(err, ErrNotInMappedGroup) {
			gone, err = s.Deprovision(ctx, tx, p, ident, ReasonLeftGroups)
			return err
		} else if err != nil {
			return err
		}
		kept = true
		save.Groups = BoundGroups(groups)
		return tx.SaveIdentity(ctx, save)
	})
	switch {
	case err != nil:
		return err
	case halt != nil:
		return halt
	case unchecked:
		rep.Unchecked++
	case gone != nil:
		rep.Checked++
		rep.Deprovisioned = append(rep.Deprovisioned, *gone)
	case kept:
		rep.Checked++
		rep.Kept++
	}
	return nil
}

// errRefused: the provider refuses the refresh token (invalid_grant).
var errRefused = errors.New("the identity provider refuses the refresh token")

// refresh asks the provider for new tokens with a refresh token. It
// answers errRefused when the provider says the grant is invalid, a *stop
// for anything else that goes wrong.
func (s *Service) refresh(ctx context.Context, conf *oauth2.Config, refresh string) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(s.httpContext(ctx), callTimeout)
	defer cancel()
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500:
		return nil, &stop{reason: fmt.Sprintf("The identity provider answered with a server error (%s); nobody's access was changed.", re.Response.Status), unreachable: true}
	case errors.As(err, &re) && re.ErrorCode == "invalid_grant":
		return nil, errRefused
	case errors.As(err, &re):
		return nil, &stop{reason: fmt.Sprintf("The identity provider refused the portal's request (%s): check the client id and secret. Nobody's access was changed.", refusal(re))}
	default:
		return nil, &stop{reason: "The identity provider could not be reached; nobody's access was changed.", unreachable: true}
	}
}

// refusal names an OAuth error briefly, without echoing a body at length.
func refusal(re *oauth2.RetrieveError) string {
	if re.ErrorCode != "" && len(re.ErrorCode) <= 50 {
		return re.ErrorCode
	}
	if re.Response != nil {
		return re.Response.Status
	}
	return "unexpected answer"
}

// currentGroups reads the person's groups from the ID token of a refresh
// (verified, and about the same subject), or from userinfo when the
// response has no ID token or the token no groups claim. known is false
// when neither carries the claim, or the provider has no groups claim
// configured: the provider then says nothing of the person's groups.
func (s *Service) currentGroups(ctx context.Context, r *remote, p *store.IdentityProvider, tok *oauth2.Token, subject string) (groups []string, known bool, err error) {
	ctx, cancel := context.WithTimeout(s.httpContext(ctx), callTimeout)
	defer cancel()
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		idt, err := r.provider.Verifier(&oidc.Config{ClientID: p.ClientID, Now: s.Now}).Verify(ctx, raw)
		if err != nil {
			return nil, false, &stop{reason: "The identity provider sent an ID token that does not verify; nobody's access was changed."}
		}
		if idt.Subject != subject {
			return nil, false, &stop{reason: "The identity provider sent an ID token about another person; nobody's access was changed."}
		}
		if p.GroupsClaim == "" {
			return nil, false, nil
		}
		var claims map[string]json.RawMessage
		if err := idt.Claims(&claims); err != nil {
			return nil, false, &stop{reason: "The identity provider's ID token could not be read; nobody's access was changed."}
		}
		if groups, ok := GroupsFromClaims(claims, p.GroupsClaim); ok {
			return groups, true, nil
		}
	}
	if p.GroupsClaim == "" && tok.Extra("id_token") != nil {
		return nil, false, nil
	}
	info, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, false, &stop{reason: "The identity provider's userinfo endpoint could not be read; nobody's access was changed.", unreachable: true}
	}
	if info.Subject != subject {
		return nil, false, &stop{reason: "The identity provider's userinfo is about another person; nobody's access was changed."}
	}
	if p.GroupsClaim == "" {
		return nil, false, nil
	}
	var claims map[string]json.RawMessage
	if err := info.Claims(&claims); err != nil {
		return nil, false, &stop{reason: "The identity provider's userinfo could not be read; nobody's access was changed."}
	}
	groups, known = GroupsFromClaims(claims, p.GroupsClaim)
	return groups, known, nil
}

// finishSync records the sync (audit, last sync time) and mails the
// admins about those whose access ended, in one transaction.
func (s *Service) finishSync(ctx context.Context, p *store.IdentityProvider, rep *SyncReport) error {
	// Recorded even when the caller gave up: what was done is told.
	ctx = context.WithoutCancel(ctx)
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.MarkIdentityProviderSynced(ctx, p.ID); err != nil {
			return err
		}
		e := audit.Event{Action: "sso.synced", TargetType: "identity_provider", TargetID: p.ID, Target: p.DisplayName,
			Details: map[string]any{"people": rep.People, "checked": rep.Checked, "kept": rep.Kept,
				"deprovisioned": len(rep.Deprovisioned), "unchecked": rep.Unchecked, "unreachable": rep.Unreachable, "error": rep.Error}}
		if p.PartnerID != nil {
			e.PartnerID = *p.PartnerID
		}
		if err := audit.Record(ctx, tx, e); err != nil {
			return err
		}
		return s.MailDeprovisioned(ctx, tx, p, rep.Deprovisioned)
	})
}
