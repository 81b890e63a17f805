#!/usr/bin/env bash
# Starts FieldAudit with demo data, connected to a local server:
#   1. fieldaudit-server on an embedded SQLite file in a temporary folder, on a free
#      loopback port, with a demo organisation and user;
#   2. the fixture facility lists imported for the organisation (server-side when
#      the server has `facility import`, else into the app's data folder);
#   3. the desktop app, with its own temporary data folder, proposing that server.
# The server is stopped (by its process id) when the app exits.
# FIELDAUDIT_DEMO_DIR keeps the data in a folder of your choice instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
demo="${FIELDAUDIT_DEMO_DIR:-$(mktemp -d -t fieldaudit-demo.XXXXXX)}"
mkdir -p "$demo/server" "$demo/app"
fixtures="${FIELDAUDIT_FIXTURES:-$root/../shared/fixtures/facility-lists}"
org=demo-audits user=auditor password=demo-password-1

echo "Building FieldAudit (server, CLI and desktop app)…"
cargo build -q -p fieldaudit-server -p fieldaudit-cli -p fieldaudit-app
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug"
server="$target/fieldaudit-server"

"$server" --data-dir "$demo/server" org create "$org" --name "Demo Audits Ltd" >/dev/null
"$server" --data-dir "$demo/server" user add --org "$org" "$user" --role auditor --password "$password" >/dev/null

imported_on_server=false
if [ -d "$fixtures" ] && "$server" facility --help >/dev/null 2>&1; then
  for f in "$fixtures"/*.csv; do
    "$server" --data-dir "$demo/server" facility import --org "$org" "$f" >/dev/null
  done
  imported_on_server=true
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$server" --data-dir "$demo/server" serve --listen "127.0.0.1:$port" >"$demo/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

if [ "$imported_on_server" = false ] && [ -d "$fixtures" ]; then
  "$target/fieldaudit" --data-dir "$demo/app" init --device-name "Demo laptop" >/dev/null 2>&1 || true
  for f in "$fixtures"/*.csv; do
    "$target/fieldaudit" --data-dir "$demo/app" facility import "$f" >/dev/null || true
  done
fi

cat <<INFO

FieldAudit demo
  server:        http://127.0.0.1:$port   (log: $demo/server.log)
  organisation:  $org
  user:          $user
  password:      $password
  app data:      $demo/app

INFO
FIELDAUDIT_DATA_DIR="$demo/app" FIELDAUDIT_SERVER_URL="http://127.0.0.1:$port" \
FIELDAUDIT_DEMO_ORG="$org" FIELDAUDIT_DEMO_USER="$user" "$target/fieldaudit-app"
