package handlers

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/textcheck"
)

// checkInput refuses, with 400 naming the field, a request whose path,
// path parameters, query or form (URL-encoded or multipart) carries a NUL character or
// invalid UTF-8 (or, in a path parameter, any control character).
// PostgreSQL refuses such text, so unchecked it failed deep inside a query
// as a 500. JSON bodies are checked where they are decoded (handlers/api),
// the form values of multipart bodies here too (their files by the domain).
func (h *Handler) checkInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		names, values := c.ParamNames(), c.ParamValues()
		for i, name := range names {
			if i < len(values) {
				if p := textcheck.Line(values[i]); p != "" {
					return inputError(name, p)
				}
			}
		}
		r := c.Request()
		if p := textcheck.Text(r.URL.Path); p != "" {
			return inputError("path", p)
		}
		if err := checkValues(c.QueryParams()); err != nil {
			return err
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil {
			return next(c)
		}
		var form map[string][]string
		switch mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mt {
		case echo.MIMEApplicationForm:
			if err := r.ParseForm(); err != nil {
				return formError(err)
			}
			form = r.PostForm
		case echo.MIMEMultipartForm:
			if _, own := ownBodyLimit[c.Path()]; own {
				// Document uploads: their handlers read the form after
				// authentication and name a file too large; the domain
				// checks their fields.
				return next(c)
			}
			// Parsed here once (limitBodies bounds it); handlers reuse it.
			if err := r.ParseMultipartForm(defaultBodyLimit); err != nil {
				return formError(err)
			}
			form = r.MultipartForm.Value
		default:
			return next(c)
		}
		if err := checkValues(form); err != nil {
			return err
		}
		return next(c)
	}
}

// formError is the answer to a form that could not be read: over the
// body limit, the reader's error itself (limitBodies answers 413).
func formError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return BadRequest("The form could not be read.")
}

func checkValues(vs map[string][]string) error {
	for k, list := range vs {
		if p := textcheck.Line(k); p != "" {
			return &Error{Status: http.StatusBadRequest, Code: "invalid_input", Message: "A parameter name " + p}
		}
		for _, v := range list {
			if p := textcheck.Text(v); p != "" {
				return inputError(k, p)
			}
		}
	}
	return nil
}

// inputError names the field (cut short: it may come from the request) and
// its problem, never the value.
func inputError(field, problem string) *Error {
	if len(field) > 64 {
		field = field[:64]
	}
	return &Error{Status: http.StatusBadRequest, Code: "invalid_input", Message: "The field " + strconv.Quote(field) + " " + problem}
}
