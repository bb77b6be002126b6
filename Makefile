# reel — the two commands a newcomer needs: `make demo` and `make test-all` (`make test` is its
# half that needs nothing outside the repository).
# CARGO_TARGET_DIR may point outside the clone (CI reuses one); the release binary is always
# copied to target/release/reel.

CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
CARGO ?= cargo
# Tools the scale suite needs (an S3-compatible server), built once outside the clone.
REEL_TOOLS ?= /var/cache/reel-tools
export REEL_TOOLS

.PHONY: demo scale-demo scale-demo-check test test-scale test-all clickhouse-current s3s-fs garage build assets api-types rust-test js-test e2e clean

## demo: build everything and start reel with the demo shop on http://127.0.0.1:8080
demo: build
	./target/release/reel demo

## scale-demo: two reel nodes on one machine sharing PostgreSQL, ClickHouse and Garage, which
## scripts/scale-demo.sh starts on 127.0.0.1 in a temporary folder: node A (`reel demo`, the
## demo shop at /demo/ records into it) on :8080, node B (`reel serve`, the UI) on :8081;
## Ctrl-C stops everything. Installs Debian's postgresql and clickhouse-server when missing.
scale-demo: build $(REEL_TOOLS)/bin/garage
	scripts/scale-demo.sh

## scale-demo-check: the same on free ports; a demo-shop visit uploaded to node A as the SDK
## sends it, then what node B answers of it (scripts/scale-demo-check.ts); stops everything
scale-demo-check: build $(REEL_TOOLS)/bin/garage
	scripts/scale-demo.sh --check

## build: the release binary target/release/reel, with UI and SDK embedded
build: assets
	$(CARGO) build --release --locked -p reel
	@if [ "$(CARGO_TARGET_DIR)" != "$(CURDIR)/target" ]; then \
		mkdir -p target/release && cp "$(CARGO_TARGET_DIR)/release/reel" target/release/reel; fi
	@echo "built target/release/reel"

## assets: the SDK bundle (sdk/dist) and the UI (web/dist) that the binary embeds; rebuilt
## only when their sources change, so cargo does not re-embed unchanged files
assets: sdk/dist/reel.js web/dist/index.html

sdk/dist/reel.js: node_modules/.package-lock.json sdk/build.mjs $(shell find sdk/src -type f)
	node sdk/build.mjs

web/dist/index.html: node_modules/.package-lock.json web/build.mjs $(shell find web/src web/static -type f)
	node web/build.mjs

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

## api-types: the query API's OpenAPI document from the Rust types (reel openapi), and the
## TypeScript types of the UI and the tests from that document; both are committed, and the
## tests fail when they are not what the Rust types make
api-types: node_modules/.package-lock.json
	$(CARGO) run --quiet -p reel -- openapi > web/src/generated/openapi.json
	node scripts/api-types.mjs

## test: every suite that needs nothing outside the clone — TypeScript type check, Rust (unit +
## HTTP integration), SDK/UI unit, browser end-to-end — each one even when an earlier one failed,
## then a summary of each suite's counts and failures; exits non-zero if any suite failed or did
## not build. The scale suite (real servers) is test-scale's, and test-all runs both.
## scripts/run-all-tests.mjs defines the suites; the targets below run some of them.
RUN_TESTS = CARGO="$(CARGO)" node scripts/run-all-tests.mjs

test: node_modules/.package-lock.json
	$(RUN_TESTS)

## test-scale: the shared suite against real servers the tests start themselves: PostgreSQL
## (Debian's postgresql), charts on ClickHouse (Debian's clickhouse-server), recordings' objects
## in S3-compatible stores (s3s-fs and Garage, built once into REEL_TOOLS, outside the clone)
SCALE_TOOLS = $(REEL_TOOLS)/bin/s3s-fs $(REEL_TOOLS)/bin/garage
test-scale: node_modules/.package-lock.json $(SCALE_TOOLS)
	$(RUN_TESTS) scale

## test-all: `make test`'s suites, then the scale suite, in one summary (what CI runs)
test-all: node_modules/.package-lock.json $(SCALE_TOOLS)
	$(RUN_TESTS) --all

## clickhouse-current: every statement the ClickHouse store sent in the scale suite's chart,
## replay-search and look-up comparisons (against Debian's 18.16; searches, uploads, processing
## runs, User Look-Up, retention and erasure), run again on a current ClickHouse
## in-process (chdb-core from PyPI, 181 MB, installed when missing) and its rows compared. One
## test at a time: the chart test starts the log afresh, the search test appends to it.
CLICKHOUSE_LOG ?= /tmp/reel-clickhouse-statements.jsonl
clickhouse-current:
	python3 -c 'import chdb' 2>/dev/null || pip install --quiet chdb-core
	REEL_CLICKHOUSE_STATEMENTS=$(CLICKHOUSE_LOG) $(CARGO) test -p reel --test scale -- \
		charts_on_clickhouse replay_search_on_clickhouse uploads_and_processing_runs \
		user_lookup_and_deletion_on_clickhouse --test-threads=1
	python3 scripts/clickhouse-statements.py $(CLICKHOUSE_LOG)

## s3s-fs: the S3-compatible server of the scale suite, built only when missing (8 min on two
## cores). 0.14.1 is the newest that builds with the toolchain here (0.15 wants Rust 1.96).
S3S_FS_VERSION = 0.14.1
s3s-fs: $(REEL_TOOLS)/bin/s3s-fs

$(REEL_TOOLS)/bin/s3s-fs:
	env -u CARGO_TARGET_DIR $(CARGO) install --quiet --root "$(REEL_TOOLS)" s3s-fs \
		--version $(S3S_FS_VERSION) --features binary --locked

## garage: Garage, a distributed S3-compatible store, for the scale suite; built only when
## missing (about 15 minutes on two cores)
GARAGE_VERSION = 2.5.0
garage: $(REEL_TOOLS)/bin/garage

$(REEL_TOOLS)/bin/garage:
	env -u CARGO_TARGET_DIR $(CARGO) install --quiet --root "$(REEL_TOOLS)" garage \
		--version $(GARAGE_VERSION)

rust-test: node_modules/.package-lock.json
	$(RUN_TESTS) rust

js-test: node_modules/.package-lock.json
	$(RUN_TESTS) typecheck unit

e2e: node_modules/.package-lock.json
	$(RUN_TESTS) e2e

clean:
	rm -rf target sdk/dist web/dist
