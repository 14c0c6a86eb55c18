// Package session is the gorilla/sessions Store over PostgreSQL: the cookie
// holds only a random id, the state lives in the sessions table, so ending a
// session (sign-out, password change, removal) takes effect everywhere.
package session

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"github.com/portico/portico/internal/store"
)

// Keys of session values this package reads.
const (
	// UserKey holds the signed-in user's id (int64).
	UserKey = "user_id"
	// AuthAtKey holds when the user last entered their password (unix
	// seconds, int64), for recent-authentication ("sudo") checks.
	AuthAtKey = "auth_at"
	// absoluteKey holds the absolute expiry (unix seconds, int64).
	absoluteKey = "_abs"
)

// Store keeps sessions in PostgreSQL.
type Store struct {
	db  *store.Store
	key []byte
	// CookieName is __Host-portico over https, portico otherwise.
	CookieName string
	secure     bool
	// Idle ends a session after this long without a request.
	Idle time.Duration
	// Absolute ends a session this long after it began, however active.
	Absolute time.Duration
}

// New returns a session store keyed by secret (ids are stored as
// HMAC-SHA256(secret, cookie value)).
func New(db *store.Store, secret []byte, secure bool) *Store {
	name := "portico"
	if secure {
		name = "__Host-portico"
	}
	return &Store{db: db, key: secret, CookieName: name, secure: secure, Idle: 2 * time.Hour, Absolute: 12 * time.Hour}
}

func (s *Store) rowID(cookie string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(cookie))
	return m.Sum(nil)
}

func (s *Store) options() *sessions.Options {
	return &sessions.Options{Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

// Get returns the request's session, or a new empty one.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return s.New(r, name)
}

// New loads the session named by the request's cookie, or returns a new
// empty session when there is none (or it ended). A database failure is
// returned with the empty session.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = s.options()
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return sess, nil
	}
	id := s.rowID(c.Value)
	row, err := s.db.SessionByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	values := map[any]any{}
	if len(row.Data) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(row.Data)).Decode(&values); err != nil {
			return sess, nil // an undecodable session is no session
		}
	}
	abs, _ := values[absoluteKey].(int64)
	now := time.Now()
	if abs == 0 || now.Unix() >= abs {
		_ = s.db.DeleteSession(r.Context(), id)
		return sess, nil
	}
	sess.ID = c.Value
	sess.Values = values
	sess.IsNew = false
	// Move the idle expiry at most once a minute: no write per page view.
	if now.Sub(row.LastSeenAt) > time.Minute {
		if err := s.db.TouchSession(r.Context(), id, s.expiry(now, abs)); err != nil {
			return sess, err
		}
	}
	return sess, nil
}

func (s *Store) expiry(now time.Time, abs int64) time.Time {
	e := now.Add(s.Idle)
	if a := time.Unix(abs, 0); a.Before(e) {
		return a
	}
	return e
}

// Save writes the session and sets its cookie; a session whose MaxAge is
// negative is deleted and its cookie cleared.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.db.DeleteSession(ctx, s.rowID(sess.ID)); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}))
		return nil
	}
	now := time.Now()
	isNew := sess.ID == ""
	if isNew {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("session id: %w", err)
		}
		sess.ID = base64.RawURLEncoding.EncodeToString(b[:])
		sess.Values[absoluteKey] = now.Add(s.Absolute).Unix()
	}
	abs, _ := sess.Values[absoluteKey].(int64)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(sess.Values); err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	row := &store.SessionRow{ID: s.rowID(sess.ID), Data: buf.Bytes(), ExpiresAt: s.expiry(now, abs)}
	if uid, ok := sess.Values[UserKey].(int64); ok {
		row.UserID = &uid
	}
	if isNew {
		if err := s.db.CreateSession(ctx, row); err != nil {
			return err
		}
	} else {
		ok, err := s.db.UpdateSession(ctx, row)
		if err != nil {
			return err
		}
		if !ok {
			// Ended elsewhere while this request ran: stay ended.
			return nil
		}
	}
	// A browser-session cookie: closing the browser ends it on this device.
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, s.options()))
	return nil
}

// Renew gives the session a new id and drops the old row: called at sign-in
// so a session id planted before sign-in is worthless after it.
func (s *Store) Renew(ctx context.Context, sess *sessions.Session) error {
	if sess.ID != "" {
		if err := s.db.DeleteSession(ctx, s.rowID(sess.ID)); err != nil {
			return err
		}
	}
	sess.ID = ""
	sess.IsNew = true
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	return nil
}
