// Package migrations holds the numbered SQL migrations of Portico's schema,
// embedded in the binary. An applied migration is never edited: change the
// schema with a new numbered file.
package migrations

import "embed"

// FS holds the migration files, named NNNNN_description.sql (goose format).
//
//go:embed *.sql
var FS embed.FS
