package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/session"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// roundTrip saves a session with value v and loads it back from the cookie.
func roundTrip(t *testing.T, s *session.Store) (loaded bool, rows int) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	sess, err := s.New(req, s.CookieName)
	if err != nil {
		t.Fatal(err)
	}
	sess.Values["v"] = "kept"
	rec := httptest.NewRecorder()
	if err := sess.Save(req, rec); err != nil {
		t.Fatal(err)
	}
	next := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range rec.Result().Cookies() {
		next.AddCookie(c)
	}
	again, err := s.New(next, s.CookieName)
	if err != nil {
		t.Fatal(err)
	}
	return !again.IsNew && again.Values["v"] == "kept", 0
}

func TestAbsoluteTimeout(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	fresh := session.New(st, []byte("secret-secret-secret-secret-secret"), false)
	if ok, _ := roundTrip(t, fresh); !ok {
		t.Fatal("a fresh session did not load back")
	}
	old := session.New(st, []byte("secret-secret-secret-secret-secret"), false)
	old.Absolute = -time.Second // began longer ago than the absolute limit
	if ok, _ := roundTrip(t, old); ok {
		t.Error("a session past its absolute timeout was loaded")
	}
	if n, err := st.DeleteExpiredSessions(context.Background()); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d (%v), want the 1 expired session", n, err)
	}
}

func TestCookieHoldsNoStateAndRowNoCookie(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	s := session.New(st, []byte("secret-secret-secret-secret-secret"), false)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	sess, _ := s.New(req, s.CookieName)
	sess.Values[session.UserKey] = int64(42)
	rec := httptest.NewRecorder()
	if err := sess.Save(req, rec); err == nil {
		// user 42 does not exist: the foreign key refuses; that is fine too.
		t.Log("saved")
	}
	sess.Values = map[any]any{"v": "x"}
	sess.ID = ""
	rec = httptest.NewRecorder()
	if err := sess.Save(req, rec); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0].Value
	var ids [][]byte
	if err := st.DB().Select(&ids, `SELECT id FROM sessions`); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if string(id) == cookie {
			t.Error("the sessions table holds the cookie value itself")
		}
	}
	if len(cookie) < 40 {
		t.Errorf("cookie %q is too short to be a 256-bit random id", cookie)
	}
}
