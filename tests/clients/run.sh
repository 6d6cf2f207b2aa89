#!/usr/bin/env bash
# The integrators' contract. The committed openapi/openapi.json must validate
# (openapi-spec-validator) and lint clean under Redocly's recommended ruleset,
# no rule switched off, not even a warning. Then the clients most integrators
# generate are generated from a running server's /openapi.json and driven
# against it: Python by openapi-python-client (no warning allowed), TypeScript
# by openapi-typescript with openapi-fetch (type-checked under strict, then run
# by node). Versions are pinned in requirements.txt and package-lock.json;
# the generated code goes to generated/ (not committed).
#
#   cargo build && tests/clients/run.sh      # LOCATOR_BIN=… to pick the binary
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${LOCATOR_BIN:-$root/target/debug/physician-locator}"
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
venv="$root/target/clients-venv"
generated="$here/generated"
document="$root/openapi/openapi.json"
key=client-test-key-0123456789
# Redocly's CLI would otherwise try to send usage data and look for updates.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

[ -x "$bin" ] || { echo "error: no server binary at $bin (cargo build first)" >&2; exit 1; }
if [ ! -x "$venv/bin/openapi-python-client" ]; then
    echo "== installing openapi-python-client and openapi-spec-validator (PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
fi
echo "== npm ci"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
npx() { (cd "$here" && command npx --no-install "$@"); }

echo "== openapi-spec-validator $("$venv/bin/pip" show openapi-spec-validator | awk '/^Version/ {print $2}') on openapi/openapi.json"
"$venv/bin/openapi-spec-validator" "$document"

echo "== redocly lint --extends recommended (@redocly/cli $(npx redocly --version)) on openapi/openapi.json"
# Warnings fail too. (Its JSON report on stdout; stderr only has Node.js notices.)
totals="$(npx redocly lint --extends recommended --format json "$document" 2>/dev/null |
    python3 -c 'import json, sys; t = json.load(sys.stdin)["totals"]; print(t["errors"], t["warnings"])')"
echo "errors and warnings: $totals"
if [ "$totals" != "0 0" ]; then
    npx redocly lint --extends recommended --format stylish "$document" || true
    exit 1
fi

rm -rf "$generated"
mkdir -p "$generated"
. "$root/tests/server.sh"
# A partner, so that the clients send the key the document declares.
cat >"$workdir/partners.toml" <<EOF
[[partner]]
name = "client-tests"
key_sha256 = "$(printf %s "$key" | sha256sum | cut -d' ' -f1)"
requests_per_minute = 100000
EOF
start_server LOCATOR_PARTNERS_FILE="$workdir/partners.toml"
export LOCATOR_URL="$url" LOCATOR_KEY="$key"

echo "== openapi-python-client $("$venv/bin/pip" show openapi-python-client | awk '/^Version/ {print $2}') from $url/openapi.json"
# With the venv on PATH, as after a pip install: its post hooks run ruff, which came with it.
PATH="$venv/bin:$PATH" openapi-python-client generate --url "$url/openapi.json" --meta none --fail-on-warning \
    --output-path "$generated/physician_locator_client"
(cd "$here" && PYTHONPATH="$generated" "$venv/bin/python" -m unittest -v test_python_client)

echo "== openapi-typescript $(npx openapi-typescript --version | awk '{print $NF}'), openapi-fetch, tsc $(npx tsc --version | awk '{print $NF}') --noEmit (strict)"
npx openapi-typescript "$url/openapi.json" --output "$generated/schema.d.ts"
npx tsc --noEmit -p .
npx tsc -p .
(cd "$here" && node --test --test-reporter=spec "$generated/js/client.test.js" </dev/null)

server_alive
