package sso

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// What guards a provider's configuration against pointing someone else's
// people, or a stored secret, at a provider they do not control.

// publicMailDomains are mail domains people of many organisations use: no
// one organisation's provider may vouch for their addresses.
var publicMailDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true, "msn.com": true,
	"yahoo.com": true, "icloud.com": true, "me.com": true, "aol.com": true, "proton.me": true, "protonmail.com": true,
	"gmx.com": true, "gmx.de": true, "gmx.net": true, "web.de": true, "mail.com": true, "yandex.com": true, "yandex.ru": true,
	"qq.com": true, "163.com": true, "zoho.com": true,
}

// clientChanged reports whether in (or the saved p) names another client
// than was: a new issuer or a new client id at it.
func clientChanged(was *store.IdentityProvider, issuer, clientID string) bool {
	return was != nil && (was.Issuer != issuer || was.ClientID != clientID)
}

// checkNewClientSecret refuses a change of issuer or client id without a
// new secret: the stored one belongs to the old client, and would be sent
// to the new issuer's token endpoint.
func checkNewClientSecret(was *store.IdentityProvider, in ConfigInput) error {
	if in.ClientSecret == "" && clientChanged(was, in.Issuer, in.ClientID) {
		return field("client_secret", "Enter the client secret of the new client: the stored one belongs to the old one.")
	}
	return nil
}

// checkDomainOwners refuses, in tx, a domain p was just given (not one
// it had before) where an active account exists outside p's organisation:
// its provider would otherwise be offered to another partner's people, or
// the staff, at the email step. The message names the domain, never the
// accounts.
func checkDomainOwners(ctx context.Context, tx *store.Store, before, p *store.IdentityProvider) error {
	var added []string
	for _, d := range p.Domains {
		if before == nil || !slices.Contains(before.Domains, d) {
			added = append(added, d)
		}
	}
	if len(added) == 0 {
		return nil
	}
	d, err := tx.DomainWithOthers(ctx, p.PartnerID, added)
	if err != nil || d == "" {
		return err
	}
	whose := "partners"
	if !p.IsStaff() {
		whose = "another organisation"
	}
	return field("domains", "The domain "+d+" has accounts of "+whose+": a provider may only sign in addresses of its own organisation.")
}

// actorName says who acts, for a mail: the audit source's user.
func actorName(ctx context.Context, tx *store.Store, userID int64) (string, error) {
	if userID == 0 {
		return "The portal's staff", nil
	}
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return "", err
	}
	return singleLine(u.Name) + " <" + u.Email + ">", nil
}

// changeLines says what changed in the issuer, client id and domains of
// a partner's provider, one line each; none when nothing of it changed.
func changeLines(before, p *store.IdentityProvider) []string {
	var lines []string
	if before == nil {
		return []string{"Identity provider (issuer): " + p.Issuer, "Client ID: " + p.ClientID, "Email domains: " + strings.Join(p.Domains, ", ")}
	}
	if before.Issuer != p.Issuer {
		lines = append(lines, "Identity provider (issuer): "+before.Issuer+" → "+p.Issuer)
	}
	if before.ClientID != p.ClientID {
		lines = append(lines, "Client ID: "+before.ClientID+" → "+p.ClientID)
	}
	if !slices.Equal(before.Domains, p.Domains) {
		lines = append(lines, "Email domains: "+strings.Join(before.Domains, ", ")+" → "+strings.Join(p.Domains, ", "))
	}
	return lines
}

// warnLine tells a partner's admins what a change they did not ask for
// means.
const warnLine = "Whoever controls the identity provider decides who signs in as your people. If you did not ask for this, tell your account manager or the portal's administrators at once."

// mailProviderChanged queues, in tx, one mail to each active admin of the
// partner when its provider's issuer, client id or domains changed (or it
// was created), saying who changed what: an account manager pointing the
// partner's sign-in at an issuer of their own does not go unnoticed. The
// secret is never in it. Nothing for the staff's provider, whose
// configuring platform admins are the ones it would tell.
func (s *Service) mailProviderChanged(ctx context.Context, tx *store.Store, actorID int64, before, p *store.IdentityProvider) (int, error) {
	lines := changeLines(before, p)
	if p.IsStaff() || len(lines) == 0 {
		return 0, nil
	}
	who, err := actorName(ctx, tx, actorID)
	if err != nil {
		return 0, err
	}
	head := fmt.Sprintf("%s changed how the people of %s sign in to the Portico partner portal through single sign-on (%s):", who, p.PartnerName, p.DisplayName)
	if before == nil {
		head = fmt.Sprintf("%s set up single sign-on for the people of %s: from now on they can sign in to the Portico partner portal through %s.", who, p.PartnerName, p.DisplayName)
	}
	return s.mailPartnerAdmins(ctx, tx, p, "The sign-in of "+p.PartnerName+" to the partner portal was changed", append(append([]string{head}, lines...), warnLine))
}

// mailProviderRemoved queues, in tx, one mail to each active admin of the
// partner whose provider p was removed, saying by whom.
func (s *Service) mailProviderRemoved(ctx context.Context, tx *store.Store, p *store.IdentityProvider) (int, error) {
	if p.IsStaff() {
		return 0, nil
	}
	who, err := actorName(ctx, tx, audit.SourceFrom(ctx).ActorID)
	if err != nil {
		return 0, err
	}
	lines := []string{
		fmt.Sprintf("%s removed %s (%s) from the sign-in of %s to the Portico partner portal: your people sign in with a password again, and those who never had one use “forgot password” to get one.",
			who, p.DisplayName, p.Issuer, p.PartnerName),
		"If you did not ask for this, tell your account manager or the portal's administrators.",
	}
	return s.mailPartnerAdmins(ctx, tx, p, "Single sign-on of "+p.PartnerName+" was removed", lines)
}

// mailPartnerAdmins queues one mail to each active admin of p's partner
// and returns how many.
func (s *Service) mailPartnerAdmins(ctx context.Context, tx *store.Store, p *store.IdentityProvider, subject string, lines []string) (int, error) {
	admins, err := tx.PartnerAdmins(ctx, *p.PartnerID)
	if err != nil {
		return 0, err
	}
	if err := s.notify(ctx, tx, usersTo(admins), subject, lines, "/sso", "See your single sign-on settings"); err != nil {
		return 0, err
	}
	return len(admins), nil
}
