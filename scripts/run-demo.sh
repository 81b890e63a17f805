#!/usr/bin/env bash
# Starts FieldAudit with demo data, connected to a local server:
#   1. fieldaudit-server on an embedded SQLite file in a temporary folder, on a free
#      loopback port, with a demo organisation and user;
#   2. the fixture facility lists imported for the organisation (server-side when
#      the server has `facility import`, else into the app's data folder);
#   3. a demo reviewer key: the private key file (encrypted with a passphrase the
#      banner prints) made with `fieldaudit reviewer keygen`, its public key
#      registered with `fieldaudit-server reviewer add`, so worker interviews can be
#      finalised (sealed to it) and read back in Reviewer mode;
#   4. the office's demo data (a few hundred audits over the fixture facilities with
#      findings, CAPs in every state, fee records, a rate table and the sample WGI
#      file), made with `fieldaudit demo --office` on a device signed in as the demo
#      admin and synced to the server, so the reviewer's app pulls a full office;
#   5. the desktop app, with its own temporary data folder, proposing that server,
#      organisation and user on its first-run screen.
# The server is stopped (by its process id) when the app exits.
# FIELDAUDIT_DEMO_DIR keeps the data in a folder of your choice instead (an empty
# one, or one this script filled before: then the same server data and key are used).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
demo="${FIELDAUDIT_DEMO_DIR:-$(mktemp -d -t fieldaudit-demo.XXXXXX)}"
mkdir -p "$demo/server" "$demo/app"
fixtures="${FIELDAUDIT_FIXTURES:-$root/../shared/fixtures/facility-lists}"
org=demo-audits user=auditor password=demo-password-1
reviewer_key="$demo/reviewer.age" reviewer_passphrase=demo-reviewer-passphrase
setup_log="$demo/setup.log"

echo "Building FieldAudit (server, CLI and desktop app)…"
cargo build -q -p fieldaudit-server -p fieldaudit-cli -p fieldaudit-app
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug"
server="$target/fieldaudit-server"
cli="$target/fieldaudit"

# Runs a setup command with its output in $setup_log; on failure shows it and stops.
step() {
  local what="$1"; shift
  if ! "$@" >>"$setup_log" 2>&1; then
    echo "Demo setup failed while trying to $what. Its output (also in $setup_log):" >&2
    tail -n 20 "$setup_log" >&2
    exit 1
  fi
}

if [ -e "$demo/.demo-ready" ]; then
  echo "Reusing the demo data in $demo"
else
  : >"$setup_log"
  step "create the demo organisation" "$server" --data-dir "$demo/server" org create "$org" --name "Demo Audits Ltd"
  step "add the demo user" "$server" --data-dir "$demo/server" user add --org "$org" "$user" --role auditor --password "$password"
  step "add the demo reviewer user" "$server" --data-dir "$demo/server" user add --org "$org" lead-reviewer --role reviewer --password "$password"
  step "add the demo admin user" "$server" --data-dir "$demo/server" user add --org "$org" demo-admin --role admin --password "$password"

  if [ -d "$fixtures" ] && "$server" facility --help >/dev/null 2>&1; then
    for f in "$fixtures"/*.csv; do
      step "import $f on the server" "$server" --data-dir "$demo/server" facility import --org "$org" "$f"
    done
  elif [ -d "$fixtures" ]; then
    step "set up the app's data folder" "$cli" --data-dir "$demo/app" init --device-name "Demo laptop"
    for f in "$fixtures"/*.csv; do
      step "import $f into the app's data folder" "$cli" --data-dir "$demo/app" facility import "$f"
    done
  else
    echo "No facility lists in $fixtures (set FIELDAUDIT_FIXTURES to a folder of CSV files); the demo starts without facilities." >&2
  fi

  # The demo reviewer: keygen prints "public key (…): age1…"; the server seals nothing
  # itself, it only hands the public key to devices at their next sync.
  printf '%s\n' "$reviewer_passphrase" | step "make the demo reviewer key" "$cli" reviewer keygen --out "$reviewer_key" --passphrase-stdin
  public_key="$(grep -o 'age1[0-9a-z]*' "$setup_log" | tail -n 1)"
  if [ -z "$public_key" ]; then
    echo "Demo setup failed: \`fieldaudit reviewer keygen\` printed no public key (see $setup_log)." >&2
    exit 1
  fi
  step "register the demo reviewer key" "$server" --data-dir "$demo/server" reviewer add --org "$org" --name "Demo reviewer" --public-key "$public_key"
  touch "$demo/.demo-ready"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$server" --data-dir "$demo/server" serve --listen "127.0.0.1:$port" >"$demo/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "fieldaudit-server stopped at start-up; its log ($demo/server.log):" >&2
    tail -n 20 "$demo/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

# The office's demo data: seeded once through the store and sync APIs on a device
# signed in as the demo admin (it pulls the facilities first, then pushes).
if [ ! -e "$demo/.demo-office-ready" ]; then
  echo "Seeding the demo office (a few hundred audits; about a minute)…"
  seed="$demo/office-seed"
  step "set up the office seed device" "$cli" --data-dir "$seed" init --device-name "Demo office seed"
  printf '%s\n' "$password" | step "sign the seed device in as demo-admin" "$cli" --data-dir "$seed" login --server "http://127.0.0.1:$port" --org "$org" --user demo-admin --password-stdin
  step "pull the facilities to the seed device" "$cli" --data-dir "$seed" sync
  if [ -d "$fixtures" ] && [ "$("$cli" --data-dir "$seed" facility list 2>/dev/null | wc -l)" -le 1 ]; then
    for f in "$fixtures"/*.csv; do
      step "import $f into the seed device" "$cli" --data-dir "$seed" facility import "$f"
    done
  fi
  step "seed the demo office" "$cli" --data-dir "$seed" demo --office
  step "send the demo office to the server" "$cli" --data-dir "$seed" sync
  touch "$demo/.demo-office-ready"
fi

cat <<INFO

FieldAudit demo
  server:        http://127.0.0.1:$port   (log: $demo/server.log)
  organisation:  $org
  user:          $user
  password:      $password
  app data:      $demo/app

  A reviewer account (same password): lead-reviewer. A device belongs to one
  user, so review from a second app with its own data folder, once an audit is
  signed off (Findings & CAP):
    FIELDAUDIT_DATA_DIR=$demo/reviewer-app FIELDAUDIT_SERVER_URL=http://127.0.0.1:$port \
      FIELDAUDIT_DEMO_ORG=$org FIELDAUDIT_DEMO_USER=lead-reviewer $target/fieldaudit-app

  The office (review queue, CAP tracker, dashboard with charts and map, audit
  plan) is the reviewer's app: open it with the command above and sign in as
  lead-reviewer; its first sync pulls the demo office (a few hundred audits).
  The same figures on the command line:
    $cli --data-dir $demo/office-seed dashboard | plan | cap list --overdue --country CN

  Worker interviews are sealed to the demo reviewer when finalised. To read
  them, open Reviewer mode on an audit's Worker interviews tab with
    reviewer key:  $reviewer_key
    passphrase:    $reviewer_passphrase

INFO
FIELDAUDIT_DATA_DIR="$demo/app" FIELDAUDIT_SERVER_URL="http://127.0.0.1:$port" \
FIELDAUDIT_DEMO_ORG="$org" FIELDAUDIT_DEMO_USER="$user" "$target/fieldaudit-app"
