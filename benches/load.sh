#!/usr/bin/env bash
# The bounded load test of RELIABILITY.md: a release server on the seeded
# directory, 64 connections over loopback for 60 s of mixed valid searches and
# physician details (wrk), and an admin write every 3 s throughout. It passes
# when no request failed, every answer was 2xx, every write succeeded, and the
# resident memory after the run is within 5% of the memory after warm-up.
#
#   benches/load.sh                        # 60 s, 64 connections
#   DURATION=10s benches/load.sh           # a quick look
#
# Needs wrk (apt-get install wrk), curl and python3. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

DURATION=${DURATION:-60s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8098}
WORK=${WORK:-target/load}
TOKEN=load-test-admin-token-0123456789
BIN=target/release/physician-locator
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is missing (see the header)" >&2; exit 1; }
done
rm -rf "$WORK" && mkdir -p "$WORK"
cargo build --release --quiet

python3 benches/paths.py data/directory.csv "$WORK/paths.txt"
export PATHS="$WORK/paths.txt"

(cd "$WORK" && LOCATOR_BIND=127.0.0.1:$PORT LOCATOR_ANONYMOUS_RPM=1000000000 LOCATOR_POLL_MS=500 \
  LOCATOR_ADMIN_TOKENS="load:$TOKEN" RUST_LOG=warn exec "../../$BIN" >server.log 2>&1) &
server=$!
trap 'kill $server 2>/dev/null || true; kill $writer 2>/dev/null || true' EXIT
wait_ready "$WORK/server.log"
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# An admin write every 3 s: the first physician's telehealth flipped back and forth.
npi=$(sed -n 2p data/directory.csv | cut -d, -f1)
curl -sf "http://127.0.0.1:$PORT/v1/physicians/$npi" >"$WORK/physician.json"
(
  writes=0 failed=0
  while true; do
    flag=$([ $((writes % 2)) = 0 ] && echo true || echo false)
    python3 -c "import json,sys; p=json.load(open(sys.argv[1])); p['telehealth']=sys.argv[2]=='true'; print(json.dumps(p))" \
      "$WORK/physician.json" "$flag" >"$WORK/put.json"
    status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' --data-binary @"$WORK/put.json" \
      "http://127.0.0.1:$PORT/v1/admin/physicians/$npi")
    writes=$((writes + 1))
    case $status in 2??) ;; *) failed=$((failed + 1)) ;; esac
    echo "$writes $failed" >"$WORK/writes"
    sleep 3
  done
) &
writer=$!

# The warm-up is the same mix, writes included: memory is compared with the
# steady state, not with a server that has not yet seen a write.
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -s benches/search.lua "http://127.0.0.1:$PORT" >/dev/null
warm=$(rss_kib)
echo "== after warm-up ($WARMUP): resident $((warm / 1024)) MiB"

# Resident memory every 5 s, to tell a plateau from a leak.
(while sleep 5; do echo "$(date +%s) $(rss_kib)"; done) >"$WORK/rss.txt" &
sampler=$!
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/search.lua "http://127.0.0.1:$PORT" | tee "$WORK/wrk.txt"
kill $writer $sampler 2>/dev/null || true
echo "== resident MiB every 5 s: $(awk '{printf "%d ", $2 / 1024}' "$WORK/rss.txt")"
after=$(rss_kib)
read -r writes write_failures <"$WORK/writes"

python3 - "$WORK/wrk.txt" "$warm" "$after" "$writes" "$write_failures" <<'PY'
import re, sys
text, warm, after, writes, write_failures = open(sys.argv[1]).read(), *map(int, sys.argv[2:])
requests = int(re.search(r"(\d+) requests in", text).group(1))
non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
socket = re.search(r"Socket errors: (.*)", text)
socket_errors = sum(int(n) for n in re.findall(r"\d+", socket.group(1))) if socket else 0
growth = (after - warm) / warm * 100
print(f"== {requests} requests, {non_2xx} non-2xx, {socket_errors} socket errors; "
      f"{writes} admin writes, {write_failures} failed; resident {warm // 1024} -> {after // 1024} MiB ({growth:+.1f}%)")
ok = non_2xx == 0 and socket_errors == 0 and write_failures == 0 and writes > 0 and abs(growth) <= 5
print("== PASS" if ok else "== FAIL")
sys.exit(0 if ok else 1)
PY
