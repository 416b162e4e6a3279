// Command chart turns the raw output of the benchmarks module into
// docs/benchmarks.md and its SVG chart. Every figure, ratio and verdict is
// computed from the raw output; nothing is typed by hand. run.sh calls it.
//
//	go run ./cmd/chart -in results/latest.txt -md ../docs/benchmarks.md -svg results/chart.svg ...
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
)

func main() {
	in := flag.String("in", "results/latest.txt", "raw `go test -bench` output")
	md := flag.String("md", "../docs/benchmarks.md", "report to write")
	svg := flag.String("svg", "results/chart.svg", "chart to write")
	gomod := flag.String("gomod", "go.mod", "the benchmarks module's go.mod, for the versions")
	bstat := flag.String("benchstat", "", "benchstat's summary of the same output, included verbatim")
	core := flag.String("core", "", "a Markdown section with the core package's own figures (results/core.md), included verbatim before the versions")
	var m meta
	flag.StringVar(&m.raw, "link-raw", "../benchmarks/results/latest.txt", "the raw output, as linked from the report")
	flag.StringVar(&m.benchstatFile, "link-benchstat", "../benchmarks/results/benchstat.txt", "the benchstat summary, as linked from the report")
	flag.StringVar(&m.chart, "link-svg", "../benchmarks/results/chart.svg", "the chart, as linked from the report")
	flag.StringVar(&m.cpu, "cpu", "", "CPU model (default: go test's cpu line)")
	flag.StringVar(&m.cores, "cores", "?", "number of cores")
	flag.StringVar(&m.goVersion, "go", "?", "Go version")
	flag.StringVar(&m.date, "date", "?", "date of the run")
	flag.StringVar(&m.count, "count", "?", "-count of the run")
	flag.StringVar(&m.benchtime, "benchtime", "", "-benchtime of the run, if not the default")
	flag.StringVar(&m.note, "note", "", "a note on the conditions of the run")
	httpTable := flag.String("http", "", "the HTTP load test's table (loadtest.sh's results/http.md), included as it is when the file exists")
	flag.Parse()
	if *httpTable != "" {
		b, err := os.ReadFile(*httpTable)
		switch {
		case err == nil:
			m.http = string(b)
		case !errors.Is(err, fs.ErrNotExist):
			fmt.Fprintln(os.Stderr, "chart:", err)
			os.Exit(1)
		}
	}
	if *core != "" {
		b, err := os.ReadFile(*core)
		if err != nil {
			fmt.Fprintln(os.Stderr, "chart:", err)
			os.Exit(1)
		}
		m.core = string(b)
	}
	if err := generate(*in, *md, *svg, *gomod, *bstat, m); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func generate(in, md, svg, gomod, bstat string, m meta) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := parse(f)
	if err != nil {
		return err
	}
	measured := 0
	for _, res := range r.results {
		if res.measured() {
			measured++
		}
	}
	if measured == 0 {
		return fmt.Errorf("%s: no benchmark results", in)
	}
	m.goCPU = r.cpu
	if m.cpu == "" {
		m.cpu = r.cpu
	}
	mod, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	m.versions = moduleVersions(bytes.NewReader(mod))
	if bstat != "" {
		b, err := os.ReadFile(bstat)
		if err != nil {
			return err
		}
		m.benchstat = string(b)
	}
	var doc, pic bytes.Buffer
	writeReport(&doc, r, m)
	old, err := os.ReadFile(md)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc.Write(localSections(old))
	writeSVG(&pic, r, "pasetoauth and peers: time per operation (median, log scale), "+m.date)
	if err := os.WriteFile(md, doc.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(svg, pic.Bytes(), 0o644)
}

// localMarker starts the hand-kept sections at the end of the report:
// measurements of the library's own benchmarks (paseto, otelpaseto) that
// this run does not make. Regenerating the report keeps them as they are.
const localMarker = "<!-- Local sections: hand-kept below this line; benchmarks/cmd/chart keeps them when it regenerates the report. -->"

// localSections returns the hand-kept tail of the previous report, from
// localMarker on, or nothing.
func localSections(old []byte) []byte {
	i := bytes.Index(old, []byte(localMarker))
	if i < 0 {
		return nil
	}
	return append([]byte("\n"), old[i:]...)
}
