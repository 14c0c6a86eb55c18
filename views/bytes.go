package views

import "strconv"

// Bytes writes a size in whole MiB when it is one, in KiB otherwise.
func Bytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}
