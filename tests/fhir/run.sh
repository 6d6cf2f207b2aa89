#!/usr/bin/env bash
# The FHIR view checked by real FHIR tooling against a running server: a
# crawl validated by fhir.resources (R4B models) and by @medplum/core's
# validateResource on the R4 core definitions (invariants such as dis-1), and
# a fhirpy client paging PractitionerRole near Adak across the antimeridian.
# Versions are pinned in requirements.txt and package-lock.json.
#
#   cargo build && tests/fhir/run.sh      # LOCATOR_BIN=… to pick the binary
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${LOCATOR_BIN:-$root/target/debug/physician-locator}"
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
venv="$root/target/fhir-venv"
key=fhir-test-key-0123456789

[ -x "$bin" ] || { echo "error: no server binary at $bin (cargo build first)" >&2; exit 1; }
if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qxFf "$here/requirements.txt"; then
    echo "== installing fhir.resources and fhirpy (PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
fi
echo "== npm ci"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

. "$root/tests/server.sh"
cat >"$workdir/partners.toml" <<TOML
[[partner]]
name = "fhir-tests"
key_sha256 = "$(printf %s "$key" | sha256sum | cut -d' ' -f1)"
requests_per_minute = 100000
TOML
start_server LOCATOR_PARTNERS_FILE="$workdir/partners.toml"

echo "== fhir.resources $("$venv/bin/pip" show fhir.resources | awk '/^Version/ {print $2}'), fhirpy $("$venv/bin/pip" show fhirpy | awk '/^Version/ {print $2}')"
(cd "$here" && FHIR_URL="$url" FHIR_KEY="$key" FHIR_CRAWL="$workdir/crawl" "$venv/bin/python" -m unittest -v test_fhir)

echo "== @medplum/core $(cd "$here" && node -p 'require("./node_modules/@medplum/core/package.json").version') validateResource"
(cd "$here" && node validate.mjs "$workdir/crawl")
server_alive
