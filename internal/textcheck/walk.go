package textcheck

import (
	"reflect"
	"strconv"
	"strings"
)

// Decoded checks every string of a value decoded from JSON (in structs,
// pointers, slices and maps) with Text, and map keys with Line. It returns
// the JSON path of the first bad one (e.g. "scopes[2]", "" for v itself)
// and its problem, or two empty strings. A JSON body needs this check after
// decoding: "\u0000" becomes a NUL only then (invalid UTF-8 never gets this
// far: encoding/json replaces it). Byte slices (json.RawMessage) are left
// to whoever parses them.
func Decoded(v any) (path, problem string) {
	return walk(reflect.ValueOf(v), "")
}

func walk(v reflect.Value, path string) (string, string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walk(v.Elem(), path)
		}
	case reflect.String:
		if p := Text(v.String()); p != "" {
			return path, p
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
			if p, prob := walk(v.Field(i), join(path, name)); prob != "" {
				return p, prob
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", ""
		}
		for i := range v.Len() {
			if p, prob := walk(v.Index(i), path+"["+strconv.Itoa(i)+"]"); prob != "" {
				return p, prob
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String {
				if p := Line(k.String()); p != "" {
					return path, "has a key that " + p
				}
				if p, prob := walk(it.Value(), join(path, k.String())); prob != "" {
					return p, prob
				}
			}
		}
	}
	return "", ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
