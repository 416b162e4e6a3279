package pasetoauth_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// TestDocsCodeCompiles keeps README and docs honest: every ```go block must
// appear, line for line (indentation aside), in a Go file of the repository
// that the build or the tests compile: an Example function, an example
// program or the library itself.
func TestDocsCodeCompiles(t *testing.T) {
	var sources []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, "\n"+strings.Join(normalize(string(b)), "\n")+"\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob("docs/*.md")
	examples, _ := filepath.Glob("examples/*/README.md")
	docs = append(append(docs, examples...), "README.md")
	fence := regexp.MustCompile("(?s)```go\n(.*?)```")
	blocks := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range fence.FindAllStringSubmatch(string(b), -1) {
			blocks++
			want := "\n" + strings.Join(normalize(m[1]), "\n") + "\n"
			found := false
			for _, src := range sources {
				if strings.Contains(src, want) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s: go block %d is not in any compiled Go file:\n%s", doc, i+1, m[1])
			}
		}
	}
	t.Logf("%d go blocks in %d documents checked against compiled sources", blocks, len(docs))
}

func normalize(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestErrorReferenceComplete: every error code the package can answer with
// is documented in docs/errors.md.
func TestErrorReferenceComplete(t *testing.T) {
	b, err := os.ReadFile("docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []error{
		paseto.ErrMissingToken, paseto.ErrMalformed, paseto.ErrInvalid, paseto.ErrInvalidClaims,
		paseto.ErrExpired, paseto.ErrNotYetValid, paseto.ErrIssuer, paseto.ErrAudience,
		paseto.ErrWrongType, paseto.ErrNotFresh, paseto.ErrRevoked, paseto.ErrStoreUnavailable,
		paseto.ErrRefreshReused, paseto.ErrSessionExpired, paseto.ErrCSRF, paseto.ErrInsufficientScope,
	} {
		if code := paseto.Code(e); !strings.Contains(string(b), "`"+code+"`") {
			t.Errorf("docs/errors.md does not document %s", code)
		}
	}
}
