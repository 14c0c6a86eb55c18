// Command compress-assets writes a gzip (NAME.gz) and a brotli (NAME.br)
// copy of every stylesheet, script and SVG under the static directory, at
// the highest level each format has. The static package embeds them and
// serves the smallest one the browser accepts, so no CPU is spent
// compressing at request time and the best (slow) levels cost nothing.
//
// Run it through `make generate` (go generate ./static) after changing an
// asset; the static package's tests fail while a copy is missing or stale.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

func main() {
	dir := flag.String("dir", ".", "the static directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "compress-assets:", err)
		os.Exit(1)
	}
}

// Compressible reports whether the file at name gets compressed copies:
// text formats only (images other than SVG are compressed already).
func compressible(name string) bool {
	switch filepath.Ext(name) {
	case ".css", ".js", ".svg":
		return true
	}
	return false
}

// run works in an os.Root of dir, so that no symbolic link under dir
// makes it read or write outside.
func run(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible(p) {
			return err
		}
		data, err := root.ReadFile(p)
		if err != nil {
			return err
		}
		gz, err := gzipped(data)
		if err != nil {
			return fmt.Errorf("gzip %s: %w", p, err)
		}
		br, err := brotlied(data)
		if err != nil {
			return fmt.Errorf("brotli %s: %w", p, err)
		}
		for ext, b := range map[string][]byte{".gz": gz, ".br": br} {
			if err := writeIfChanged(root, p+ext, b); err != nil {
				return err
			}
		}
		fmt.Printf("%-60s %8d  gzip %8d  brotli %8d\n", p, len(data), len(gz), len(br))
		return nil
	})
}

func gzipped(data []byte) ([]byte, error) {
	var b bytes.Buffer
	// No name and a zero time in the header: the output depends on the
	// content only, so regenerating an unchanged asset changes nothing.
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func brotlied(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w := brotli.NewWriterLevel(&b, brotli.BestCompression)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeIfChanged leaves a file whose content is already right untouched,
// so its modification time (and make's view of it) does not move. A new
// one is 0644 like the asset it copies: both are committed and embedded.
func writeIfChanged(root *os.Root, name string, data []byte) error {
	if old, err := root.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return root.WriteFile(name, data, 0o644)
}
