package people_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
)

func TestTeamNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	harbor, _ := st.PartnerBySlug(ctx, "harbor-logistics")
	crane, _ := st.PartnerBySlug(ctx, "crane-works")
	if _, err := svc.CreateTeam(ctx, harbor.ID, "Platform"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		partner int64
		want    string // the FieldError's message; empty for success
	}{
		{"  Fleet  ", harbor.ID, ""},
		{strings.Repeat("é", 100), harbor.ID, ""},
		{strings.Repeat("é", 101), harbor.ID, "Enter a team name (up to 100 characters)."},
		{"", harbor.ID, "Enter a team name (up to 100 characters)."},
		{" \t ", harbor.ID, "Enter a team name (up to 100 characters)."},
		{"PLATFORM", harbor.ID, "A team named PLATFORM exists already."},
		{"Platform", crane.ID, ""},
	} {
		team, err := svc.CreateTeam(ctx, tc.partner, tc.name)
		var in *apierr.FieldError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CreateTeam(%q) = %v, want it created", tc.name, err)
		case tc.want == "" && team.Name != strings.TrimSpace(tc.name):
			t.Errorf("CreateTeam(%q) named it %q, want it trimmed", tc.name, team.Name)
		case tc.want != "" && (!errors.As(err, &in) || in.Field != "name" || in.Message != tc.want):
			t.Errorf("CreateTeam(%q) = %v, want the name error %q", tc.name, err, tc.want)
		}
	}
	teams, _, _ := st.PartnerTeamsPage(ctx, harbor.ID, store.ListQuery{Limit: 10})
	if len(teams) != 3 || teams[0].Name != "Fleet" {
		t.Fatalf("harbor's teams = %+v, want Fleet first of 3", teams)
	}
	fleet := teams[0]
	// Renaming to another team's name is refused; to a change of case of
	// its own name is not.
	var in *apierr.FieldError
	if _, err := svc.RenameTeam(ctx, harbor.ID, fleet.ID, "platform"); !errors.As(err, &in) || in.Message != "A team named platform exists already." {
		t.Errorf("rename to a taken name = %v", err)
	}
	if team, err := svc.RenameTeam(ctx, harbor.ID, fleet.ID, "FLEET"); err != nil || team.Name != "FLEET" {
		t.Errorf("rename to the same name in capitals = %v, %v", team, err)
	}
	if _, err := svc.RenameTeam(ctx, crane.ID, fleet.ID, "Mine"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renaming another partner's team = %v, want ErrNotFound", err)
	}
	if _, _, err := svc.DeleteTeam(ctx, crane.ID, fleet.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting another partner's team = %v, want ErrNotFound", err)
	}
}

func TestTeamMembersStayInTheirPartner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	harborAdmin, _ := st.UserByEmail(ctx, "admin@harbor.test")
	harborDev, _ := st.UserByEmail(ctx, "dev@harbor.test")
	craneDev, _ := st.UserByEmail(ctx, "dev@crane.test")
	harbor, crane := *harborDev.PartnerID, *craneDev.PartnerID
	team, err := svc.CreateTeam(ctx, harbor, "Platform")
	if err != nil {
		t.Fatal(err)
	}

	if _, _, err := svc.AddTeamMember(ctx, harbor, team.ID, craneDev.ID); !errors.Is(err, people.ErrNoSuchMember) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("adding another partner's user = %v, want ErrNoSuchMember (a not-found)", err)
	}
	if _, _, err := svc.AddTeamMember(ctx, crane, team.ID, craneDev.ID); !errors.Is(err, store.ErrNotFound) || errors.Is(err, people.ErrNoSuchMember) {
		t.Errorf("adding to another partner's team = %v, want the team not found", err)
	}
	if _, _, err := svc.AddTeamMember(ctx, harbor, team.ID, 0); err == nil {
		t.Error("adding no one succeeded")
	}
	for _, u := range []*store.User{harborDev, harborAdmin} {
		if _, _, err := svc.AddTeamMember(ctx, harbor, team.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if tm, u, err := svc.AddTeamMember(ctx, harbor, team.ID, harborDev.ID); !errors.Is(err, people.ErrAlreadyInTeam) || tm == nil || u == nil {
		t.Errorf("adding twice = %v, want ErrAlreadyInTeam with the team and user named", err)
	}
	if _, err := svc.Remove(ctx, harbor, harborDev.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AddTeamMember(ctx, harbor, team.ID, harborDev.ID); !errors.Is(err, people.ErrNoSuchMember) {
		t.Errorf("adding a removed member = %v, want ErrNoSuchMember", err)
	}
	if _, _, err := svc.RemoveTeamMember(ctx, harbor, team.ID, harborDev.ID); !errors.Is(err, people.ErrNoSuchMember) {
		t.Errorf("removing a removed member from the team = %v, want ErrNoSuchMember", err)
	}
	deleted, n, err := svc.DeleteTeam(ctx, harbor, team.ID)
	if err != nil || deleted.Name != "Platform" || n != 1 {
		t.Errorf("DeleteTeam = %v, %d, %v; want Platform with its 1 active member", deleted, n, err)
	}
	if _, err := st.PartnerMember(ctx, harbor, harborAdmin.ID); err != nil {
		t.Errorf("the deleted team's member is no longer a member: %v", err)
	}
}

// TestAddingToATeamDoesNotRaceRemoval adds a member to a team while they are
// removed from the partner: whichever wins, no removed user is left in it.
func TestAddingToATeamDoesNotRaceRemoval(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	dev, _ := st.UserByEmail(ctx, "dev@harbor.test")
	partnerID := *dev.PartnerID
	team, err := svc.CreateTeam(ctx, partnerID, "Platform")
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 10; round++ {
		var wg sync.WaitGroup
		var addErr, removeErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _, addErr = svc.AddTeamMember(ctx, partnerID, team.ID, dev.ID)
		}()
		go func() {
			defer wg.Done()
			_, removeErr = svc.Remove(ctx, partnerID, dev.ID)
		}()
		wg.Wait()
		if removeErr != nil || (addErr != nil && !errors.Is(addErr, people.ErrNoSuchMember)) {
			t.Fatalf("round %d: add %v, remove %v", round, addErr, removeErr)
		}
		var n int
		if err := st.DB().Get(&n, `SELECT count(*) FROM team_memberships WHERE user_id = $1`, dev.ID); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("round %d: the removed member is still in %d team(s)", round, n)
		}
		if _, err := st.DB().Exec(`UPDATE users SET status = 'active' WHERE id = $1`, dev.ID); err != nil {
			t.Fatal(err)
		}
	}
}
