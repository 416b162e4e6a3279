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
