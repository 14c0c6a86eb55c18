package hygiene

import (
	"context"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// MaxBulkRevoke bounds the credentials one confirmation lists and one
// "revoke all never-used" revokes; a partner with more runs it again.
const MaxBulkRevoke = 200

// NeverUsed lists up to MaxBulkRevoke+1 of the partner's never-used open
// credentials, for the confirmation (one more than fits says more remain).
func (s *Service) NeverUsed(ctx context.Context, actor access.Actor, partnerID int64) ([]store.Token, error) {
	if err := canBulk(actor, partnerID); err != nil {
		return nil, err
	}
	return s.store.NeverUsedTokens(ctx, partnerID, MaxBulkRevoke+1)
}

func canBulk(actor access.Actor, partnerID int64) error {
	switch access.Can(actor, access.ViewPartnerTokens, partnerID) {
	case access.Allow:
		return nil
	case access.Deny:
		return ErrForbidden
	}
	return ErrNotFound
}

// RevokeNeverUsed revokes the credentials of ids (at most MaxBulkRevoke,
// those the confirmation listed) that are still never used, in one
// transaction: each audited as token.revoke, each owner mailed once with
// the list of theirs. Ids of another partner, or used since, are skipped.
func (s *Service) RevokeNeverUsed(ctx context.Context, actor access.Actor, partnerID int64, ids []int64) ([]store.Token, error) {
	if err := canBulk(actor, partnerID); err != nil {
		return nil, err
	}
	if len(ids) > MaxBulkRevoke {
		ids = ids[:MaxBulkRevoke]
	}
	reason := "never used: revoked from credential hygiene by a partner admin"
	if actor.Staff() {
		reason = "never used: revoked from credential hygiene by the API provider"
	}
	var done []store.Token
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if done, err = tx.RevokeNeverUsed(ctx, partnerID, ids, actor.UserID, reason); err != nil {
			return err
		}
		byOwner := map[int64][]store.Token{}
		var owners []int64
		for _, t := range done {
			if access.CanToken(actor, access.RevokeToken, t.UserID, t.PartnerID) != access.Allow {
				return ErrForbidden // the partner check above makes this unreachable; never revoke past the policy
			}
			if _, ok := byOwner[t.UserID]; !ok {
				owners = append(owners, t.UserID)
			}
			byOwner[t.UserID] = append(byOwner[t.UserID], t)
			if err := audit.Record(ctx, tx, audit.Event{
				Action: "token.revoke", PartnerID: t.PartnerID, TargetType: "token", TargetID: t.ID, Target: t.Name,
				Details: map[string]any{"hint": t.Hint, "owner": t.OwnerEmail, "reason": reason},
			}); err != nil {
				return err
			}
		}
		for _, id := range owners {
			if id == actor.UserID {
				continue
			}
			ts := byOwner[id]
			names := make([]string, len(ts))
			for i, t := range ts {
				names[i] = "“" + t.Name + "” (" + t.Hint + ")"
			}
			subject := fmt.Sprintf("%d of your tokens were revoked: never used", len(ts))
			if len(ts) == 1 {
				subject = fmt.Sprintf("Your token “%s” was revoked: never used", ts[0].Name)
			}
			if err := s.outbox.Enqueue(ctx, tx, pmail.Notice{
				ToEmail: ts[0].OwnerEmail, ToName: ts[0].OwnerName,
				Subject:  subject,
				Greeting: "Hello " + ts[0].OwnerName + ",",
				Lines: []string{
					"These tokens of yours were never used since they were created, and were revoked to keep fewer working secrets around: " +
						strings.Join(names, ", ") + ".",
					"If you need one after all, create a new token.",
				},
				Link: s.baseURL + "/tokens", LinkLabel: "Your tokens", Closing: "— Portico",
			}.Message()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}
