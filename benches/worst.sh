#!/usr/bin/env bash
# The worst-case cost of one request of each public route (benches/worst.py
# says which requests): a release server on a generated directory, each
# request sent alone, REPEAT times. RELIABILITY.md ("Limits") holds the
# figures. The directory is made once and kept, as benches/http.sh does.
#
#   benches/worst.sh                       # 60,000 physicians, as the outside review used
#   SIZE=3000 REPEAT=3 benches/worst.sh
#   BIN=target/ab/base benches/worst.sh    # another build
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
require python3 curl

SIZE=${SIZE:-60000}
PORT=${PORT:-8097}
WORK=${WORK:-target/bench-http}
mkdir -p "$WORK"
release_bin
generated_directory
# A copy to serve, so that a build with newer migrations leaves the kept one as it was.
cp "$db" "$WORK/worst.db"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== directory: $SIZE physicians; binary $BIN"
env "${BENCH_LIMITS[@]}" "$BIN" serve --no-seed --bind "127.0.0.1:$PORT" --database-url "sqlite://$WORK/worst.db" \
  >"$WORK/worst.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_ready "$WORK/worst.log"
PORT=$PORT python3 benches/worst.py
