package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// maxServerName bounds a resource server's name (the column's CHECK).
const maxServerName = 100

// ErrServerNotFound is a resource server credential that does not exist.
var ErrServerNotFound = errors.New("resource server not found")

// ErrServerRevoked is a resource server credential revoked already.
var ErrServerRevoked = errors.New("resource server revoked already")

// IssuedResourceServer is a new resource server credential with its
// secret, to be shown once.
type IssuedResourceServer struct {
	ID       int64
	Name     string
	ClientID string
	Hint     string
	// Secret (ptc_srv_…) is stored only as its HMAC.
	Secret string
}

// CreateResourceServer issues a credential to a resource server (a service
// that introspects and revokes access tokens): a public prs_ id and a
// ptc_srv_ secret, stored as its hash with the audit event in one
// transaction. by is the platform admin issuing it; the caller has asked
// the policy (access.ManageResourceServers). A bad name or too many open
// credentials is an *apierr.FieldError on "name".
func CreateResourceServer(ctx context.Context, st *store.Store, hasher *token.Hasher, by int64, name string) (*IssuedResourceServer, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, &apierr.FieldError{Field: "name", Message: "Enter a name: the service or gateway that will use the credential."}
	case utf8.RuneCountInString(name) > maxServerName || !utf8.ValidString(name):
		return nil, &apierr.FieldError{Field: "name", Message: fmt.Sprintf("Use at most %d characters.", maxServerName)}
	}
	clientID, err := token.NewPublicID(token.ResourceServerIDPrefix)
	if err != nil {
		return nil, fmt.Errorf("create resource server: %w", err)
	}
	secret, err := token.New(token.KindResourceServer)
	if err != nil {
		return nil, fmt.Errorf("create resource server: %w", err)
	}
	out := &IssuedResourceServer{Name: name, ClientID: clientID, Hint: token.Hint(secret), Secret: secret}
	err = st.InTx(ctx, func(tx *store.Store) error {
		id, err := tx.InsertResourceServer(ctx, name, clientID, hasher.Hash(secret), out.Hint, by)
		if err != nil {
			return err
		}
		out.ID = id
		return audit.Record(ctx, tx, audit.Event{
			Action: "resource_server.create", TargetType: "resource_server", TargetID: id, Target: name,
			Details: map[string]any{"client_id": clientID, "hint": out.Hint},
		})
	})
	if errors.Is(err, store.ErrTooManyResourceServers) {
		return nil, &apierr.FieldError{Field: "name", Message: fmt.Sprintf("At most %d resource server credentials may be open: revoke one that is no longer used first.", store.MaxResourceServers)}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeResourceServer revokes a resource server credential at once, with
// its audit event in the same transaction; by is the platform admin.
// ErrServerNotFound or ErrServerRevoked when there is nothing to revoke.
func RevokeResourceServer(ctx context.Context, st *store.Store, id, by int64) (*store.ResourceServer, error) {
	var rs *store.ResourceServer
	err := st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if rs, err = tx.ResourceServerByID(ctx, id); err != nil {
			return err
		}
		if rs.RevokedAt != nil {
			return ErrServerRevoked
		}
		if err := tx.RevokeResourceServer(ctx, id, &by); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrServerRevoked // revoked by someone else in the meantime
			}
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "resource_server.revoke", TargetType: "resource_server", TargetID: id, Target: rs.Name,
			Details: map[string]any{"client_id": rs.ClientID, "hint": rs.Hint},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrServerNotFound
	}
	if err != nil {
		return nil, err
	}
	return rs, nil
}
