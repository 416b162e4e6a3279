package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A result is every sample of one benchmark row in the raw output.
type result struct {
	name    string // without the -GOMAXPROCS suffix
	ns      []float64
	bytes   []float64
	allocs  []float64
	skipped string // why the row could not be measured, if it was not
}

// run is a parsed `go test -bench` output.
type run struct {
	cpu     string // the "cpu:" line of go test
	results []*result
	byName  map[string]*result
}

func (r *run) get(name string) *result {
	if res, ok := r.byName[name]; ok {
		return res
	}
	res := &result{name: name}
	r.byName[name] = res
	r.results = append(r.results, res)
	return res
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads raw `go test -bench -benchmem` output (any number of -count
// repetitions) and the UNAVAILABLE lines the benchmarks print for rows they
// cannot measure.
func parse(in io.Reader) (*run, error) {
	r := &run{byName: map[string]*result{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "cpu: "):
			r.cpu = strings.TrimSpace(strings.TrimPrefix(line, "cpu: "))
		case strings.HasPrefix(line, "UNAVAILABLE\t"):
			f := strings.SplitN(line, "\t", 3)
			if len(f) == 3 {
				res := r.get(f[1])
				if len(res.ns) == 0 {
					res.skipped = f[2]
				}
			}
		case strings.HasPrefix(line, "Benchmark"):
			parseBenchLine(r, line)
		}
	}
	return r, sc.Err()
}

// parseBenchLine reads "BenchmarkX/y-2  N  v ns/op  v B/op  v allocs/op".
func parseBenchLine(r *run, line string) {
	f := strings.Fields(line)
	if len(f) < 4 {
		return
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return
	}
	var ns, b, a float64 = -1, -1, -1
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return
		}
		switch f[i+1] {
		case "ns/op":
			ns = v
		case "B/op":
			b = v
		case "allocs/op":
			a = v
		}
	}
	if ns < 0 {
		return
	}
	res := r.get(procSuffix.ReplaceAllString(f[0], ""))
	res.skipped = ""
	res.ns = append(res.ns, ns)
	if b >= 0 {
		res.bytes = append(res.bytes, b)
	}
	if a >= 0 {
		res.allocs = append(res.allocs, a)
	}
}

// median of xs, or -1 when there are none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is (max-min)/median of xs, the samples' relative range.
func spread(xs []float64) float64 {
	m := median(xs)
	if m <= 0 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / m
}

func (r *result) measured() bool { return len(r.ns) > 0 }
func (r *result) nsOp() float64  { return median(r.ns) }
func (r *result) bOp() float64   { return median(r.bytes) }
func (r *result) allocsOp() float64 {
	return median(r.allocs)
}

// group is the top-level benchmark of a row ("BenchmarkGin"), and leaf the
// rest of its name ("ginpaseto.v4.local").
func group(name string) string {
	g, _, _ := strings.Cut(name, "/")
	return g
}

func leaf(name string) string {
	_, l, _ := strings.Cut(name, "/")
	return l
}
