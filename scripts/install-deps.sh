#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for building, running and testing
# FieldAudit. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have cc || need_apt+=(build-essential)
have pkg-config || need_apt+=(pkg-config)
have python3 || need_apt+=(python3 python3-pip)
have node || need_apt+=(nodejs)
have npm || need_apt+=(npm)
# The desktop app (Tauri on WebKitGTK) and its end-to-end tests (Xvfb, WebKitWebDriver).
# The OS keyring for interview draft keys (libdbus for the Secret Service client;
# dbus-run-session and gnome-keyring for its test on a private session bus).
for p in libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev xvfb xauth webkit2gtk-driver libdbus-1-dev dbus gnome-keyring; do
  have_pkg "$p" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
fi
if ! have cargo; then
  echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
# The UI's packages, exactly as locked (only when missing or the lock changed).
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
# tauri-driver: the WebDriver bridge the end-to-end tests drive the app through.
if ! have tauri-driver && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked
fi
