#!/usr/bin/env bash
# The HTTP load test: GET /protected over real HTTP with wrk, on the gin,
# echo and fiber examples (memory store, Redis store, Redis store with its
# live cache) and on a peer server for each framework (cmd/peer: gin-jwt,
# echo-jwt, gofiber/contrib/jwt, HS256, same JSON body). One run,
# interleaved: every round runs every server once, in the same order, so
# that a machine that gets busier or quieter affects them all alike. It
# prints, and writes to results/http.md, the median requests/s and p99
# latency of each server over the rounds, with ratios.
#
#   ./loadtest.sh                         # 3 rounds of 5 s per server
#   ROUNDS=5 DURATION=10 ./loadtest.sh
#   CONNS=32 THREADS=2 ./loadtest.sh      # wrk -c and -t (default 16 and 1)
#   FRAMEWORKS='gin fiber' ./loadtest.sh
#   NOTE='...' ./loadtest.sh              # a note on the conditions, printed in the report
#
# Needs Go, wrk (apt-get install wrk) and redis-server (apt-get install
# redis-server), on loopback only. The servers listen on 127.0.0.1 from
# BASE_PORT (default 18400) up; each example runs with ephemeral keys, and
# its token comes from POST /login as the demo user test.
set -euo pipefail
cd "$(dirname "$0")"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
CONNS="${CONNS:-16}"
THREADS="${THREADS:-1}"
FRAMEWORKS="${FRAMEWORKS:-gin echo fiber}"
BASE_PORT="${BASE_PORT:-18400}"
LIVE_CACHE="${LIVE_CACHE:-1s}"
NOTE="${NOTE:-}"

for bin in wrk redis-server curl; do
	command -v "$bin" >/dev/null || { echo "loadtest.sh: $bin not found (apt-get install $bin)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

port=$BASE_PORT
free_port() {
	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
	echo "$port"
	port=$((port + 1))
}

# wait_http URL: until it answers (any status), for at most 20 s.
wait_http() {
	for _ in $(seq 200); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "loadtest.sh: $1 does not answer" >&2
	return 1
}

echo "==> building"
for fw in $FRAMEWORKS; do
	(cd .. && go build -o "$work/$fw" "./examples/$fw")
done
go build -o "$work/peer" ./cmd/peer

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$work" --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 100); do
	redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
	sleep 0.1
done
redis_url="redis://127.0.0.1:$redis_port/0"

# names[i], urls[i], tokens[i]: the servers, in the order every round runs them.
names=()
urls=()
tokens=()

start_example() { # name framework env...
	local name=$1 fw=$2
	shift 2
	local p
	p=$(free_port)
	env PORT="$p" "$@" "$work/$fw" >"$work/${name////_}.log" 2>&1 &
	pids+=($!)
	wait_http "http://127.0.0.1:$p/protected"
	local tok
	tok=$(curl -s -X POST -H 'Content-Type: application/json' \
		-d '{"username":"test","password":"test"}' "http://127.0.0.1:$p/login" |
		sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] || { echo "loadtest.sh: no token from $name; log:" >&2; cat "$work/${name////_}.log" >&2; exit 1; }
	names+=("$name")
	urls+=("http://127.0.0.1:$p/protected")
	tokens+=("$tok")
}

start_peer() { # name framework
	local name=$1 fw=$2 p
	p=$(free_port)
	"$work/peer" -framework "$fw" -port "$p" >"$work/${name////_}.log" 2>&1 &
	pids+=($!)
	wait_http "http://127.0.0.1:$p/protected"
	local tok
	tok=$(sed -n 's/^token //p' "$work/${name////_}.log")
	names+=("$name")
	urls+=("http://127.0.0.1:$p/protected")
	tokens+=("$tok")
}

echo "==> starting servers"
for fw in $FRAMEWORKS; do
	start_example "$fw/memory" "$fw"
	start_example "$fw/redis" "$fw" REDIS_URL="$redis_url"
	start_example "$fw/redis+live-cache" "$fw" REDIS_URL="$redis_url" REDIS_LIVE_CACHE="$LIVE_CACHE"
	case $fw in
	gin) start_peer "gin/gin-jwt" gin ;;
	echo) start_peer "echo/echo-jwt" echo ;;
	fiber) start_peer "fiber/contrib-jwt" fiber ;;
	esac
done

# Every server must answer 200 with the same JSON keys before timing.
for i in "${!names[@]}"; do
	body=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer ${tokens[$i]}" "${urls[$i]}")
	case $body in
	*' 200') ;;
	*) echo "loadtest.sh: ${names[$i]} answered $body" >&2; exit 1 ;;
	esac
	keys=$(echo "$body" | grep -o '"[a-z_]*":' | sort | tr -d '\n')
	[ "$keys" = '"expires_at":"fresh":"scopes":"user":' ] ||
		{ echo "loadtest.sh: ${names[$i]} answered other keys: $body" >&2; exit 1; }
done

raw=results/http-raw.txt
: >"$work/raw"
echo "==> $ROUNDS rounds of ${DURATION}s per server, wrk -t$THREADS -c$CONNS, interleaved"
for r in $(seq "$ROUNDS"); do
	for i in "${!names[@]}"; do
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
			-H "Authorization: Bearer ${tokens[$i]}" "${urls[$i]}")
		if echo "$out" | grep -q 'Non-2xx'; then
			echo "loadtest.sh: ${names[$i]} answered errors under load:" >&2
			echo "$out" >&2
			exit 1
		fi
		rps=$(echo "$out" | awk '/^Requests\/sec:/{print $2}')
		p99=$(echo "$out" | awk '$1=="99%"{print $2}')
		echo "round $r ${names[$i]} $rps $p99" | tee -a "$work/raw"
	done
done
mkdir -p results
cp "$work/raw" "$raw"

# p99 in microseconds, from wrk's 1.23ms / 456.78us / 1.2s.
summary=$(awk '
function us(v) {
	if (v ~ /us$/) { sub(/us$/, "", v); return v + 0 }
	if (v ~ /ms$/) { sub(/ms$/, "", v); return v * 1000 }
	if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000000 }
	return v + 0
}
{ name = $3; n[name]++; rps[name, n[name]] = $4; p99[name, n[name]] = us($5); if (!(name in seen)) { seen[name] = 1; order[++k] = name } }
function median(a, name, c,   i, j, t, v) {
	for (i = 1; i <= c; i++) v[i] = a[name, i]
	for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
}
END { for (i = 1; i <= k; i++) { m = order[i]; printf "%s %.0f %.0f\n", m, median(rps, m, n[m]), median(p99, m, n[m]) } }
' "$raw")

{
	echo "| server | requests/s | p99 | requests/s ÷ peer | requests/s ÷ memory store | p99 ÷ peer |"
	echo "|---|---|---|---|---|---|"
	for fw in $FRAMEWORKS; do
		peer=$(echo "$summary" | awk -v fw="$fw" 'index($1, fw "/") == 1 && $1 ~ /jwt$/ {print $2, $3}')
		mem=$(echo "$summary" | awk -v fw="$fw" '$1 == fw "/memory" {print $2}')
		echo "$summary" | awk -v fw="$fw" -v peer="$peer" -v mem="$mem" '
		index($1, fw "/") == 1 {
			split(peer, pp, " ")
			p99 = $3 >= 1000 ? sprintf("%.2f ms", $3 / 1000) : sprintf("%d µs", $3)
			rp = pp[1] > 0 ? sprintf("%.2f×", $2 / pp[1]) : "—"
			rm = mem > 0 ? sprintf("%.2f×", $2 / mem) : "—"
			lp = pp[2] > 0 ? sprintf("%.2f×", $3 / pp[2]) : "—"
			printf "| %s | %d | %s | %s | %s | %s |\n", $1, $2, p99, rp, rm, lp
		}'
	done
	echo
	echo "wrk -t$THREADS -c$CONNS, $ROUNDS interleaved rounds of ${DURATION}s per server, medians;" \
		"$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores," \
		"$(go version | sed 's/^go version //'), $(redis-server --version | awk '{print $3}' | sed 's/v=/redis-server /') on loopback" \
		"(no persistence), live cache $LIVE_CACHE, $(date -u '+%Y-%m-%d %H:%M UTC').${NOTE:+ $NOTE}"
} >results/http.md
echo
cat results/http.md
echo "done: $raw, results/http.md"
