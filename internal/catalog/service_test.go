package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/pgtest"
)

const fleetV1 = `openapi: 3.0.3
info: {title: Fleet API, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"fleet:read": Read}}}}
security: [{portico: ["fleet:read"]}]
paths:
  /spreaders: {get: {operationId: listSpreaders, responses: {"200": {description: ok}}}}
  /spreaders/{id}: {get: {operationId: getSpreader, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
`

func TestImportAndRevisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	svc := catalog.NewService(st)
	am := access.Actor{}

	imp, err := svc.Create(ctx, am, "fleet", "", []byte(fleetV1))
	if err != nil {
		t.Fatal(err)
	}
	if imp.API.Name != "Fleet API" || imp.Revision != 1 {
		t.Errorf("created %q revision %d; want the document's title and revision 1", imp.API.Name, imp.Revision)
	}
	for _, tc := range []struct{ name, slug, doc, field string }{
		{"duplicate slug", "fleet", fleetV1, "slug"},
		{"bad slug", "Fleet API", fleetV1, "slug"},
		{"invalid document", "fleet2", "openapi: 3.0.3\ninfo: {title: x}\n", ""},
	} {
		_, err := svc.Create(ctx, am, tc.slug, "", []byte(tc.doc))
		var in *apierr.FieldError
		var se *catalog.SpecError
		switch {
		case tc.field != "" && (!errors.As(err, &in) || in.Field != tc.field):
			t.Errorf("%s: err = %v, want a FieldError on %s", tc.name, err, tc.field)
		case tc.field == "" && !errors.As(err, &se):
			t.Errorf("%s: err = %v, want a SpecError", tc.name, err)
		}
	}
	if apis, _ := st.ListAPIs(ctx); len(apis) != 1 {
		t.Errorf("%d APIs stored, want 1: refused imports must store nothing", len(apis))
	}

	v2 := strings.Replace(fleetV1, `"1.0.0"`, `"1.1.0"`, 1)
	v2 = strings.Replace(v2, "  /spreaders/{id}:", "  /spreaders/{id}/status: {get: {operationId: getStatus, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {\"200\": {description: ok}}}}\n  /unused/{id}:", 1)
	rev, err := svc.AddRevision(ctx, am, imp.API.ID, []byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	if rev.Revision != 2 {
		t.Errorf("revision = %d, want 2", rev.Revision)
	}
	if diff := cmp.Diff([]string{"GET /spreaders/{id}/status", "GET /unused/{id}"}, rev.Added); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GET /spreaders/{id}"}, rev.Removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	hist, err := st.Revisions(ctx, imp.API.ID)
	if err != nil || len(hist) != 2 || hist[0].Version != "1.1.0" || hist[1].Version != "1.0.0" {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	spec, cur, err := svc.Current(ctx, imp.API.ID)
	if err != nil || cur.Revision != 2 || len(spec.Operations) != 3 {
		t.Errorf("current = revision %v with %d operations (%v)", cur, len(spec.Operations), err)
	}
	if _, err := svc.AddRevision(ctx, am, imp.API.ID, []byte("not: [valid")); err == nil {
		t.Error("an invalid revision was accepted")
	}
	if hist, _ := st.Revisions(ctx, imp.API.ID); len(hist) != 2 {
		t.Errorf("a refused revision was stored")
	}
}

func TestDeleteRefusedWhileGroupsIncludeTheAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	svc := catalog.NewService(st)
	imp, err := svc.Create(ctx, access.Actor{}, "fleet", "Fleet", []byte(fleetV1))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Yard ops", "Analytics"} {
		g, err := st.CreateAccessGroup(ctx, name, "", 60, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetGroupAPI(ctx, g.ID, imp.API.ID, []string{"fleet:read"}); err != nil {
			t.Fatal(err)
		}
	}
	err = svc.Delete(ctx, imp.API.ID)
	var in *apierr.FieldError
	if !errors.As(err, &in) || !strings.Contains(in.Message, "Analytics, Yard ops") {
		t.Fatalf("Delete = %v, want a refusal listing Analytics, Yard ops", err)
	}
	if _, err := st.APIByID(ctx, imp.API.ID); err != nil {
		t.Errorf("the API is gone after a refused delete: %v", err)
	}
}
