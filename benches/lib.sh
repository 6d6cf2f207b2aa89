# Shared by the HTTP benchmark scripts (sourced): the limits a measured server
# runs with, and wrk that refuses to give a figure for failed answers.

# What every browser sends, the widget's fetch included.
BROWSER_ACCEPT_ENCODING="gzip, deflate, br, zstd"

# A measured server's limits, set explicitly: the default anonymous limit
# would answer most of a benchmark with 429, and a figure of 429s measures
# nothing. Use as `env "${BENCH_LIMITS[@]}" physician-locator serve ...`.
# No metrics listener: two measured servers may run at once (benches/ab.sh).
BENCH_LIMITS=(LOCATOR_ANONYMOUS_RPM=4000000000 LOCATOR_METRICS_BIND=)

# Exits unless every named tool is installed.
require() {
  for tool; do
    command -v "$tool" >/dev/null || { echo "${0##*/}: $tool is missing (see the header)" >&2; exit 1; }
  done
}

# wrk with these arguments, printing its report, or failing (status 1, the
# report on standard error) when any answer was not 2xx or any socket failed:
# a rate of refusals is not a rate of answers.
checked_wrk() {
  local out
  out=$(wrk "$@")
  if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
    printf '%s\n' "$out" >&2
    echo "${0##*/}: wrk $* had answers that were not 2xx or failed sockets; no figure" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# The release binary to measure: $BIN if set, else the working tree's, built.
release_bin() {
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/physician-locator
  fi
}

# A generated directory of $SIZE physicians in $WORK, made once and kept:
# sets $csv (its file) and $db (a SQLite database imported from it with $BIN).
generated_directory() {
  csv="$WORK/directory-$SIZE.csv"
  db="$WORK/directory-$SIZE.db"
  [ -f "$csv" ] || "$BIN" generate --count "$SIZE" --seed 1 --out "$csv"
  if [ ! -f "$db" ]; then
    "$BIN" import "$csv" --database-url "sqlite://$db.partial" && mv "$db.partial" "$db"
  fi
}

# Waits until the server started as $server answers /readyz on $PORT; if it
# exits first, prints its log ($1) and stops the script.
wait_ready() {
  until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$1"; exit 1; }
    sleep 0.2
  done
}
