# engage — build, run and test. `make run` and `make test` work from a fresh clone on Debian with Swift.
SWIFT ?= swift
CONFIG ?= cluster.yaml
APT_PACKAGES := libzmq3-dev libsqlite3-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
VENV := bench/.venv

.PHONY: all deps build build-debug run test test-long bench watch-demo clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --static-swift-stdlib

build-debug: deps
	$(SWIFT) build

run: build
	.build/release/engage run --config $(CONFIG)

# Debug build first: the integration tests start the real `engage` binary as coordinator and workers.
test: deps
	$(SWIFT) build
	$(SWIFT) test --skip LongTests

# Slow checks: long Swift tests, and agreement with the reference libraries (Fairlearn) through the real CLI.
test-long: deps $(VENV)/.installed
	$(SWIFT) build
	ENGAGE_LONG_TESTS=1 $(SWIFT) test
	$(VENV)/bin/python bench/fairness_agreement.py --engage .build/debug/engage

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# Reinstalled whenever bench/requirements.txt changes, so an existing venv gets newly pinned peers.
$(VENV)/.installed: bench/requirements.txt $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r bench/requirements.txt
	touch $@

bench: build $(VENV)/.installed
	@dpkg -s wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	$(VENV)/bin/python bench/compare.py --engage .build/release/engage
	ENGAGE_LONG_TESTS=1 $(SWIFT) test -c release --filter RegistryLongTests

# engage watch end to end: train once, feed a clean and a drifted batch (write, then rename), decide them.
watch-demo: build-debug
	rm -rf work/watch-demo && mkdir -p work/watch-demo/inbox
	.build/debug/engage run --config examples/watch.yaml
	.build/debug/engage registry promote churn 1 --to production --config examples/watch.yaml
	.build/debug/engage registry promote engagement 1 --to production --config examples/watch.yaml
	.build/debug/engage generate --rows 500 --seed 9 --out work/watch-demo/clean
	.build/debug/engage generate --rows 500 --seed 10 --out work/watch-demo/shifted --drift 'covariate:*=+1sd'
	cp work/watch-demo/clean/customers.csv work/watch-demo/inbox/.001-clean.tmp && mv work/watch-demo/inbox/.001-clean.tmp work/watch-demo/inbox/001-clean.csv
	cp work/watch-demo/shifted/customers.csv work/watch-demo/inbox/.002-shifted.tmp && mv work/watch-demo/inbox/.002-shifted.tmp work/watch-demo/inbox/002-shifted.csv
	.build/debug/engage watch --config examples/watch.yaml --once
	.build/debug/engage registry batches --config examples/watch.yaml

clean:
	rm -rf .build work registry bench/out
