#!/usr/bin/env bash
# HTTP benchmarks: a release server on a generated directory, driven over
# loopback by wrk, beside the same server's /healthz (the ceiling of this
# machine and stack) and PostGIS KNN on the same data. Both views, with no
# Accept-Encoding and with a browser's; the resident memory at ready, after
# the runs and under 1,000 connections asking for brotli. Any answer that is
# not 2xx stops the script before it prints a figure. See BENCHMARKS.md.
#
#   benches/http.sh                      # 1,000,000 physicians
#   SIZE=100000 DURATION=10s benches/http.sh
#   BIN=target/ab/base VIEWS=full PG_URL= benches/http.sh   # another build, before `view`
#
# Needs wrk and pgbench/PostGIS (apt-get install wrk postgresql-15-postgis-3)
# and oha (cargo install oha). The PostGIS part runs when PG_URL names a
# superuser connection to a local PostgreSQL 15 (set PG_URL= to skip it); with
# PG_TUNE=1 it first applies the settings listed in BENCHMARKS.md and restarts
# the cluster (pg_ctlcluster 15 main).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

SIZE=${SIZE:-1000000}
DURATION=${DURATION:-15s}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8099}
WORK=${WORK:-target/bench-http}
PG_URL=${PG_URL-postgres://postgres:locator-ci@127.0.0.1:5432/postgres}
VIEWS=${VIEWS:-summary full}
mkdir -p "$WORK"
require wrk oha python3 curl

release_bin
generated_directory

# 256 query points: practice locations spread through the file (so by population).
python3 benches/points.py "$csv" "$WORK/points.csv"
export POINTS="$WORK/points.csv"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== directory: $SIZE physicians, $(($(wc -l <"$csv") - 1)) locations"

started=$(date +%s%N)
env "${BENCH_LIMITS[@]}" "$BIN" serve --no-seed --bind "127.0.0.1:$PORT" --database-url "sqlite://$db" \
  >"$WORK/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_ready "$WORK/server.log"
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
ready_kib=$(rss_kib)
echo "== server ready in $((($(date +%s%N) - started) / 1000000)) ms; resident $((ready_kib / 1024)) MiB"

# wrk, REPEAT times: "median (min-max)" of requests/s, then the last run's
# latency percentiles. ENCODING=browser sends a browser's Accept-Encoding.
run_wrk() {
  local label=$1 url=$2 script=${3:-}
  local rates=() out
  local header=()
  [ "${ENCODING:-}" = browser ] && header=(-H "Accept-Encoding: $BROWSER_ACCEPT_ENCODING")
  for _ in $(seq "$REPEAT"); do
    out=$(checked_wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" ${script:+-s "$script"} "$url")
    rates+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
  done
  python3 - "$label" "$WORK" "${rates[@]}" <<'PY'
import statistics, sys
label, work, rates = sys.argv[1], sys.argv[2], sorted(float(r) for r in sys.argv[3:])
median = statistics.median(rates)
print(f"{label:<34} {median:>9.0f} req/s  ({rates[0]:.0f}-{rates[-1]:.0f})")
open(f"{work}/rate-{label}", "w").write(str(median))
PY
  awk '/Latency Distribution/ {on=1; next} on && /%/ {printf "    p%s %s", $1, $2} /requests in/ {print ""; on=0}' <<<"$out"
}

base="http://127.0.0.1:$PORT"
run_wrk healthz "$base/healthz"
for view in $VIEWS; do
  for mix in none rare mix; do
    VIEW=$view MIX=$mix run_wrk "$view-$mix" "$base/" benches/search.lua
  done
  for mix in none mix; do
    ENCODING=browser VIEW=$view MIX=$mix run_wrk "$view-$mix-browser" "$base/" benches/search.lua
  done
done
python3 - "$WORK" $VIEWS <<'PY'
import sys
rate = lambda name: float(open(f"{sys.argv[1]}/rate-{name}").read())
for view, target in [(v, {"summary": 0.5, "full": 0.3}[v]) for v in sys.argv[2:]]:
    for mix in ["none", "rare", "mix"]:
        print(f"ratio {view}-{mix}/healthz = {rate(f'{view}-{mix}') / rate('healthz'):.2f} (target >= {target})")
    for mix in ["none", "mix"]:
        print(f"ratio {view}-{mix} browser/identity = {rate(f'{view}-{mix}-browser') / rate(f'{view}-{mix}'):.2f} (target >= 0.5)")
PY

# A fixed rate at half the mix's maximum (full view), latency corrected for
# coordinated omission, with no Accept-Encoding and with a browser's.
rate=$(python3 -c "print(int(float(open('$WORK/rate-full-mix').read()) / 2))")
regex=$(python3 - "$POINTS" <<'PY'
import sys
points = [line.strip().split(",") for line in open(sys.argv[1])][:64]
alternatives = "|".join(f"lat={lat}&lng={lng}" for lat, lng in points).replace(".", "[.]")
filters = "(|&specialty=neurology|&condition=lems&accepting_new_patients=true|&specialty=electrodiagnostic-medicine)"
print(f"http://127[.]0[.]0[.]1:PORT/v1/physicians[?]({alternatives}){filters}")
PY
)
for encoding in identity "$BROWSER_ACCEPT_ENCODING"; do
  oha -z "$DURATION" -c "$CONNECTIONS" -q "$rate" --latency-correction --no-tui --output-format json \
    -H "Accept-Encoding: $encoding" --rand-regex-url "${regex/PORT/$PORT}" >"$WORK/oha.json"
  python3 - "$WORK/oha.json" "$rate" "$encoding" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
codes = r.get("statusCodeDistribution", {})
# oha cancels the requests in flight when the duration ends: not answers.
errors = {e: n for e, n in r.get("errorDistribution", {}).items() if e != "aborted due to deadline"}
if set(codes) != {"200"} or errors:
    sys.exit(f"http.sh: oha had answers that were not 200 or errors: {codes} {errors}; no figure")
p = r["latencyPercentiles"]
print(f"oha fixed {sys.argv[2]} req/s (mix, Accept-Encoding: {sys.argv[3]}): p50 {p['p50']*1e3:.3f} ms  "
      f"p99 {p['p99']*1e3:.3f} ms  p99.9 {p['p99.9']*1e3:.3f} ms  (target p99 <= 2 ms)  {sum(codes.values())} answers")
PY
done
after_kib=$(rss_kib)
echo "== resident after the runs: $((after_kib / 1024)) MiB, $(python3 -c "print(f'{$after_kib / $ready_kib:.3f}')") x ready (target <= 1.10)"

# 1,000 connections asking for brotli: the peak resident while they run.
peak_kib=$ready_kib
( while kill -0 $server 2>/dev/null; do rss_kib; sleep 0.2; done ) >"$WORK/rss-samples" &
sampler=$!
checked_wrk -t2 -c1000 -d"$DURATION" --timeout 30s -H "Accept-Encoding: br" -s benches/search.lua "$base/" |
  awk '/Requests\/sec/ {print "1,000 connections asking for br: " $2 " req/s"}'
kill $sampler
peak_kib=$(sort -n "$WORK/rss-samples" | tail -1)
echo "== resident peak under 1,000 br connections: $((peak_kib / 1024)) MiB, $(python3 -c "print(f'{$peak_kib / $ready_kib:.3f}')") x ready (target <= 1.5)"
echo "== resident at the end: $(($(rss_kib) / 1024)) MiB"
kill $server

[ -n "$PG_URL" ] || exit 0
SIZE=$SIZE REPEAT=$REPEAT DURATION=$DURATION CONNECTIONS=$CONNECTIONS WORK=$WORK PG_URL=$PG_URL VIEWS=$VIEWS \
  benches/postgis.sh
