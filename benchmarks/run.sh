#!/usr/bin/env bash
# Runs the benchmark suite, keeps the raw output, summarises it with
# benchstat and regenerates docs/benchmarks.md and its chart from it.
#
#   ./run.sh                 # -count 6
#   COUNT=10 ./run.sh        # more samples
#   BENCH='Token|Gin' ./run.sh   # a subset (the report then lacks the other rows)
#   NOTE='...' ./run.sh      # a note on the conditions, printed in the report
#
# The report includes the HTTP load test's table, results/http.md, as the
# last ./loadtest.sh left it (it is a separate run: wrk and redis-server).
#
# Needs Go and the module proxy only. Run it on a quiet machine: times from a
# busy one are noisy (allocation counts are not).
set -euo pipefail
cd "$(dirname "$0")"

COUNT="${COUNT:-6}"
BENCH="${BENCH:-.}"
BENCHTIME="${BENCHTIME:-}"
NOTE="${NOTE:-}"
BENCHSTAT="golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

mkdir -p results
raw=results/latest.txt
summary=results/benchstat.txt
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

args=(-run '^$' -bench "$BENCH" -benchmem -count "$COUNT")
[ -n "$BENCHTIME" ] && args+=(-benchtime "$BENCHTIME")

echo "==> checking every row's setup (go test -run TestSetups)"
go test -count=1 -run '^TestSetups$' .

echo "==> go test ${args[*]} . (this takes a while)"
go test "${args[@]}" . | tee "$tmp"
# Keep the raw output only once the run has passed.
mv "$tmp" "$raw"

echo "==> benchstat"
go run "$BENCHSTAT" "$raw" > "$summary"
cat "$summary"

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
[ -n "$cpu" ] || cpu=$(grep -m1 '^cpu: ' "$raw" | cut -d' ' -f2- || true)
cores=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null || nproc)
gover=$(go version | sed 's/^go version //')
date=$(date -u '+%Y-%m-%d %H:%M UTC')

# results/core.md: the core package's own figures (verify against the floor,
# the cache at scale, the memory store's session size), measured with the
# commands it quotes and kept by hand; included verbatim.
core=()
[ -f results/core.md ] && core=(-core results/core.md)

echo "==> docs/benchmarks.md and results/chart.svg"
go run ./cmd/chart "${core[@]}" -in "$raw" -benchstat "$summary" -gomod go.mod \
  -md ../docs/benchmarks.md -svg results/chart.svg \
  -cpu "$cpu" -cores "$cores" -go "$gover" -date "$date" -count "$COUNT" -benchtime "$BENCHTIME" -note "$NOTE" \
  -http results/http.md
echo "done: $raw, $summary, results/chart.svg, ../docs/benchmarks.md"
