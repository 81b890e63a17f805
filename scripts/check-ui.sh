#!/usr/bin/env bash
# The desktop app's front end: installs its locked packages, builds it (Vite) and
# runs its unit tests (Vitest). The TypeScript bindings' staleness is checked by
# `cargo test -p fieldaudit-app` (test `bindings::committed_typescript_bindings_match_the_rust_types`).
set -euo pipefail
cd "$(dirname "$0")/../ui"
npm ci --no-audit --no-fund
npm run build
# Type-check the TypeScript modules (api.ts, the generated bindings, lib/*.ts);
# .svelte files are checked only as far as they import these.
npx tsc --noEmit -p tsconfig.json
npx vitest run
