package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// widgets is an imported API with no hand-written backend, using the
// schema keywords the generator respects.
const widgets31 = `
openapi: 3.1.0
info: {title: Widgets, version: "1.0"}
servers: [{url: /sandbox/widgets}]
security: [{oauth: ["widgets:read"]}]
paths:
  /widgets:
    get:
      operationId: listWidgets
      parameters:
        - {name: kind, in: query, schema: {type: string}}
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items, total]
                additionalProperties: false
                properties:
                  items: {type: array, minItems: 2, maxItems: 4, items: {$ref: "#/components/schemas/Widget"}}
                  total: {type: integer, format: int32, minimum: 0}
    post:
      operationId: createWidget
      security: [{oauth: ["widgets:write"]}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string}}}
      responses:
        "202": {description: Queued.}
        "201":
          description: Created.
          headers:
            Location: {required: true, schema: {type: string, format: uri-reference}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Widget"}
        "400": {description: Bad.}
  /widgets/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
    get:
      operationId: getWidget
      responses:
        "200":
          description: One widget, from the examples.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Label"}
              examples:
                red: {value: {code: RED-01, text: Red}}
                blue: {value: {code: BLU-02, text: Blue}}
    delete:
      operationId: deleteWidget
      security: [{oauth: ["widgets:write"]}]
      responses:
        "204": {description: Gone.}
  /ping:
    get:
      operationId: ping
      responses:
        2XX:
          description: Pong.
          content:
            text/plain:
              schema: {type: string}
              example: pong
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth/token
          scopes: {"widgets:read": Read., "widgets:write": Write.}
  schemas:
    Label:
      type: object
      required: [code, text]
      additionalProperties: false
      properties:
        code: {type: string, pattern: "^[A-Z]{3}-[0-9]{2}$"}
        text: {type: string, minLength: 1}
    Base:
      type: object
      required: [id, created_at]
      properties:
        id: {type: string, format: uuid}
        created_at: {type: string, format: date-time}
    Circle:
      type: object
      required: [shape, radius]
      properties:
        shape: {type: string}
        radius: {type: number, exclusiveMinimum: 0, maximum: 5}
    Square:
      type: object
      required: [shape, side]
      properties:
        shape: {type: string}
        side: {type: integer, multipleOf: 5, minimum: 5, maximum: 50}
    Widget:
      allOf:
        - $ref: "#/components/schemas/Base"
        - type: object
          required: [email, homepage, day, count, big, ratio, tags, status, code, owner, parts, name, note, label, shape, at]
          properties:
            email: {type: string, format: email}
            homepage: {type: string, format: uri}
            day: {type: string, format: date}
            at: {type: string, format: time}
            count: {type: integer, format: int32, minimum: 1, maximum: 10}
            big: {type: integer, format: int64, minimum: 5000000000}
            ratio: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}
            tags: {type: array, minItems: 2, maxItems: 3, uniqueItems: true, items: {type: string, enum: [a, b, c, d]}}
            status: {type: string, enum: [draft, live, retired]}
            code: {type: string, pattern: "^W[0-9]{3}-[a-f]{2,4}$"}
            owner: {$ref: "#/components/schemas/Person"}
            parts: {type: array, minItems: 1, maxItems: 2, items: {$ref: "#/components/schemas/Part"}}
            name: {type: string, minLength: 3, maxLength: 5}
            note: {type: [string, "null"], maxLength: 10}
            label: {$ref: "#/components/schemas/Label"}
            serial: {type: string, examples: [SN-1, SN-2]}
            secret: {type: string, writeOnly: true}
            shape:
              oneOf: [{$ref: "#/components/schemas/Circle"}, {$ref: "#/components/schemas/Square"}]
              discriminator: {propertyName: shape, mapping: {round: "#/components/schemas/Circle"}}
            extra: {type: object, additionalProperties: {type: integer, minimum: 7, maximum: 7}}
    Person:
      type: object
      required: [name, contact]
      additionalProperties: false
      properties:
        name: {type: string, maxLength: 40}
        contact:
          type: object
          required: [email]
          properties:
            email: {type: string, format: email}
            ip: {type: string, format: ipv4}
    Part:
      type: object
      required: [sku, qty]
      properties:
        sku: {type: string, format: uuid}
        qty: {type: integer, minimum: 1, maximum: 3}
`

// widgets30 is the same idea in OpenAPI 3.0: nullable and boolean
// exclusive bounds.
const widgets30 = `
openapi: 3.0.3
info: {title: Widgets, version: "1.0"}
servers: [{url: /sandbox/legacy}]
security: [{oauth: ["legacy:read"]}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: Things.
          content:
            application/json:
              schema:
                type: array
                maxItems: 5
                items:
                  type: object
                  required: [id, score, maybe]
                  properties:
                    id: {type: integer, format: int64, minimum: 1}
                    score: {type: number, minimum: 0, maximum: 10, exclusiveMinimum: true, exclusiveMaximum: true}
                    maybe: {type: string, nullable: true, format: date-time}
                    bits: {type: string, format: byte}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth/token
          scopes: {"legacy:read": Read.}
`

func TestGeneratedResponses(t *testing.T) {
	t.Parallel()
	w31, err := parseAPI("widgets", []byte(widgets31))
	if err != nil {
		t.Fatal(err)
	}
	w30, err := parseAPI("legacy", []byte(widgets30))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fixedNow)
	a, b := e.partner(t), e.partner(t)
	const id = "9b2f9f0e-8a7d-4c55-9b8f-2f4d6a1c3e70"
	for _, tc := range []struct {
		name         string
		api          *api
		method, path string
		body         string
		status       int
		contentType  string
	}{
		{"list", w31, "GET", "/widgets", "", 200, "application/json"},
		{"list filtered", w31, "GET", "/widgets?kind=big", "", 200, "application/json"},
		{"lowest 2xx, required header", w31, "POST", "/widgets", `{"name":"x"}`, 201, "application/json"},
		{"examples", w31, "GET", "/widgets/" + id, "", 200, "application/json"},
		{"no content", w31, "DELETE", "/widgets/" + id, "", 204, ""},
		{"2XX and text", w31, "GET", "/ping", "", 200, "text/plain"},
		{"OpenAPI 3.0", w30, "GET", "/things", "", 200, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 20 { // 20 partners: the random choices vary, validity must not
				p := a
				if i > 0 {
					p = e.partner(t)
				}
				res := e.call(t, tc.api, p, tc.method, tc.path, tc.body)
				if res.status != tc.status || res.header.Get("Content-Type") != tc.contentType {
					t.Fatalf("%s %s = %d %q, want %d %q: %s", tc.method, tc.path, res.status, res.header.Get("Content-Type"), tc.status, tc.contentType, res.body)
				}
			}
			first := e.call(t, tc.api, a, tc.method, tc.path, tc.body)
			again := e.call(t, tc.api, a, tc.method, tc.path, tc.body)
			if !bytes.Equal(first.body, again.body) || first.header.Get("Location") != again.header.Get("Location") {
				t.Errorf("the same call answered differently:\n%s\n%s", first.body, again.body)
			}
		})
	}

	t.Run("examples are used", func(t *testing.T) {
		seen := map[string]bool{}
		for range 12 {
			var got map[string]any
			e.call(t, w31, e.partner(t), "GET", "/widgets/"+id, "").decode(t, &got)
			seen[got["code"].(string)+" "+got["text"].(string)] = true
		}
		if diff := cmp.Diff(map[string]bool{"RED-01 Red": true, "BLU-02 Blue": true}, seen); diff != "" {
			t.Errorf("bodies answered (-the examples +got):\n%s", diff)
		}
		if got := string(e.call(t, w31, a, "GET", "/ping", "").body); got != "pong" {
			t.Errorf("GET /ping = %q, want the example", got)
		}
	})

	t.Run("varies by partner and request", func(t *testing.T) {
		x := e.call(t, w31, a, "GET", "/widgets", "").body
		if y := e.call(t, w31, b, "GET", "/widgets", "").body; bytes.Equal(x, y) {
			t.Error("two partners got the same widgets")
		}
		if y := e.call(t, w31, a, "GET", "/widgets?kind=big", "").body; bytes.Equal(x, y) {
			t.Error("another query got the same widgets")
		}
	})

	t.Run("respects the keywords", func(t *testing.T) {
		var page struct {
			Items []map[string]any `json:"items"`
		}
		e.call(t, w31, a, "GET", "/widgets", "").decode(t, &page)
		uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
		for _, w := range page.Items {
			if _, err := time.Parse(time.RFC3339, w["created_at"].(string)); err != nil {
				t.Errorf("created_at: %v", err)
			}
			if !uuid.MatchString(w["id"].(string)) {
				t.Errorf("id %q is not a UUID", w["id"])
			}
			if !strings.Contains(w["email"].(string), "@") {
				t.Errorf("email %q", w["email"])
			}
			if _, ok := w["secret"]; ok {
				t.Error("a writeOnly property is answered")
			}
			if s := w["serial"]; s != "SN-1" && s != "SN-2" {
				t.Errorf("serial %v is not one of its examples", s)
			}
			shape := w["shape"].(map[string]any)
			if shape["shape"] != "round" {
				t.Errorf("shape's discriminator = %v, want the mapping's key", shape["shape"])
			}
			if big := w["big"].(float64); big < 5000000000 {
				t.Errorf("big = %v", big)
			}
		}
		b, _ := json.Marshal(page)
		t.Logf("%s", b)
	})
}

// hugeCounts asks for more items, characters and properties than any
// answer could hold: 2^63, which int() turns negative.
const hugeCounts = `
openapi: 3.1.0
info: {title: Huge, version: "1.0"}
servers: [{url: /sandbox/huge}]
security: [{oauth: ["huge:read"]}]
paths:
  /huge:
    get:
      operationId: getHuge
      responses:
        "200":
          description: Too much.
          content:
            application/json:
              schema:
                type: object
                required: [list, text, map]
                properties:
                  list: {type: array, minItems: 9223372036854775808, items: {type: string, enum: [x]}}
                  text: {type: string, minLength: 9223372036854775808}
                  map: {type: object, minProperties: 9223372036854775808, additionalProperties: {type: integer, enum: [1]}}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth/token
          scopes: {"huge:read": Read.}
`

// TestGeneratedHugeCounts: counts no answer can honour give maxCount
// items, characters and properties rather than a panic (or an answer
// that never ends).
func TestGeneratedHugeCounts(t *testing.T) {
	t.Parallel()
	a, err := parseAPI("huge", []byte(hugeCounts))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/sandbox/huge/huge", nil)
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	New(nil).Serve(rec, req, Request{PartnerID: 1, API: a.slug, Spec: a.doc, Route: route, PathParams: params})
	var got struct {
		List []string       `json:"list"`
		Text string         `json:"text"`
		Map  map[string]int `json:"map"`
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %.300s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if n := len(got.List); n < maxCount || n > maxCount+2 {
		t.Errorf("list has %d items, want %d to %d", n, maxCount, maxCount+2)
	}
	if n := len(got.Text); n < maxCount || n > maxCount+20 {
		t.Errorf("text has %d characters, want %d and a word more at most", n, maxCount)
	}
	if n := len(got.Map); n != maxCount {
		t.Errorf("map has %d properties, want %d", n, maxCount)
	}
}
