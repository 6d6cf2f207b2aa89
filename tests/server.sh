# Sourced by tests/*/run.sh: a fresh temporary directory, $workdir, and
# start_server, which starts the server binary $bin there on a free port (it
# seeds its own SQLite file) with the environment given as NAME=value
# arguments, waits until it is ready, and sets $url (the API) and $metrics_url
# (its own metrics listener, on another free port). Whatever happens, the
# server is stopped and the directory removed when the script exits.
workdir="$(mktemp -d)"
server=""
stop_server() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$workdir"
}
trap stop_server EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    local port metrics_port
    port=$(free_port)
    metrics_port=$(free_port)
    url="http://127.0.0.1:$port"
    metrics_url="http://127.0.0.1:$metrics_port"
    (
        cd "$workdir"
        unset DATABASE_URL LOCATOR_NO_SEED LOCATOR_PARTNERS_FILE LOCATOR_ADMIN_TOKENS LOCATOR_ADMIN_TOKENS_FILE
        export LOCATOR_BIND="127.0.0.1:$port" LOCATOR_METRICS_BIND="127.0.0.1:$metrics_port" RUST_LOG=warn "$@"
        exec "$bin" </dev/null >"$workdir/server.log" 2>&1
    ) &
    server=$!
    for _ in $(seq 1 120); do
        curl -sf "$url/readyz" >/dev/null && return
        server_alive
        sleep 0.5
    done
    echo "error: $url/readyz did not answer within a minute" >&2
    exit 1
}

# Fails, with the server's log, if the server is no longer running.
server_alive() {
    kill -0 "$server" 2>/dev/null || { echo "error: the server died; its log:" >&2; cat "$workdir/server.log" >&2; exit 1; }
}
