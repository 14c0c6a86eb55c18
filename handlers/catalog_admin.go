package handlers

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/openapi/samples"
	"github.com/portico/portico/views"
)

// bundledSpecs lists the documents shipped in openapi/samples.
func bundledSpecs() []string {
	entries, _ := fs.ReadDir(samples.FS, ".")
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".json") {
			names = append(names, n)
		}
	}
	return names
}

// uploadedSpec reads the document from the form: the uploaded file, or a
// bundled document by name. Too large an upload is a SpecError, not a 500.
func uploadedSpec(c echo.Context) ([]byte, error) {
	if name := c.FormValue("bundled"); name != "" {
		data, err := fs.ReadFile(samples.FS, name)
		if err != nil {
			return nil, &catalog.SpecError{Message: "There is no bundled document named " + name + "."}
		}
		return data, nil
	}
	fh, err := c.FormFile("spec")
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, &catalog.SpecError{Message: "The upload is larger than the 2 MiB limit for OpenAPI documents."}
		}
		return nil, &catalog.SpecError{Message: "Choose an OpenAPI document to upload."}
	}
	if fh.Size > catalog.MaxSpecSize {
		return nil, &catalog.SpecError{Message: "The upload is larger than the 2 MiB limit for OpenAPI documents."}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, catalog.MaxSpecSize+1))
}

// importForm shows the import form to staff.
func (h *Handler) importForm(c echo.Context) error {
	if err := h.authorize(c, access.ManageCatalog, 0); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.ImportAPI(views.ImportAPIPage{Page: h.page(c, "Import an API"), Bundled: bundledSpecs()}))
}

// importAPI creates an API from an uploaded or bundled document.
func (h *Handler) importAPI(c echo.Context) error {
	if err := h.authorize(c, access.ManageCatalog, 0); err != nil {
		return err
	}
	m := views.ImportAPIPage{Slug: c.FormValue("slug"), Name: c.FormValue("name"), Chosen: c.FormValue("bundled"), Bundled: bundledSpecs()}
	data, err := uploadedSpec(c)
	if err == nil {
		var imp *catalog.Imported
		imp, err = h.catalog.Create(c.Request().Context(), actorOf(currentUser(c)), m.Slug, m.Name, data)
		if err == nil {
			return h.redirectWithFlash(c, "/catalog/"+imp.API.Slug+"/revisions", "success",
				imp.API.Name+" was imported with "+plural(len(imp.Added), "operation")+".")
		}
	}
	var se *catalog.SpecError
	var in *apierr.FieldError
	switch {
	case errors.As(err, &se):
		m.SpecError = se.Message
	case errors.As(err, &in) && in.Field == "name":
		m.NameError = in.Message
	case errors.As(err, &in):
		m.SlugError = in.Message
	default:
		return err
	}
	m.Page = h.page(c, "Import an API")
	return h.render(c, http.StatusUnprocessableEntity, views.ImportAPI(m))
}

// apiForStaff loads the API named in the URL for a staff page.
func (h *Handler) apiForStaff(c echo.Context) (*store.API, error) {
	if err := h.authorize(c, access.ManageCatalog, 0); err != nil {
		return nil, err
	}
	api, err := h.store.APIBySlug(c.Request().Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("This API")
	}
	return api, err
}

// revisionsPageSize is how many revisions the history shows at once.
const revisionsPageSize = 20

func revisionsURL(slug string) string { return "/catalog/" + slug + "/revisions" }

// revisions shows an API's revision history and lifecycle forms.
func (h *Handler) revisions(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	return h.renderRevisions(c, http.StatusOK, api, views.RevisionsPage{})
}

func (h *Handler) renderRevisions(c echo.Context, status int, api *store.API, m views.RevisionsPage) error {
	// A form re-rendered after a refused change has no cursor: it shows
	// the newest revisions.
	q, err := pageQuery(c, store.RevisionsList, revisionsPageSize, brokenLink("revisions", "the API's revisions from the catalog"))
	if err != nil {
		return err
	}
	revs, more, err := h.store.RevisionsPage(c.Request().Context(), api.ID, q)
	if err != nil {
		return err
	}
	m.Pager.Label = "Revision pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.RevisionsList, q.After, revs, more, revisionsURL(api.Slug))
	m.Page, m.APIName, m.Slug, m.Status = h.page(c, api.Name), api.Name, api.Slug, api.Status
	if api.UpstreamURL != nil {
		m.Upstream = *api.UpstreamURL
		if m.UpstreamError == "" {
			m.UpstreamInput = m.Upstream
		}
	}
	m.MaxBodyBytes = api.MaxBodyBytes
	if m.BodyLimitError == "" {
		m.BodyLimitInput = strconv.FormatInt(api.MaxBodyBytes>>10, 10)
	}
	if api.SunsetAt != nil {
		m.Sunset = api.SunsetAt.UTC().Format("2 January 2006")
	}
	for _, r := range revs {
		row := views.RevisionRow{Revision: r.Revision, Version: r.Version, Imported: formatTime(r.ImportedAt), By: "the portal",
			Added: r.Added, Removed: r.Removed, Current: r.Revision == api.CurrentRevision}
		if r.ImporterName != nil {
			row.By = *r.ImporterName
		}
		m.Revisions = append(m.Revisions, row)
	}
	return h.render(c, status, views.Revisions(m))
}

// addRevision imports a new revision of an API.
func (h *Handler) addRevision(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	data, err := uploadedSpec(c)
	var imp *catalog.Imported
	if err == nil {
		imp, err = h.catalog.AddRevision(c.Request().Context(), actorOf(currentUser(c)), api.ID, data)
	}
	var se *catalog.SpecError
	if errors.As(err, &se) {
		return h.renderRevisions(c, http.StatusUnprocessableEntity, api, views.RevisionsPage{SpecError: se.Message})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/catalog/"+api.Slug+"/revisions", "success",
		"Revision "+itoa(imp.Revision)+" imported: "+plural(len(imp.Added), "operation")+" added, "+plural(len(imp.Removed), "operation")+" removed.")
}

// setAPIStatus activates, deprecates (with a sunset date) or retires an API.
func (h *Handler) setAPIStatus(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	var sunset *time.Time
	switch status {
	case store.APIActive, store.APIRetired:
	case store.APIDeprecated:
		t, perr := time.Parse("2006-01-02", c.FormValue("sunset"))
		if perr != nil {
			return h.renderRevisions(c, http.StatusUnprocessableEntity, api, views.RevisionsPage{StatusError: "A deprecated API needs a sunset date: the day it will be switched off."})
		}
		sunset = &t
	default:
		return h.renderRevisions(c, http.StatusUnprocessableEntity, api, views.RevisionsPage{StatusError: "Choose active, deprecated or retired."})
	}
	_, err = h.catalog.SetStatus(c.Request().Context(), api.ID, status, sunset)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.renderRevisions(c, http.StatusUnprocessableEntity, api, views.RevisionsPage{StatusError: in.Message})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/catalog/"+api.Slug+"/revisions", "success", api.Name+" is now "+status+".")
}

// setAPIUpstream sets or clears the URL live calls are proxied to.
func (h *Handler) setAPIUpstream(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	raw := c.FormValue("upstream")
	_, err = h.catalog.SetUpstream(c.Request().Context(), api.ID, raw)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.renderRevisions(c, http.StatusUnprocessableEntity, api, views.RevisionsPage{UpstreamError: in.Message, UpstreamInput: raw})
	}
	if err != nil {
		return err
	}
	msg := "Live calls to " + api.Name + " now go to " + strings.TrimSpace(raw) + "."
	if strings.TrimSpace(raw) == "" {
		msg = api.Name + " has no live upstream: live calls answer 503."
	}
	return h.redirectWithFlash(c, "/catalog/"+api.Slug+"/revisions", "success", msg)
}

// confirmDeleteAPI asks before deleting, or says which groups prevent it.
func (h *Handler) confirmDeleteAPI(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	m := views.DeleteAPIPage{Page: h.page(c, "Delete "+api.Name), APIName: api.Name, Slug: api.Slug}
	groups, err := h.store.GroupsIncludingAPI(c.Request().Context(), api.ID)
	if err != nil {
		return err
	}
	if len(groups) > 0 {
		m.Refusal = "Access groups still include this API: " + strings.Join(groups, ", ") + ". Remove it from them first."
	}
	return h.render(c, http.StatusOK, views.DeleteAPI(m))
}

// deleteAPI deletes an API no access group includes.
func (h *Handler) deleteAPI(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	err = h.catalog.Delete(c.Request().Context(), api.ID)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.render(c, http.StatusConflict, views.DeleteAPI(views.DeleteAPIPage{Page: h.page(c, "Delete "+api.Name), APIName: api.Name, Slug: api.Slug, Refusal: in.Message}))
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/catalog/import", "success", api.Name+" was deleted.")
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
