package api

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/textcheck"
)

// checkText refuses a decoded body holding a string PostgreSQL would
// refuse: "\u0000" decodes to a NUL character, which no text column takes
// (invalid UTF-8 never gets this far: encoding/json replaces it). It walks
// every string of v, in structs, pointers, slices and maps, and names the
// field by its JSON path (e.g. scopes[2]).
func checkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkText(v.Elem(), path)
		}
	case reflect.String:
		if p := textcheck.Text(v.String()); p != "" {
			return invalidInput(or(path, "body"), p)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := checkText(v.Field(i), join(path, name)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw JSON or bytes: checked by whoever parses them
		}
		for i := range v.Len() {
			if err := checkText(v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String {
				if p := textcheck.Line(k.String()); p != "" {
					return invalidInput(or(path, "body"), "has a key that "+p)
				}
			}
			if err := checkText(it.Value(), join(path, k.String())); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
