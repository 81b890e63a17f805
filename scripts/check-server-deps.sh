#!/usr/bin/env bash
# The server links no device code: fieldaudit-server must not depend, directly or
# through another crate, on fieldaudit-core (the device's store, its blocking HTTP
# client, the OS keyring). What both sides need lives in crates of its own
# (fieldaudit-facility-import, fieldaudit-reviewer-key). Fails naming the path.
set -euo pipefail
cd "$(dirname "$0")/.."
tree="$(cargo tree -p fieldaudit-server -e normal,build --prefix none --offline)"
fail=0
for crate in fieldaudit-core keyring; do
  if grep -q "^$crate v" <<<"$tree"; then
    echo "fieldaudit-server depends on $crate again; the path:" >&2
    cargo tree -p fieldaudit-server -e normal,build --offline -i "$crate" >&2 || true
    fail=1
  fi
done
# reqwest's blocking client is the device's; the server has no use for it.
if cargo tree -p fieldaudit-server -e normal,build,features --prefix none --offline \
    | grep -q '^reqwest feature "blocking"'; then
  echo "fieldaudit-server links reqwest's blocking client (device code); the path:" >&2
  cargo tree -p fieldaudit-server -e normal,build,features --offline -i reqwest >&2 || true
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "move what the server needs out of fieldaudit-core into a crate both use" >&2
  exit 1
fi
echo "fieldaudit-server links no device code"
