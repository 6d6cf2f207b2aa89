#!/usr/bin/env bash
# End-to-end browser tests of /embed and /docs/: installs Debian's Chromium if missing
# (never a downloaded browser), installs playwright-core, starts the server
# binary ($LOCATOR_BIN, default target/debug/physician-locator) on a free port
# in a fresh temporary directory (it seeds its own SQLite file there), runs
# `node --test`, and stops the server whatever happens. Screenshots and the
# server log go to target/browser-artifacts/.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${LOCATOR_BIN:-$root/target/debug/physician-locator}"
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
artifacts="$root/target/browser-artifacts"

if [ ! -x "$bin" ]; then
    echo "error: no server binary at $bin (run cargo build, or set LOCATOR_BIN)" >&2
    exit 1
fi

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing chromium (apt)"
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

echo "== npm ci"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

rm -rf "$artifacts"
mkdir -p "$artifacts"
workdir="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    mkdir -p "$artifacts"
    cp "$workdir/server.log" "$artifacts/server.log" 2>/dev/null || true
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
url="http://127.0.0.1:$port"

echo "== starting $bin on $url"
# The partner whose key the tests put in the widget's URL.
cat >"$workdir/partners.toml" <<EOF
[[partner]]
name = "browser-test"
key_sha256 = "$(printf %s partner-key-123 | sha256sum | cut -d' ' -f1)"
requests_per_minute = 100000
EOF
(
    cd "$workdir"
    unset DATABASE_URL LOCATOR_NO_SEED LOCATOR_ADMIN_TOKENS LOCATOR_ADMIN_TOKENS_FILE
    export LOCATOR_BIND="127.0.0.1:$port" LOCATOR_METRICS_BIND= LOCATOR_ANONYMOUS_RPM=100000 RUST_LOG=info
    export LOCATOR_PARTNERS_FILE="$workdir/partners.toml"
    exec "$bin" </dev/null >"$workdir/server.log" 2>&1
) &
server_pid=$!

ready=""
for _ in $(seq 1 120); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: the server exited; its log:" >&2
        cat "$workdir/server.log" >&2
        exit 1
    fi
    if node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$url/readyz"; then
        ready=1
        break
    fi
    sleep 0.5
done
if [ -z "$ready" ]; then
    echo "error: $url/readyz did not answer 200 within 60 s; server log:" >&2
    cat "$workdir/server.log" >&2
    exit 1
fi

echo "== node --test (screenshots in $artifacts)"
cd "$here"
status=0
LOCATOR_URL="$url" node --test --test-reporter=spec embed.test.js docs.test.js </dev/null || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: the server exited during the tests" >&2
    status=1
fi
if [ "$status" != 0 ]; then
    echo "== server log (tail; all of it in $artifacts/server.log)" >&2
    tail -n 50 "$workdir/server.log" >&2 || true
fi
exit "$status"
