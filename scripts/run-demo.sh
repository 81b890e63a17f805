#!/usr/bin/env bash
# Starts FieldAudit with demo data in a throw-away data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${FIELDAUDIT_DEMO_DIR:-$(mktemp -d -t fieldaudit-demo.XXXXXX)}"
cargo run -q -p fieldaudit-cli -- --data-dir "$data" demo
