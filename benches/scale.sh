#!/usr/bin/env bash
# How the release server grows with the directory: for each size, generate,
# import into SQLite (once, kept in $WORK), serve, and report the load and
# snapshot build times, the resident memory at ready, the server's own
# timing of a search page under light load (one connection, from its access
# log), and wrk throughput. See BENCHMARKS.md ("8M physicians").
#
#   SIZES=1000000,8000000 benches/scale.sh
#
# Needs wrk, curl and python3; 8M takes about 3 GB of CSV, 3.5 GB of SQLite
# and 8 GB of memory to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
require wrk curl python3

SIZES=${SIZES:-1000000,8000000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8097}
WORK=${WORK:-target/bench-scale}
BIN=target/release/physician-locator
mkdir -p "$WORK"
cargo build --release --quiet
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"

for size in ${SIZES//,/ }; do
  csv="$WORK/directory-$size.csv" db="$WORK/directory-$size.db"
  [ -f "$csv" ] || "$BIN" generate --count "$size" --seed 1 --out "$csv"
  if [ ! -f "$db" ]; then
    /usr/bin/time -f "import: %e s, %M kB max resident" \
      "$BIN" import "$csv" --database-url "sqlite://$db.partial" 2>&1 >/dev/null | tail -1
    mv "$db.partial" "$db"
  fi
  # The same 256 query points as benches/http.sh: practice locations spread
  # through the file.
  python3 benches/points.py "$csv" "$WORK/points-$size.csv"
  export POINTS="$WORK/points-$size.csv"
  log="$WORK/server-$size.log"
  started=$(date +%s%N)
  env "${BENCH_LIMITS[@]}" RUST_LOG=info "$BIN" serve --no-seed --bind "127.0.0.1:$PORT" \
    --database-url "sqlite://$db" >"$log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  wait_ready "$log"
  ready_ms=$((($(date +%s%N) - started) / 1000000))
  rss=$(awk '/VmRSS/ {printf "%.2f GiB", $2 / 1048576}' "/proc/$server/status")
  echo "== $size physicians: ready in $ready_ms ms ($(grep -o 'directory loaded in [^"]*' "$log" | head -1)); resident $rss"
  # Light load, one connection: the server's own duration of each search.
  : >"$log.light"
  offset=$(wc -c <"$log")
  VIEW=full MIX=none checked_wrk -t1 -c1 -d10s -s benches/search.lua "http://127.0.0.1:$PORT/" >/dev/null
  tail -c +"$((offset + 1))" "$log" | python3 -c '
import json, statistics, sys
ms = sorted(json.loads(l)["fields"]["duration_ms"] for l in sys.stdin
            if "\"route\":\"/v1/physicians\"" in l and "\"status\":200" in l)
print(f"   page (server timing, one connection, {len(ms)} searches): median {statistics.median(ms) * 1000:.0f} us, "
      f"p99 {ms[int(len(ms) * 0.99)] * 1000:.0f} us")'
  VIEW=full MIX=none checked_wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s benches/search.lua "http://127.0.0.1:$PORT/" |
    awk '/Requests\/sec/ {print "   wrk, full view, no filter, '"$CONNECTIONS"' connections: " $2 " req/s"}'
  kill $server
  wait $server 2>/dev/null || true
done
