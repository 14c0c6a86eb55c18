package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Roles. Staff roles have no partner; partner roles have exactly one.
const (
	RoleAdmin          = "admin"
	RoleAccountManager = "account_manager"
	RolePartnerAdmin   = "partner_admin"
	RoleDeveloper      = "developer"
)

// ErrEmailTaken is returned when an active user already has the email.
var ErrEmailTaken = errors.New("a user with this email already exists")

// User is a person who signs in to the portal: provider staff or a member of
// one partner.
type User struct {
	ID           int64      `db:"id"`
	Email        string     `db:"email"`
	Name         string     `db:"name"`
	Role         string     `db:"role"`
	PartnerID    *int64     `db:"partner_id"`
	PasswordHash *string    `db:"password_hash"`
	Status       string     `db:"status"`
	LastSignInAt *time.Time `db:"last_sign_in_at"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	// Managed are the partners an account manager is assigned to, in
	// ascending order: read by SessionUser only (empty elsewhere).
	Managed pq.Int64Array `db:"managed"`
}

// IsStaff reports whether the user works for the provider.
func (u *User) IsStaff() bool { return u.Role == RoleAdmin || u.Role == RoleAccountManager }

// NewUser is what CreateUser needs.
type NewUser struct {
	Email        string
	Name         string
	Role         string
	PartnerID    *int64
	PasswordHash string
}

const userColumns = `id, email, name, role, partner_id, password_hash, status, last_sign_in_at, created_at, updated_at`

// NormalizeEmail is the form emails are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser inserts an active user; ErrEmailTaken when the email is in use.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	var u User
	var hash *string
	if nu.PasswordHash != "" {
		hash = &nu.PasswordHash
	}
	err := s.q.GetContext(ctx, &u, `
		INSERT INTO users (email, name, role, partner_id, password_hash)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+userColumns, NormalizeEmail(nu.Email), strings.TrimSpace(nu.Name), nu.Role, nu.PartnerID, hash)
	if err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return nil, ErrEmailTaken
		}
		return nil, fmt.Errorf("create user %q: %w", NormalizeEmail(nu.Email), err)
	}
	return &u, nil
}

// UserByEmail returns the active user with the email.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE email = $1 AND status = 'active'`, NormalizeEmail(email))
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", notFound(err))
	}
	return &u, nil
}

// SessionUser is UserByID for the user of a session: with an account
// manager's book of partners, read in the same query, for the policy.
func (s *Store) SessionUser(ctx context.Context, id int64) (*User, error) {
	var u User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+`,
		       CASE WHEN role = 'account_manager' THEN ARRAY(
		           SELECT pm.partner_id FROM partner_managers pm WHERE pm.user_id = users.id ORDER BY pm.partner_id)
		       END AS managed
		FROM users WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("session user %d: %w", id, notFound(err))
	}
	return &u, nil
}

// UserByID returns the user with the id, active or removed.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", id, notFound(err))
	}
	return &u, nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, userID, hash); err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return nil
}

// SetName changes a user's display name.
func (s *Store) SetName(ctx context.Context, userID int64, name string) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE users SET name = $2, updated_at = now() WHERE id = $1`, userID, strings.TrimSpace(name)); err != nil {
		return fmt.Errorf("set name of user %d: %w", userID, err)
	}
	return nil
}

// SetEmail changes a user's email; ErrEmailTaken when another active user
// has it.
func (s *Store) SetEmail(ctx context.Context, userID int64, email string) error {
	_, err := s.q.ExecContext(ctx, `UPDATE users SET email = $2, updated_at = now() WHERE id = $1`, userID, NormalizeEmail(email))
	if err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return ErrEmailTaken
		}
		return fmt.Errorf("set email of user %d: %w", userID, err)
	}
	return nil
}
