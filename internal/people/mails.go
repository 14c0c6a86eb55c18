package people

import (
	"bytes"
	"context"
	"fmt"
	"time"

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

// emailChangeMail asks the owner of a new address to confirm it as u's
// sign-in email, with the link that carries the plaintext token.
func emailChangeMail(u *store.User, newEmail, link string, expires time.Time) pmail.Message {
	return pmail.Notice{
		ToEmail:  newEmail,
		ToName:   u.Name,
		Subject:  "Confirm your new Portico sign-in email",
		Greeting: "Hello " + u.Name + ",",
		Lines: []string{
			"Someone (hopefully you) asked to make this address the sign-in email of the Portico account of " + u.Email + ".",
			"The change happens when you open the link below while signed in to that account, and confirm. The link works once, until " +
				expires.UTC().Format("2 January 2006, 15:04 UTC") + ".",
		},
		Link:      link,
		LinkLabel: "Confirm the new email",
		Closing:   "If you did not ask for this, ignore this mail: nothing changes.",
	}.Message()
}

// emailChangeTakenNotice tells the owner of an address that has an account
// that someone tried to move another account to it: no link (nothing can
// be confirmed), so that nobody learns of the account but its owner.
func emailChangeTakenNotice(u *store.User, newEmail string) pmail.Message {
	return pmail.Notice{
		ToEmail:  newEmail,
		Subject:  "Someone tried to move a Portico account to this address",
		Greeting: "Hello,",
		Lines: []string{
			"Someone asked to make this address the sign-in email of another Portico account. " +
				"This address has an account on the portal already, and an address belongs to one account only, so nothing was changed and no link was sent.",
		},
		Closing: "If you did not expect this, you can ignore this mail: nothing has changed on your account.",
	}.Message()
}

// emailChangedNotice tells u's old address that the sign-in email moved.
func emailChangedNotice(u *store.User, newEmail string) pmail.Message {
	return pmail.Notice{
		ToEmail:  u.Email,
		ToName:   u.Name,
		Subject:  "Your Portico sign-in email was changed",
		Greeting: "Hello " + u.Name + ",",
		Lines: []string{
			"The sign-in email of your Portico account was changed from " + u.Email + " to " + newEmail +
				", and every other session was signed out. Password reset links mailed here no longer work.",
		},
		Closing: "If this was not you, tell your organisation's portal admin at once.",
	}.Message()
}
