package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/pasetoauth/pasetoauth/benchmarks
cpu: Example CPU @ 3.00GHz
BenchmarkToken/v4.local/go-paseto.ParseV4Local-2   	   10000	     10000 ns/op	    7912 B/op	     103 allocs/op
BenchmarkToken/v4.local/go-paseto.ParseV4Local-2   	   10000	     12000 ns/op	    7912 B/op	     103 allocs/op
BenchmarkToken/v4.local/go-paseto.ParseV4Local-2   	   10000	     11000 ns/op	    7912 B/op	     103 allocs/op
BenchmarkToken/v4.local/pasetoauth-2   	   10000	      5000 ns/op	    2104 B/op	      15 allocs/op
BenchmarkToken/v4.local/pasetoauth-2   	   10000	      6000 ns/op	    2104 B/op	      15 allocs/op
BenchmarkToken/v4.local/pasetoauth+cache-2   	 1000000	       1200 ns/op	     288 B/op	       1 allocs/op
BenchmarkGin/bare-2   	 1000000	       300 ns/op	      96 B/op	       4 allocs/op
UNAVAILABLE	BenchmarkGin/ginpaseto.v4.local+cache	no cache knob
BenchmarkGin/ginpaseto.v4.local-2   	   30000	      6600 ns/op	    2536 B/op	      21 allocs/op
BenchmarkGin/gin-jwt.HS256-2   	   30000	      8800 ns/op	    4704 B/op	      90 allocs/op
PASS
`

func TestParse(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if r.cpu != "Example CPU @ 3.00GHz" {
		t.Errorf("cpu %q", r.cpu)
	}
	gp := r.byName["BenchmarkToken/v4.local/go-paseto.ParseV4Local"]
	if gp == nil || gp.nsOp() != 11000 || gp.allocsOp() != 103 || len(gp.ns) != 3 {
		t.Fatalf("go-paseto row %+v", gp)
	}
	if ours := r.byName["BenchmarkToken/v4.local/pasetoauth"]; ours.nsOp() != 5500 {
		t.Errorf("median of two samples %v, want 5500", ours.nsOp())
	}
	if c := r.byName["BenchmarkGin/ginpaseto.v4.local+cache"]; c == nil || c.measured() || c.skipped != "no cache knob" {
		t.Errorf("unavailable row %+v", c)
	}
	if got := spread(gp.ns); got < 0.18 || got > 0.19 {
		t.Errorf("spread %v, want 2000/11000", got)
	}
}

func TestEvaluate(t *testing.T) {
	r, _ := parse(strings.NewReader(sample))
	want := map[string]string{
		"v4.local Verifier ÷ go-paseto ParseV4Local":   "met",          // 5500/11000
		"v4.public Verifier ÷ go-paseto ParseV4Public": "not measured", // no rows
		"cached v4.local verify, ns/op":                "missed",       // 1200 ns
		"cached v4.local verify, allocs/op":            "met",
		"ginpaseto v4.local +cache ÷ gin-jwt.HS256":    "not measured",
	}
	got := map[string]verdict{}
	for _, q := range targets() {
		got[q.label] = evaluate(r, q)
	}
	for label, status := range want {
		v, ok := got[label]
		if !ok {
			t.Errorf("no target %q", label)
			continue
		}
		if v.status != status {
			t.Errorf("%s: %s (%v, %s), want %s", label, v.status, v.value, v.note, status)
		}
	}
	if v := got["v4.local Verifier ÷ go-paseto ParseV4Local"]; v.measured() != "0.50×" || v.target() != "≤ 1.10×" {
		t.Errorf("ratio shown as %s against %s", v.measured(), v.target())
	}
	if v := got["ginpaseto v4.local +cache ÷ gin-jwt.HS256"]; !strings.Contains(v.note, "no cache knob") {
		t.Errorf("unavailable row's reason not carried: %q", v.note)
	}
	if v := got["cached v4.local verify, ns/op"]; v.target() != "< 1.00 µs" {
		t.Errorf("target %q", v.target())
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "raw.txt")
	os.WriteFile(in, []byte(sample), 0o644)
	gomod := filepath.Join(dir, "go.mod")
	os.WriteFile(gomod, []byte("module x\n\nrequire (\n\tgithub.com/appleboy/gin-jwt/v3 v3.5.1\n\tgithub.com/gin-gonic/gin v1.12.0 // indirect\n)\n"), 0o644)
	md, svg := filepath.Join(dir, "b.md"), filepath.Join(dir, "c.svg")
	if err := generate(in, md, svg, gomod, "", meta{date: "today", count: "3"}); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(md)
	for _, want := range []string{
		"| CPU | Example CPU @ 3.00GHz |",
		"| v4.local Verifier ÷ go-paseto ParseV4Local | 0.50× | ≤ 1.10× | met |",
		"| `ginpaseto.v4.local+cache` | our adapter over a Guard whose Auth has the cache | not measured: no cache knob |",
		"| `gin-jwt.HS256` | appleboy/gin-jwt, defaults (header lookup, MapClaims) | 8.80 µs | 4704 | 90 | 0% | 1 |",
		"| github.com/appleboy/gin-jwt/v3 | v3.5.1 |",
		"| github.com/labstack/echo-jwt/v4 | not available |",
		"| ginpaseto v4.local (no cache) ÷ gin-jwt.HS256 | 0.75× |",
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if bytes.Contains(doc, []byte("```go")) {
		t.Error("report has a go block, which the root docs test would look for in the sources")
	}
	pic, _ := os.ReadFile(svg)
	d := xml.NewDecoder(bytes.NewReader(pic))
	rects := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "rect" {
			rects++
		}
	}
	// background + 5 legend swatches + one bar per measured row (6)
	if rects != 1+5+6 {
		t.Errorf("%d rects in the chart", rects)
	}
}

func TestGenerateRefusesEmptyOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "raw.txt")
	os.WriteFile(in, []byte("FAIL\n"), 0o644)
	err := generate(in, filepath.Join(dir, "b.md"), filepath.Join(dir, "c.svg"), in, "", meta{})
	if err == nil {
		t.Fatal("generated a report from output without results")
	}
}

// The echo v5 and fiber v3 rows are named like their v4 and v2 ones; the
// catalog tells them apart by benchmark.
const majorsSample = `cpu: Example CPU @ 3.00GHz
BenchmarkEcho/echo-jwt.HS256-2   	   10000	      9000 ns/op	    4568 B/op	      84 allocs/op
BenchmarkEchoV5/echov5paseto.v4.local+cache-2   	 1000000	      1200 ns/op	     304 B/op	       2 allocs/op
BenchmarkEchoV5/echov5paseto.v4.local-2   	   10000	      9000 ns/op	    2120 B/op	      16 allocs/op
BenchmarkEchoV5/echo-jwt.HS256-2   	   10000	     12000 ns/op	    4184 B/op	      81 allocs/op
BenchmarkFiberV3/fiberv3paseto.v4.local-2   	   10000	      8000 ns/op	    2152 B/op	      18 allocs/op
BenchmarkFiberV3/fiberv3paseto.v4.public+cache-2   	 1000000	      1000 ns/op	     336 B/op	       4 allocs/op
BenchmarkFiberV3/contrib-jwt.HS256-2   	   10000	     10000 ns/op	    4168 B/op	      80 allocs/op
UNAVAILABLE	BenchmarkFiberV3/contrib-paseto.v2.local	not served by the proxy
PASS
`

func TestMajors(t *testing.T) {
	r, err := parse(strings.NewReader(majorsSample))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"BenchmarkEcho/echo-jwt.HS256":             "labstack/echo-jwt, defaults (header lookup, MapClaims)",
		"BenchmarkEchoV5/echo-jwt.HS256":           "labstack/echo-jwt/v5, defaults (header lookup, MapClaims)",
		"BenchmarkFiber/contrib-jwt.HS256":         "gofiber/contrib jwt, defaults (header lookup, MapClaims)",
		"BenchmarkFiberV3/contrib-jwt.HS256":       "gofiber/contrib/v3 jwt, defaults (header lookup, MapClaims)",
		"BenchmarkFiberV3/contrib-paseto.v2.local": "gofiber/contrib/v3 paseto: PASETO v2 via o1egl/paseto, default validator",
		"BenchmarkEchoV5/echov5paseto.v4.local":    "our adapter over a Guard (Bearer header, memory-store session lookup)",
	} {
		if got := describe(name); got != want {
			t.Errorf("describe(%s) = %q, want %q", name, got, want)
		}
	}
	got := map[string]verdict{}
	for _, q := range append(targets(), informational()...) {
		got[q.label] = evaluate(r, q)
	}
	for label, want := range map[string]string{
		"echov5paseto v4.local +cache ÷ echo-jwt.HS256 (echo-jwt/v5)":     "met 0.10×",
		"echov5paseto v4.public +cache ÷ echo-jwt.HS256 (echo-jwt/v5)":    "not measured —",
		"fiberv3paseto v4.public +cache ÷ contrib-jwt.HS256 (contrib/v3)": "met 0.10×",
		"echov5paseto v4.local (no cache) ÷ echo-jwt.HS256 (echo-jwt/v5)": " 0.75×",
	} {
		v, ok := got[label]
		if !ok {
			t.Errorf("no ratio %q", label)
			continue
		}
		if s := v.status + " " + v.measured(); s != want {
			t.Errorf("%s: %q, want %q", label, s, want)
		}
	}
	if v := got["fiberv3paseto v4.local (no cache) ÷ contrib-paseto.v2.local (contrib/v3)"]; !strings.Contains(v.note, "not served by the proxy") {
		t.Errorf("unavailable peer's reason not carried: %+v", v)
	}

	dir := t.TempDir()
	in := filepath.Join(dir, "raw.txt")
	os.WriteFile(in, []byte(majorsSample), 0o644)
	gomod := filepath.Join(dir, "go.mod")
	os.WriteFile(gomod, []byte("module x\n\nrequire (\n\tgithub.com/labstack/echo-jwt/v5 v5.0.2\n\tgithub.com/labstack/echo/v5 v5.4.4 // indirect\n\tgithub.com/gofiber/fiber/v3 v3.1.0\n)\n"), 0o644)
	md := filepath.Join(dir, "b.md")
	if err := generate(in, md, filepath.Join(dir, "c.svg"), gomod, "", meta{}); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(md)
	for _, want := range []string{
		"### echo v5: protected GET",
		"### fiber v3: protected GET",
		"| `echo-jwt.HS256` | labstack/echo-jwt/v5, defaults (header lookup, MapClaims) | 12.00 µs | 4184 | 81 | 0% | 1 |",
		"| `contrib-paseto.v2.local` | gofiber/contrib/v3 paseto: PASETO v2 via o1egl/paseto, default validator | not measured: not served by the proxy |",
		"| github.com/labstack/echo-jwt/v5 | v5.0.2 | `EchoV5/echo-jwt…` |",
		"| github.com/gofiber/contrib/v3/paseto | not available | `FiberV3/contrib-paseto…` |",
		"| github.com/labstack/echo/v5 | v5.4.4 | |",
		"| github.com/gofiber/fiber/v3 | v3.1.0 | |",
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// The hand-kept sections after localMarker survive a regeneration; a
// report without them gets none.
func TestLocalSectionsKept(t *testing.T) {
	old := []byte("# Benchmarks\n\ngenerated\n\n" + localMarker + "\n\n## Local: observer cost\n\nkept\n")
	if got := string(localSections(old)); got != "\n"+localMarker+"\n\n## Local: observer cost\n\nkept\n" {
		t.Errorf("kept %q", got)
	}
	if got := localSections([]byte("# Benchmarks\n\ngenerated\n")); got != nil {
		t.Errorf("kept %q from a report without local sections", got)
	}
}

// The core's own figures are included verbatim, before the versions.
func TestGenerateIncludesCore(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "raw.txt")
	os.WriteFile(in, []byte(sample), 0o644)
	gomod := filepath.Join(dir, "go.mod")
	os.WriteFile(gomod, []byte("module x\n"), 0o644)
	md, svg := filepath.Join(dir, "b.md"), filepath.Join(dir, "c.svg")
	core := "## Inside the core\n\n| what | before | after |\n|---|---|---|\n| B/entry | 1483 | 318 |\n\n"
	if err := generate(in, md, svg, gomod, "", meta{date: "today", count: "3", core: core}); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(md)
	at, versions := bytes.Index(doc, []byte(strings.TrimSpace(core))), bytes.Index(doc, []byte("## Versions"))
	if at < 0 || versions < 0 || at > versions {
		t.Fatalf("core section at %d, versions at %d:\n%s", at, versions, doc)
	}
}
