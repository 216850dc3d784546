# macroctl developer tasks. `make` (or `make help`) lists them.
#
# A fresh machine needs only cargo and python3: everything else (the AWS emulator, moto's
# server, in .venv) is installed here, pinned by tests/emulator/requirements.txt.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
VENV_STAMP := $(VENV)/.stamp
REQUIREMENTS := tests/emulator/requirements.txt

.PHONY: help build venv emulator-start emulator-stop demo bench test lint clean

help: ## Show this help
	@echo "Targets:"
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-16s %s\n", $$1, $$2}'

build: ## Build macroctl (debug: target/debug/macroctl)
	cargo build

venv: $(VENV_STAMP) ## Create .venv with the pinned AWS emulator (moto)

$(VENV_STAMP): $(REQUIREMENTS)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r $(REQUIREMENTS)
	touch $@

emulator-start: $(VENV_STAMP) ## Start the AWS emulator in the background (reuses a running one)
	scripts/emulator.sh start

emulator-stop: ## Stop the AWS emulator
	scripts/emulator.sh stop

demo: build $(VENV_STAMP) ## Bring up the staging stack on the emulator and show its status (emulator left running)
	scripts/demo.sh

bench: $(VENV_STAMP) ## Measure the release build's speed on private emulators, figures side by side (~3 min after a first release build of ~25 min; BENCH_ARGS=--quick ~1.5 min)
	cargo build --release --locked
	$(VENV)/bin/python scripts/bench.py $(BENCH_ARGS)

test: $(VENV_STAMP) ## Run the whole test suite (each integration test starts its own emulator)
	MACROCTL_TEST_MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server cargo test --locked

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

clean: ## Remove build output, the venv, emulator and demo state, bench.json
	-scripts/emulator.sh stop
	rm -rf target/ $(VENV)/ .emulator/ .demo-state/ bench.json
