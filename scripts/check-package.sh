#!/usr/bin/env bash
# The desktop app's .deb, installed and started as a person would: builds it with
# `scripts/package.sh` (debug profile, so it reuses the test build), checks its
# control fields and files, unpacks it with `dpkg -x` into a scratch root (no system
# install), and runs the installed binary under Xvfb through WebDriver to its first
# screen (src-tauri/tests/e2e.rs, `the_installed_package_opens_to_its_first_screen`).
set -euo pipefail
cd "$(dirname "$0")/.."

deb="$(FIELDAUDIT_PACKAGE_PROFILE="${FIELDAUDIT_PACKAGE_PROFILE:-debug}" bash scripts/package.sh | tail -n1)"
echo "package: $deb"
fail() { echo "check-package: $*" >&2; exit 1; }

field() { dpkg-deb --field "$deb" "$1"; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', Cargo.toml says '$version'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
field Description | grep -q "social-compliance" || fail "the description is missing: $(field Description)"
field Depends | grep -q "libwebkit2gtk-4.1" || fail "Depends does not name WebKitGTK: $(field Depends)"
# Reports set Chinese, Bengali and Devanagari text in the system's Noto fonts.
for font in fonts-noto-core fonts-noto-cjk; do
  field Depends | grep -q "$font" || fail "Depends does not name $font (reports need it): $(field Depends)"
done

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
bin="$root/usr/bin/fieldaudit-app"
[ -x "$bin" ] || fail "no executable /usr/bin/fieldaudit-app in the package: $(cd "$root" && find . -type f | head -20)"
desktop="$(find "$root/usr/share/applications" -name '*.desktop' | head -n1)"
[ -n "$desktop" ] || fail "no .desktop entry"
grep -q '^Name=FieldAudit$' "$desktop" || fail "the .desktop entry is not named FieldAudit: $(cat "$desktop")"
grep -q '^Exec=fieldaudit-app' "$desktop" || fail "the .desktop entry does not start fieldaudit-app: $(cat "$desktop")"
icon="$(grep '^Icon=' "$desktop" | cut -d= -f2)"
find "$root/usr/share/icons/hicolor" -name "$icon.png" | grep -q . || fail "no icon $icon.png under usr/share/icons/hicolor"

# Run what was installed, to its first screen.
# (--workspace, like `make test`, so the test binary is the one already built.)
FIELDAUDIT_INSTALLED_APP="$bin" cargo test --workspace --test e2e -- --exact the_installed_package_opens_to_its_first_screen 2>&1 | tee "$root/test.log"
grep -q "test result: ok. 1 passed" "$root/test.log" || fail "the installed-package test did not run and pass"
grep -q "SKIPPED" "$root/test.log" && fail "the installed-package test was skipped"
echo "check-package: $deb installs and opens"
