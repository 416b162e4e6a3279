package benchmarks

import "testing"

// allRows is every benchmark's rows, by benchmark.
var allRows = map[string][]row{
	"Floor": floorRows,
	"Token": tokenRows,
	"Gin":   ginRows,
	"Echo":  echoRows,
	"Fiber": fiberRows,
	"HTTP":  httpRows,
}

// TestSetups runs each row's check and a few timed operations without
// timing them: every setup must answer 200 (or verify) with the handler
// having run and seen the token's subject. Rows that cannot be measured are
// skipped with the reason.
func TestSetups(t *testing.T) {
	for bench, rows := range allRows {
		for _, r := range rows {
			t.Run(bench+"/"+r.name, func(t *testing.T) {
				f := r.setup(t)
				if err := f.check(); err != nil {
					t.Fatalf("check: %v", err)
				}
				for range 3 {
					if err := f.op(); err != nil {
						t.Fatalf("op: %v", err)
					}
				}
			})
		}
	}
}
