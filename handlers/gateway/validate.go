package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Validation options: the body is read only when it has a schema.
var (
	withBody    = openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	withoutBody = openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}
)

// validate checks the request against the operation's parameters and body.
func (g *Gateway) validate(r *http.Request, op *operation, rest string, params map[string]string) error {
	if op.route.Operation == nil {
		return nil
	}
	orig := r.URL.Path
	r.URL.Path = rest // the document's paths are relative to the API
	defer func() { r.URL.Path = orig }()
	opts := &withBody
	if !op.bodySchema {
		// Nothing to check in the body: leave it unread, to be streamed.
		opts = &withoutBody
		if rb := op.route.Operation.RequestBody; rb != nil && rb.Value != nil && rb.Value.Required && r.ContentLength == 0 {
			//lint:ignore ST1005 the caller answers it as the JSON error's message, a sentence
			return errors.New("The request body is invalid: value is required but missing")
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: op.check, Options: opts}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		return nil
	}
	return errors.New(validationMessage(err))
}

// validationMessage names the offending parameter or body field.
func validationMessage(err error) string {
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		var se *openapi3.SchemaError
		detail := re.Reason
		if errors.As(re.Err, &se) {
			detail = se.Reason
			if ptr := se.JSONPointer(); len(ptr) > 0 && re.Parameter == nil {
				return "Request body field " + strings.Join(ptr, ".") + ": " + detail
			}
		} else if detail == "" && re.Err != nil {
			detail = re.Err.Error()
		}
		if re.Parameter != nil {
			return fmt.Sprintf("The %s parameter %q is invalid: %s", re.Parameter.In, re.Parameter.Name, detail)
		}
		if re.RequestBody != nil {
			return "The request body is invalid: " + detail
		}
		return detail
	}
	var se *openapi3filter.SecurityRequirementsError
	if errors.As(err, &se) {
		return "The request does not meet the API's security requirements."
	}
	return "The request does not match the API's document."
}
