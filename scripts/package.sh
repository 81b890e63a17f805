#!/usr/bin/env bash
# `make package`: builds the desktop app's Linux installer (.deb) with Tauri's bundler
# (the @tauri-apps/cli pinned in ui/package.json), with the UI embedded (src-tauri's
# build.rs builds ui/dist first) and the name, icon, version and description from
# src-tauri/tauri.conf.json and Cargo.toml. Prints the path of the .deb on the last line.
#
#   make package                              # release build (what you ship)
#   FIELDAUDIT_PACKAGE_PROFILE=debug make package   # quicker, for trying the package
#
# Windows (.msi) and macOS (.dmg) packages need their own systems (see README,
# "Installing the desktop app").
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${FIELDAUDIT_PACKAGE_PROFILE:-release}"
case "$profile" in
  release) flags=() ;;
  debug) flags=(--debug) ;;
  *) echo "FIELDAUDIT_PACKAGE_PROFILE must be release or debug, not '$profile'" >&2; exit 2 ;;
esac
tauri=ui/node_modules/.bin/tauri
if [ ! -x "$tauri" ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
for tool in dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh (it comes with dpkg)" >&2; exit 1; }
done

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
out_dir="$target_dir/$profile/bundle/deb"
rm -f "$out_dir"/*.deb
# --ci: no prompts. The bundler reads CARGO_TARGET_DIR like cargo does.
if [ "$profile" = debug ]; then
  # The debug binary exactly as `make test` builds it (same packages, features and
  # targets, so nothing is rebuilt after it), then only the bundling step.
  cargo test --workspace --all-targets --no-run --quiet
  (cd src-tauri && "../$tauri" bundle --ci --bundles deb "${flags[@]}")
else
  (cd src-tauri && "../$tauri" build --ci --bundles deb "${flags[@]}")
fi
deb="$(ls -t "$out_dir"/*.deb 2>/dev/null | head -n1 || true)"
if [ -z "$deb" ]; then
  echo "the bundler finished but no .deb is in $out_dir" >&2
  exit 1
fi
dpkg-deb --field "$deb" Package Version Architecture Installed-Size Description | sed 's/^/  /' >&2
echo "$deb"
