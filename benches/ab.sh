#!/usr/bin/env bash
# A/B over HTTP: the release binaries of a base revision and of the working
# tree, each serving the seeded directory, driven in turns by the same wrk mix
# (benches/search.lua on benches/paths.py's searches and details; 2 threads,
# 64 connections over loopback). Prints each side's median requests/s and the
# ratio, all from one run on one machine. Both log at RUST_LOG (default info,
# as served: an access-log line per request). ENCODING=browser sends a
# browser's Accept-Encoding (default: none, so identity). VIEW=summary (or
# full) drives searches only, from points of the seeded directory with
# benches/search.lua's filter mix, in that view. DIRECTORY=target/bench-http/
# directory-1000000 serves that directory (its .db, as benches/http.sh makes
# it, and its .csv for the requests) instead of the seed. Any answer that is
# not 2xx stops it before it prints a figure. Besides requests/s, each side's
# mean time per answer from its own access log; with CONNECTIONS=1 that is the
# cost of an answer with the machine otherwise quiet, the steadier figure.
#
#   benches/ab.sh b5ad0da                  # ROUNDS=3 DURATION=20s
#   ENCODING=browser benches/ab.sh HEAD~1
#   VIEW=summary benches/ab.sh HEAD~1
#   BASE_BIN=a HEAD_BIN=b benches/ab.sh LABEL   # two builds at hand, none made
#
# Needs wrk, curl and python3. The base is built in a git worktree under
# target/ab with the shared target directory, so only what differs is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
require wrk curl python3
BASE=${1:?usage: benches/ab.sh BASE_REVISION}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
WORK=target/ab
mkdir -p "$WORK"

rm -f "$WORK/head" "$WORK/base"
if [ -n "${BASE_BIN:-}" ] && [ -n "${HEAD_BIN:-}" ]; then
  cp "$BASE_BIN" "$WORK/base" && cp "$HEAD_BIN" "$WORK/head"
else
  cargo build --release --quiet
  cp target/release/physician-locator "$WORK/head"
  rm -rf "$WORK/base-src"
  git worktree prune
  git worktree add --quiet --detach "$WORK/base-src" "$BASE"
  (cd "$WORK/base-src" && CARGO_TARGET_DIR=../.. cargo build --release --quiet)
  cp target/release/physician-locator "$WORK/base"
  git worktree remove --force "$WORK/base-src"
  cargo build --release --quiet # the working tree's binary back in place
fi
csv=${DIRECTORY:-data/directory}.csv
serve=()
[ -n "${DIRECTORY:-}" ] && serve=(serve --no-seed --database-url "sqlite://$(realpath "$DIRECTORY.db")")
if [ -n "${VIEW:-}" ]; then
  python3 benches/points.py "$csv" "$WORK/points.txt"
  export POINTS="$WORK/points.txt" VIEW
else
  python3 benches/paths.py "$csv" "$WORK/paths.txt"
  export PATHS="$WORK/paths.txt"
fi

# Serves with binary $1 on port $2 (from a fresh seeded directory, or
# $DIRECTORY); prints its pid.
start() {
  local dir="$WORK/run-$2"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && exec env "${BENCH_LIMITS[@]}" LOCATOR_BIND=127.0.0.1:$2 RUST_LOG=${RUST_LOG:-info} "../$1" "${serve[@]}" >server.log 2>&1) &
  echo $!
  until curl -sf "http://127.0.0.1:$2/readyz" >/dev/null; do sleep 0.2; done
}
# A stale server on a port would be measured instead of ours.
for port in 8201 8202; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then
    echo "ab.sh: port $port is taken; stop what listens there" >&2
    exit 1
  fi
done
base_pid=$(start base 8201)
head_pid=$(start head 8202)
trap 'kill $base_pid $head_pid 2>/dev/null || true' EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); Accept-Encoding: ${ENCODING:-none}; ${VIEW:+view=$VIEW searches; }${DIRECTORY:+$DIRECTORY; }base $BASE ($(git log -1 --format=%s "$BASE" 2>/dev/null | cut -c1-60))"
header=()
[ "${ENCODING:-}" = browser ] && header=(-H "Accept-Encoding: $BROWSER_ACCEPT_ENCODING")
for side in base head; do : >"$WORK/rates-$side" && : >"$WORK/server-$side"; done
for round in $(seq "$ROUNDS"); do
  for side in base head; do
    port=$([ $side = base ] && echo 8201 || echo 8202)
    log="$WORK/run-$port/server.log"
    offset=$(wc -c <"$log")
    out=$(checked_wrk -t$((CONNECTIONS < 2 ? 1 : 2)) -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" -s benches/search.lua "http://127.0.0.1:$port")
    rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '/ 99%/ {print $2}' <<<"$out")
    # The server's own mean time per answer (its access log), which the
    # client's CPU share on this machine does not blur.
    served=$(tail -c +"$((offset + 1))" "$log" | python3 -c '
import json, statistics, sys
ms = [json.loads(l)["fields"]["duration_ms"] for l in sys.stdin if "\"duration_ms\"" in l]
print(f"{statistics.mean(ms) * 1000:.1f}")')
    echo "round $round $side: $rate req/s, p99 $p99, server mean $served us"
    echo "$rate" >>"$WORK/rates-$side"
    echo "$served" >>"$WORK/server-$side"
  done
done
python3 - "$WORK"/{rates,server}-{base,head} <<'PY'
import statistics, sys
base, head, base_us, head_us = ([float(l) for l in open(p)] for p in sys.argv[1:])
b, h = statistics.median(base), statistics.median(head)
bu, hu = statistics.median(base_us), statistics.median(head_us)
print(f"== median base {b:.0f} req/s ({min(base):.0f}-{max(base):.0f}), "
      f"head {h:.0f} req/s ({min(head):.0f}-{max(head):.0f}); head/base {h / b:.3f}")
print(f"== server mean per answer: base {bu:.1f} us, head {hu:.1f} us; base/head {bu / hu:.3f}")
PY
