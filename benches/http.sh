#!/usr/bin/env bash
# HTTP benchmarks: a release server on a generated directory, driven over
# loopback by wrk, beside the same server's /healthz (the ceiling of this
# machine and stack) and PostGIS KNN on the same data. See BENCHMARKS.md.
#
#   benches/http.sh                      # 1,000,000 physicians
#   SIZE=100000 DURATION=10s benches/http.sh
#
# Needs wrk and pgbench/PostGIS (apt-get install wrk postgresql-15-postgis-3)
# and oha (cargo install oha). The PostGIS part runs when PG_URL names a
# superuser connection to a local PostgreSQL 15 (set PG_URL= to skip it); with
# PG_TUNE=1 it first applies the settings listed in BENCHMARKS.md and restarts
# the cluster (pg_ctlcluster 15 main).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-1000000}
DURATION=${DURATION:-15s}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8099}
WORK=${WORK:-target/bench-http}
PG_URL=${PG_URL-postgres://postgres:locator-ci@127.0.0.1:5432/postgres}
BIN=target/release/physician-locator
mkdir -p "$WORK"

for tool in wrk oha python3; do
  command -v "$tool" >/dev/null || { echo "http.sh: $tool is missing (see the header)" >&2; exit 1; }
done

cargo build --release --quiet
csv="$WORK/directory-$SIZE.csv"
db="$WORK/directory-$SIZE.db"
[ -f "$csv" ] || "$BIN" generate --count "$SIZE" --seed 1 --out "$csv"
if [ ! -f "$db" ]; then
  "$BIN" import "$csv" --database-url "sqlite://$db.partial" && mv "$db.partial" "$db"
fi

# 256 query points: practice locations spread through the file (so by population).
python3 - "$csv" "$WORK/points.csv" <<'EOF'
import csv, sys
rows = [(r["lat"], r["lng"]) for r in csv.DictReader(open(sys.argv[1])) if r["lat"]]
with open(sys.argv[2], "w") as out:
    for i in range(256):
        out.write("%s,%s\n" % rows[i * len(rows) // 256])
EOF
export POINTS="$WORK/points.csv"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== directory: $SIZE physicians, $(($(wc -l <"$csv") - 1)) locations"

started=$(date +%s%N)
"$BIN" serve --no-seed --bind "127.0.0.1:$PORT" --database-url "sqlite://$db" >"$WORK/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
  kill -0 $server 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.2
done
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status"; }
echo "== server ready in $((($(date +%s%N) - started) / 1000000)) ms; resident $(rss)"

# wrk, REPEAT times: "median (min-max)" of requests/s, then the last run's
# latency percentiles and error counts.
run_wrk() {
  local label=$1 url=$2 script=${3:-}
  local rates=() out
  for _ in $(seq "$REPEAT"); do
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency ${script:+-s "$script"} "$url")
    rates+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
  done
  local errors
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | xargs || true)
  python3 - "$label" "${rates[@]}" <<EOF
import statistics, sys
label, rates = sys.argv[1], sorted(float(r) for r in sys.argv[2:])
print(f"{label:<28} {statistics.median(rates):>9.0f} req/s  ({rates[0]:.0f}-{rates[-1]:.0f})  ${errors:-no errors}")
EOF
  awk '/Latency Distribution/ {on=1; next} on && /%/ {printf "    p%s %s", $1, $2} /requests in/ {print ""; on=0}' <<<"$out"
  echo "${rates[*]}" | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' >"$WORK/rate-$label"
}

base="http://127.0.0.1:$PORT"
run_wrk healthz "$base/healthz"
MIX=none run_wrk search_no_filter "$base/" benches/search.lua
MIX=rare run_wrk search_rare_specialty "$base/" benches/search.lua
MIX=mix run_wrk search_mix "$base/" benches/search.lua
python3 - "$WORK" <<'EOF'
import sys
rate = lambda name: float(open(f"{sys.argv[1]}/rate-{name}").read())
for name in ["search_no_filter", "search_rare_specialty", "search_mix"]:
    print(f"ratio {name}/healthz = {rate(name) / rate('healthz'):.2f} (target >= 0.5)")
EOF

# A fixed rate at half the mix's maximum, latency corrected for coordinated omission.
rate=$(python3 -c "print(int(float(open('$WORK/rate-search_mix').read()) / 2))")
regex=$(python3 - "$POINTS" <<'EOF'
import sys
points = [line.strip().split(",") for line in open(sys.argv[1])][:64]
alternatives = "|".join(f"lat={lat}&lng={lng}" for lat, lng in points).replace(".", "[.]")
filters = "(|&specialty=neurology|&condition=lems&accepting_new_patients=true|&specialty=electrodiagnostic-medicine)"
print(f"http://127[.]0[.]0[.]1:PORT/v1/physicians[?]({alternatives}){filters}")
EOF
)
oha -z "$DURATION" -c "$CONNECTIONS" -q "$rate" --latency-correction --no-tui --output-format json \
  --rand-regex-url "${regex/PORT/$PORT}" >"$WORK/oha.json"
python3 - "$WORK/oha.json" "$rate" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
print(f"oha fixed {sys.argv[2]} req/s (mix): p50 {p['p50']*1e3:.3f} ms  p99 {p['p99']*1e3:.3f} ms  "
      f"p99.9 {p['p99.9']*1e3:.3f} ms  (target p99 <= 2 ms)  status {codes}")
EOF
echo "== server resident after the runs: $(rss)"
kill $server

[ -n "$PG_URL" ] || exit 0
command -v pgbench >/dev/null || { echo "http.sh: pgbench is missing" >&2; exit 1; }
if [ "${PG_TUNE:-0}" = 1 ]; then
  psql -q "$PG_URL" -c "ALTER SYSTEM SET shared_buffers = '4GB'" -c "ALTER SYSTEM SET effective_cache_size = '16GB'" \
    -c "ALTER SYSTEM SET random_page_cost = 1.1" -c "ALTER SYSTEM SET jit = off" -c "ALTER SYSTEM SET max_connections = 200"
  pg_ctlcluster 15 main restart
fi
gis_db="locator_postgis_$SIZE"
gis_url="${PG_URL%/*}/$gis_db"
if ! psql -qtA "$PG_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$gis_db'" | grep -q 1; then
  psql -q "$PG_URL" -c "CREATE DATABASE $gis_db"
  psql -q "$gis_url" -v ON_ERROR_STOP=1 <<EOF
CREATE EXTENSION postgis;
CREATE TEMP TABLE staging (npi text, given_name text, family_name text, credentials text, gender text,
  specialties text, conditions text, languages text, accepting_new_patients text, telehealth text,
  last_updated text, practice_name text, street text, city text, state text, zip text, phone text,
  lat text, lng text, services text);
\copy staging FROM '$csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE locations AS
  SELECT npi, string_to_array(specialties, ';') AS specialties,
         ST_SetSRID(ST_MakePoint(lng::float8, lat::float8), 4326)::geography AS geog
  FROM staging WHERE lat <> '';
CREATE INDEX ON locations USING gist (geog);
CREATE TABLE points (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lat float8, lng float8);
\copy points (lat, lng) FROM '$POINTS' WITH (FORMAT csv)
VACUUM ANALYZE;
EOF
fi
for filter in none rare; do
  where=""
  [ $filter = rare ] && where="AND '204R00000X' = ANY (specialties)"
  cat >"$WORK/knn-$filter.sql" <<EOF
\\set i random(1, 256)
SELECT lat, lng FROM points WHERE id = :i \\gset
SELECT npi FROM locations
 WHERE ST_DWithin(geog, ST_MakePoint(:lng, :lat)::geography, 80467.2) $where
 ORDER BY geog <-> ST_MakePoint(:lng, :lat)::geography LIMIT 20;
EOF
  tps=()
  for _ in $(seq "$REPEAT"); do
    tps+=("$(pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" -f "$WORK/knn-$filter.sql" "$gis_url" 2>/dev/null |
      awk '/^tps/ {print $3}')")
  done
  python3 - "$filter" "$WORK" "${tps[@]}" <<'EOF'
import statistics, sys
filter, work, tps = sys.argv[1], sys.argv[2], sorted(float(t) for t in sys.argv[3:])
ours = float(open(f"{work}/rate-search_{'no_filter' if filter == 'none' else 'rare_specialty'}").read())
m = statistics.median(tps)
print(f"postgis_knn_{filter:<18} {m:>9.0f} tps    ({tps[0]:.0f}-{tps[-1]:.0f})  ours/postgis = {ours / m:.1f} (target >= 10)")
EOF
done
