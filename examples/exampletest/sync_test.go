package exampletest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSharedFilesInSync checks that the framework-independent files of the
// examples are the same everywhere, so that each example stays a complete
// template and a fix in one reaches them all.
func TestSharedFilesInSync(t *testing.T) {
	for _, name := range []string{"backend.go", "users.go"} {
		paths, err := filepath.Glob(filepath.Join("..", "*", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) < 4 { // gin, echo, fiber, nethttp at least
			t.Fatalf("found %d examples with %s, want every example to have it", len(paths), name)
		}
		want, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths[1:] {
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s: edit both (cp %s %s)", p, paths[0], paths[0], p)
			}
		}
	}
}
