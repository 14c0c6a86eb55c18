package people

import (
	"bytes"
	"context"
	"fmt"

	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

func roleArticle(role string) string {
	if role == "partner_admin" {
		return "an admin"
	}
	return "a developer"
}

// invitationMail renders the invitation mail, text and HTML, with the link
// that carries the plaintext token (the only place it ever appears).
func (s *Service) invitationMail(ctx context.Context, inv *store.Invitation, partner *store.Partner, inviter, plain string) (pmail.Message, error) {
	m := invitationMailModel{
		Inviter:   inviter,
		Partner:   partner.Name,
		RoleLabel: roleArticle(inv.Role),
		Link:      s.baseURL + "/invitations/" + plain,
		Expires:   inv.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC"),
	}
	var html bytes.Buffer
	if err := invitationHTML(m).Render(ctx, &html); err != nil {
		return pmail.Message{}, fmt.Errorf("render invitation mail: %w", err)
	}
	text := fmt.Sprintf("Hello,\n\n%s invited you to join %s on the Portico partner portal as %s.\n\n"+
		"Accept the invitation:\n%s\n\nThe link works once and until %s. If you did not expect this invitation, you can ignore this mail.\n",
		m.Inviter, m.Partner, m.RoleLabel, m.Link, m.Expires)
	return pmail.Message{
		ToEmail: inv.Email,
		Subject: fmt.Sprintf("%s invited you to %s on Portico", m.Inviter, m.Partner),
		Text:    text,
		HTML:    html.String(),
	}, nil
}

// simpleHTML renders a notice's HTML part with the portal's one notice
// template (internal/mail).
func simpleHTML(greeting, body, link, linkLabel, closing string) string {
	return pmail.Notice{Greeting: greeting, Lines: []string{body}, Link: link, LinkLabel: linkLabel, Closing: closing}.Message().HTML
}

// invitationRefusedNotice tells the owner of an address with an account
// elsewhere that someone tried to invite it: no link (nothing to accept),
// so that nobody learns of the account but its owner.
func invitationRefusedNotice(inv *store.Invitation, partner *store.Partner, inviter string) pmail.Message {
	return pmail.Notice{
		ToEmail:  inv.Email,
		Subject:  fmt.Sprintf("%s tried to invite you to %s on Portico", inviter, partner.Name),
		Greeting: "Hello,",
		Lines: []string{
			fmt.Sprintf("%s tried to invite this address to %s on the Portico partner portal. "+
				"This address has an account on the portal already, and an account belongs to one organisation only, so no invitation was sent.", inviter, partner.Name),
			"If you expected it, ask " + inviter + " to use another address, or contact the portal's provider.",
		},
		Closing: "If you did not expect this, you can ignore this mail: nothing has changed on your account.",
	}.Message()
}
