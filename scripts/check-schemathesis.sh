#!/usr/bin/env bash
# Fuzzes fieldaudit-server's served OpenAPI document with schemathesis (PyPI):
# no request may get a 5xx, and every response must match the documented schema.
# Starts the server on an embedded SQLite in a temporary directory with a demo
# organisation and user made through the admin CLI, signs in for a token, runs a
# bounded number of examples per operation, and stops the server (by its PID).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "installing schemathesis (pip)"
  python3 -m pip install --quiet schemathesis
fi
if ! command -v openapi-spec-validator >/dev/null 2>&1; then
  echo "installing openapi-spec-validator (pip)"
  python3 -m pip install --quiet openapi-spec-validator
fi
schemathesis --version

cargo build -q -p fieldaudit-server --bin fieldaudit-server
bin="${CARGO_TARGET_DIR:-target}/debug/fieldaudit-server"

work="$(mktemp -d -t fieldaudit-schemathesis.XXXXXX)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

data=(--data-dir "$work/data")
"$bin" "${data[@]}" org create demo --name "Demo Audits" >/dev/null
"$bin" "${data[@]}" user add --org demo demo --role admin --password "demo password" >/dev/null
RUST_LOG=warn "$bin" "${data[@]}" serve --listen 127.0.0.1:0 --max-attachment-bytes 65536 >"$work/stdout" 2>"$work/server.log" &
pid=$!

base=""
for _ in $(seq 1 100); do
  base="$(sed -n 's/^listening on //p' "$work/stdout" | head -n1)"
  [ -n "$base" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "the server exited:"; cat "$work/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "the server did not print its address"; exit 1; }
echo "server at $base (pid $pid)"

token="$(python3 - "$base" <<'PY'
import json, sys, urllib.request, uuid
body = json.dumps({"organisation": "demo", "username": "demo", "password": "demo password",
                   "device_id": str(uuid.uuid4()), "device_name": "schemathesis"}).encode()
req = urllib.request.Request(sys.argv[1] + "/api/v1/auth/login", data=body,
                             headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)"

# The served document must be a valid OpenAPI document.
python3 -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
  "$base/api/v1/openapi.json" "$work/openapi.json"
openapi-spec-validator "$work/openapi.json"

# The revoke and logout endpoints are left out: fuzzing them could revoke the token the
# run itself uses.
schemathesis run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --exclude-path-regex '/(revoke|logout)$' \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --seed 1 \
  --no-color \
  --generation-database none \
  --report junit --report-dir "$work/report"
echo "schemathesis: no server errors, responses match the schema"
