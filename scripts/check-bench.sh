#!/usr/bin/env bash
# Smoke run of the performance harness (crates/bench): every scenario at `--scale tiny`
# against the real fieldaudit-server binary, in the debug build `make test` already
# made. Fails if any scenario fails. The real sizes are run by hand (BENCHMARKS.md).
# Scenario 7 and the PostgreSQL rows of 6 and 12 run when FIELDAUDIT_TEST_DATABASE_URL is
# set (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build -p fieldaudit-bench -p fieldaudit-server
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
timeout 240 "$target/debug/fieldaudit-bench" --scale tiny \
  --server-bin "$target/debug/fieldaudit-server" --json "$out/bench.json"
