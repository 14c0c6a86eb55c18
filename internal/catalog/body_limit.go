package catalog

import (
	"context"
	"fmt"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// SetBodyLimit sets the largest request body, in bytes, the gateway reads
// for an API's calls: between store.MinMaxBody and store.MaxMaxBody. The
// change is audited with the old and the new limit; gateways drop their
// cached copy through the database's notification.
func (s *Service) SetBodyLimit(ctx context.Context, apiID, maxBytes int64) (*store.API, error) {
	if maxBytes < store.MinMaxBody || maxBytes > store.MaxMaxBody {
		return nil, &apierr.FieldError{Field: "max_body_kib", Message: fmt.Sprintf(
			"Enter a body limit between %d KiB and %d KiB (%d MiB).", store.MinMaxBody>>10, store.MaxMaxBody>>10, store.MaxMaxBody>>20)}
	}
	var api *store.API
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if api, err = tx.APIByID(ctx, apiID); err != nil {
			return err
		}
		from := api.MaxBodyBytes
		if from == maxBytes {
			return nil
		}
		if err := tx.SetAPIBodyLimit(ctx, apiID, maxBytes); err != nil {
			return err
		}
		api.MaxBodyBytes = maxBytes
		return audit.Record(ctx, tx, apiEvent("api.body_limit", api, map[string]any{"from": from, "to": maxBytes}))
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}
