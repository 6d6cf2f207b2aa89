#!/usr/bin/env bash
# PostGIS KNN on the directory benches/http.sh serves, the same 256 query
# points, radius and filter, driven by pgbench, beside the rates http.sh
# recorded in $WORK: the "ours / PostGIS" ratios of BENCHMARKS.md. Run by
# http.sh when PG_URL names a superuser connection to a local PostgreSQL 15
# with PostGIS (apt-get install postgresql-15-postgis-3); with PG_TUNE=1 it
# first applies the settings listed in BENCHMARKS.md and restarts the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
require pgbench psql python3
SIZE=${SIZE:-1000000}
DURATION=${DURATION:-15s}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-64}
WORK=${WORK:-target/bench-http}
VIEWS=${VIEWS:-summary full}
PG_URL=${PG_URL:-postgres://postgres:locator-ci@127.0.0.1:5432/postgres}
csv="$WORK/directory-$SIZE.csv"
POINTS="$WORK/points.csv"

if [ "${PG_TUNE:-0}" = 1 ]; then
  psql -q "$PG_URL" -c "ALTER SYSTEM SET shared_buffers = '4GB'" -c "ALTER SYSTEM SET effective_cache_size = '16GB'" \
    -c "ALTER SYSTEM SET random_page_cost = 1.1" -c "ALTER SYSTEM SET jit = off" -c "ALTER SYSTEM SET max_connections = 200"
  pg_ctlcluster 15 main restart
fi
gis_db="locator_postgis_$SIZE"
gis_url="${PG_URL%/*}/$gis_db"
if ! psql -qtA "$PG_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$gis_db'" | grep -q 1; then
  psql -q "$PG_URL" -c "CREATE DATABASE $gis_db"
  # A failed set-up leaves no half-made database to be measured next time.
  trap 'psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $gis_db"' ERR
  psql -q "$gis_url" -v ON_ERROR_STOP=1 <<EOF
CREATE EXTENSION postgis;
CREATE TEMP TABLE staging (npi text, given_name text, family_name text, credentials text, gender text,
  specialties text, conditions text, languages text, accepting_new_patients text, telehealth text,
  licensed_states text, last_updated text, practice_name text, street text, city text, state text, zip text, phone text,
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
  trap - ERR
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
  python3 - "$filter" "$WORK" "${tps[*]}" $VIEWS <<'PY'
import statistics, sys
filter, work, tps = sys.argv[1], sys.argv[2], sorted(float(t) for t in sys.argv[3].split())
m = statistics.median(tps)
ours = ", ".join(f"{float(open(f'{work}/rate-{view}-{filter}').read()) / m:.1f} {view}" for view in sys.argv[4:])
print(f"postgis_knn_{filter:<18} {m:>9.0f} tps    ({tps[0]:.0f}-{tps[-1]:.0f})  ours/postgis = {ours} (target >= 10)")
PY
done
