# FieldAudit: the two commands a newcomer needs.
#   make run   install what is missing, then start FieldAudit with demo data
#   make test  install what is missing, then run every test
#   make package  build the desktop app's Linux installer (.deb) with Tauri's bundler
# Build output goes to $(CARGO_TARGET_DIR) (default: target/ in the clone).

SHELL := /bin/bash
export CARGO_TERM_COLOR ?= never

.PHONY: run test deps test-rust test-extra package

deps:
	bash scripts/install-deps.sh

run: deps
	bash scripts/run-demo.sh

test: deps test-rust test-extra

test-rust:
	cargo test --workspace --all-targets

# Checks that are not cargo tests (e.g. API fuzzing against the served OpenAPI document).
test-extra:
	@for s in scripts/check-*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

# The desktop app's .deb (release build; FIELDAUDIT_PACKAGE_PROFILE=debug for a quicker one).
package: deps
	bash scripts/package.sh
