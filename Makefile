# oncecheck's front door. `make help` lists the targets; CMake (CMakePresets.json)
# does the building, under build/<preset>.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RELEASE := build/release
TSAN    := build/tsan
RESULTS := build/results
# Debian packages only (DEVELOPERS.md); nothing is downloaded at build time.
PACKAGES := cmake g++ make relacy-dev libcli11-dev libbenchmark-dev libgtest-dev \
            nlohmann-json3-dev python3-matplotlib python3-hypothesis chromium parallel rsync
# make stress: rounds per cell, threads per round, seconds without progress
# before a round is a hang.
STRESS_ROUNDS  ?= 2000
STRESS_THREADS ?= 8
STRESS_TIMEOUT ?= 5
# make check-programs: generated programs per correct design and engine.
PROGRAMS ?= 100000
# make check-models FULL=1: also time Relacy's full search on every flawed
# cell (off by default: it ends no tree and takes minutes).
FULL ?=
# make check-models: quick or default iteration budgets.
BUDGET ?= default
# make check-models JOBS=N: the matrix as N shards of each engine through
# GNU parallel (harness/runner/shard.hpp), then merged and compared; unset:
# one run per engine, as before.
JOBS ?=
# make report BASELINE=path/to/old/results: deltas against an earlier run.
BASELINE ?=
# The report is Python run by Debian's interpreter, the one that sees
# python3-matplotlib (a python3 earlier on PATH may not).
PYTHON := /usr/bin/python3

# make check-models IMPL=path/to/my_map.hpp: check your own design (see
# impls/register_design.hpp); built apart, under build/impl.
IMPL ?=
IMPL_BUILD := build/impl
# make bench: the benchmark binary; BENCH_FILTER=regex runs only the
# benchmarks whose names match (Google Benchmark's --benchmark_filter).
# BENCH_MIN_TIME: seconds of measured time per benchmark repetition (at
# least one whole run of its protocol; W4 at 10^4..10^7 keys, distinct_miss
# keys:N, runs fixed iterations whatever it is). BENCH_REPETITIONS: runs of
# each benchmark; bench.json then holds each run and their median, the
# report reads the medians, and a design's floor_ratio is over its floor's
# median (bench/floor_table.hpp): a figure near a target's limit is judged
# on the middle of three runs, not on whichever run the machine's noise
# hit. The defaults took 16 min 4 s on an idle 2-core machine (2026-12-02;
# W4 at scale, whose runs each double a map of up to 10^7 keys, is half of
# it), 7.6 GB of memory at the peak; BENCH_MIN_TIME=0.2 BENCH_REPETITIONS=1 is
# a quick, noisy look.
BENCH_BIN := $(RELEASE)/oncecheck-bench
BENCH_FILTER ?=
BENCH_MIN_TIME ?= 0.5
BENCH_REPETITIONS ?= 3

# make install: where the headers, runners and CMake package go.
PREFIX ?= /usr/local

.PHONY: help deps build build-tsan build-asan impl-build test check-models check-programs stress bench bench-shards \
        report runners install package clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

deps: ## install the Debian packages it needs (root or sudo; does nothing when all are there)
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	echo "deps: installing" $$missing; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing

build: deps ## release build: oncecheck-model, oncecheck-stress, tests
	@cmake --preset release >/dev/null
	@cmake --build --preset release -- --no-print-directory

build-tsan: deps ## ThreadSanitizer build: oncecheck-stress and tests
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -- --no-print-directory

build-asan: deps ## AddressSanitizer + UBSan build: oncecheck-stress and tests
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -- --no-print-directory

# On a failure, what failed is printed again at the end (tests/failure_recap.sh),
# where a log that keeps only its tail still shows it.
test: build build-tsan ## unit tests, a quick model matrix, quick plain and TSan stress (CTest)
	@ctest --preset release || { tests/failure_recap.sh $(RELEASE); exit 1; }
	@ctest --preset tsan || { tests/failure_recap.sh $(TSAN); exit 1; }

CHECK_MODELS = $(if $(JOBS),check_models_sharded,check_models)
ifeq ($(IMPL),)
check-models: build ## every design-or-flaw x scenario under Relacy and the explorer, compared with models/expected.tsv (IMPL=my_map.hpp: your design; JOBS=N: N shards on GNU parallel)
	@$(call $(CHECK_MODELS),$(RELEASE),models,--catalogue-json $(RESULTS)/designs.json)
else
check-models: impl-build
	@$(call $(CHECK_MODELS),$(IMPL_BUILD),models-impl,--other-results $(RESULTS)/stress-impl.json)
endif

# $(call check_models,BUILD,NAME,EXTRA): Relacy's schedulers (random, bound;
# full with FULL=1) into NAME-relacy.json, the explorer's (dpor, pct) into
# NAME-explore.json, both merged into NAME.json; fails if either differs.
# Each also as JUnit XML (NAME-relacy.xml, NAME-explore.xml) for CI.
define check_models
mkdir -p $(RESULTS); \
$(1)/oncecheck-model --check-all --budget $(BUDGET) --expected models/expected.tsv \
    --json $(RESULTS)/$(2)-relacy.json --junit $(RESULTS)/$(2)-relacy.xml $(3) $(if $(FULL),--detection-schedulers full) \
    --display-name $(1)/oncecheck-model; relacy=$$?; \
$(1)/oncecheck-explore --check-all --budget $(BUDGET) --expected models/expected.tsv \
    --json $(RESULTS)/$(2)-explore.json --junit $(RESULTS)/$(2)-explore.xml --display-name $(1)/oncecheck-explore; explore=$$?; \
$(1)/oncecheck-model --merge $(RESULTS)/$(2)-relacy.json $(RESULTS)/$(2)-explore.json --json $(RESULTS)/$(2).json \
  && echo "check-models: results in $(RESULTS)/$(2).json"; \
test $$relacy = 0 && test $$explore = 0
endef

# $(call check_models_sharded,BUILD,NAME,EXTRA): JOBS shards of each engine
# (models/shards.sh lists them), JOBS at a time on GNU parallel, one core
# each, with parallel's progress bar on a terminal (--bar; a log would get
# a line per update); a shard that fails (it crashed or was killed: a shard whose cells
# differ still exits 0) is run once more, then named. The shards' files are
# merged into NAME-relacy.json, NAME-explore.json and NAME.json, and the
# merge compares the joined cells with models/expected.tsv.
define check_models_sharded
mkdir -p $(RESULTS)/shards; rm -f $(RESULTS)/shards/$(2)-*; \
models/shards.sh jobs $(1) $(2) $(JOBS) $(RESULTS)/shards "--budget $(BUDGET)" "$(if $(FULL),--detection-schedulers full)" "$(3)" \
  | parallel -j $(JOBS) $$([ -t 2 ] && echo --bar) --retries 2 --joblog $(RESULTS)/$(2).joblog; \
failed=$$(models/shards.sh failed $(RESULTS)/$(2).joblog | tr '\n' ';'); \
$(1)/oncecheck-model --merge $(RESULTS)/shards/$(2)-relacy-*.json --json $(RESULTS)/$(2)-relacy.json >/dev/null 2>&1; \
$(1)/oncecheck-model --merge $(RESULTS)/shards/$(2)-explore-*.json --json $(RESULTS)/$(2)-explore.json >/dev/null 2>&1; \
$(1)/oncecheck-model --merge $(RESULTS)/shards/$(2)-{relacy,explore}-*.json --json $(RESULTS)/$(2).json --expected models/expected.tsv; merged=$$?; \
if [ -n "$$failed" ]; then echo "check-models: failed after a retry (joblog $(RESULTS)/$(2).joblog):" $$failed >&2; exit 1; fi; \
echo "check-models: $(JOBS) shards per engine, joblog $(RESULTS)/$(2).joblog, results in $(RESULTS)/$(2).json"; \
test $$merged = 0
endef

check-programs: build build-tsan ## random_programs over 10^5 programs per correct design, every engine (long)
	@tests/check_programs.sh $(RELEASE) $(TSAN) $(PROGRAMS)

impl-build: deps
	@test -f "$(IMPL)" || { echo "oncecheck: IMPL=$(IMPL): no such file" >&2; exit 2; }
	@cmake -S . -B $(IMPL_BUILD) -DCMAKE_BUILD_TYPE=Release -DONCECHECK_USER_IMPL=$(abspath $(IMPL)) >/dev/null
	@cmake --build $(IMPL_BUILD) -j 2 -- --no-print-directory

# make stress IMPL=...: the user's design on real threads in the builds the
# project's own designs get and one more: plain, ThreadSanitizer (a missing
# acquire is a data race) and AddressSanitizer + UBSan (a use after free
# that does not crash). Only oncecheck-stress is built, in $(IMPL_BUILD),
# $(IMPL_BUILD)-tsan and $(IMPL_BUILD)-asan; the three results merge into
# stress-impl.json, which make check-models IMPL=... shows beside its own.
SANITIZE_tsan := -fsanitize=thread
SANITIZE_asan := -fsanitize=address,undefined -fno-sanitize-recover=undefined

# $(call impl_stress_build,DIR,LABEL,FLAGS)
define impl_stress_build
cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=$(if $(3),RelWithDebInfo,Release) -DONCECHECK_BENCH=OFF \
      $(if $(3),-DONCECHECK_MODELS=OFF "-DCMAKE_CXX_FLAGS=$(3) -fno-omit-frame-pointer" "-DCMAKE_EXE_LINKER_FLAGS=$(3)") \
      -DONCECHECK_STRESS_LABEL=$(2) -DONCECHECK_USER_IMPL=$(abspath $(IMPL)) >/dev/null && \
cmake --build $(1) --target oncecheck-stress -j 2 -- --no-print-directory
endef

ifneq ($(IMPL),)
stress: deps
	@test -f "$(IMPL)" || { echo "oncecheck: IMPL=$(IMPL): no such file" >&2; exit 2; }
	@$(call impl_stress_build,$(IMPL_BUILD),plain,)
	@$(call impl_stress_build,$(IMPL_BUILD)-tsan,tsan,$(SANITIZE_tsan))
	@$(call impl_stress_build,$(IMPL_BUILD)-asan,asan,$(SANITIZE_asan))
	@mkdir -p $(RESULTS)
	@args="--all --expected models/expected.tsv --rounds $(STRESS_ROUNDS) --threads $(STRESS_THREADS) --timeout $(STRESS_TIMEOUT)"; \
	for b in plain tsan asan; do \
	  dir=$(IMPL_BUILD)$$( [ $$b = plain ] || echo -$$b ); \
	  $$dir/oncecheck-stress $$args --json $(RESULTS)/stress-impl-$$b.json --display-name $$dir/oncecheck-stress \
	    || failed="$$failed $$b"; \
	done; \
	$(IMPL_BUILD)/oncecheck-stress --merge $(RESULTS)/stress-impl-{plain,tsan,asan}.json --json $(RESULTS)/stress-impl.json \
	  && echo "stress: results in $(RESULTS)/stress-impl.json (plain, tsan, asan)"; \
	test -z "$$failed" || { echo "stress: cells differ in the$$failed build(s)" >&2; exit 1; }
else
stress: build build-tsan ## every cell on real threads, plain and TSan -> build/results/stress.json
	@mkdir -p $(RESULTS)
	@args="--all --expected models/expected.tsv --rounds $(STRESS_ROUNDS) --threads $(STRESS_THREADS) --timeout $(STRESS_TIMEOUT)"; \
	$(RELEASE)/oncecheck-stress $$args --json $(RESULTS)/stress-plain.json --junit $(RESULTS)/stress-plain.xml --display-name $(RELEASE)/oncecheck-stress; plain=$$?; \
	$(TSAN)/oncecheck-stress $$args --json $(RESULTS)/stress-tsan.json --junit $(RESULTS)/stress-tsan.xml --display-name $(TSAN)/oncecheck-stress; tsan=$$?; \
	$(RELEASE)/oncecheck-stress --merge $(RESULTS)/stress-plain.json $(RESULTS)/stress-tsan.json --json $(RESULTS)/stress.json \
	  && echo "stress: results in $(RESULTS)/stress.json"; \
	test $$plain = 0 && test $$tsan = 0
endif

# make bench-shards: one big cell split into 1, 2, 4, 8 shards (wall time,
# balance), then make check-models JOBS=1 against JOBS=2 (minutes). Figures,
# not a test: models/bench_shards.sh prints them and writes
# build/results/shards.json, which make report shows (it never runs this).
bench-shards: build ## sharding's figures on this machine: a big cell in 1-8 shards, JOBS=2 vs JOBS=1
	@models/bench_shards.sh $(RELEASE) matrix

# bench.json is written under a temporary name and renamed: an interrupted
# run leaves the previous bench.json (or none), never half of one.
bench: deps ## every correct design x workload, with the floors -> build/results/bench.json (BENCH_FILTER=regex: a subset)
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target oncecheck-bench -- --no-print-directory
	@case "$(BENCH_REPETITIONS)" in ''|*[!0-9]*|0*) \
	    echo "bench: BENCH_REPETITIONS should be a whole number >= 1, not '$(BENCH_REPETITIONS)'" >&2; exit 2;; esac
	@mkdir -p $(RESULTS)
	@$(BENCH_BIN) --benchmark_out=$(RESULTS)/bench.json.partial --benchmark_out_format=json \
	    --benchmark_min_time=$(BENCH_MIN_TIME) --benchmark_repetitions=$(BENCH_REPETITIONS) \
	    $(if $(BENCH_FILTER),--benchmark_filter='$(BENCH_FILTER)') \
	  && mv $(RESULTS)/bench.json.partial $(RESULTS)/bench.json \
	  && echo "bench: results in $(RESULTS)/bench.json" \
	  || { rm -f $(RESULTS)/bench.json.partial; exit 1; }

# Runs whichever producer has not written its file yet, then the report. A
# producer that fails (a cell that differs from the expected matrix) still
# leaves its results, and those are what the report is for: it goes on, and
# make_report stops with one line if a file it needs is still missing.
report: deps ## comparison report -> build/report/index.html, report.md (BASELINE=old/results: deltas)
	@test -f $(RESULTS)/models.json || $(MAKE) --no-print-directory check-models || \
	    echo "report: make check-models failed; reporting what it wrote" >&2
	@test -f $(RESULTS)/designs.json || ! test -x $(RELEASE)/oncecheck-model || \
	    $(RELEASE)/oncecheck-model --catalogue-json $(RESULTS)/designs.json || \
	    echo "report: no designs.json; the capability table will say so" >&2
	@test -f $(RESULTS)/stress.json || $(MAKE) --no-print-directory stress || \
	    echo "report: make stress failed; reporting what it wrote" >&2
	@test -f $(RESULTS)/bench.json || $(MAKE) --no-print-directory bench || \
	    echo "report: make bench failed; the benchmark section will say so" >&2
	@$(PYTHON) reports/make_report.py --results $(RESULTS) --out build/report $(if $(BASELINE),--baseline $(BASELINE))

# The three runners alone: what install and package need (not the tests or
# the benchmarks).
runners: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target oncecheck-model oncecheck-explore oncecheck-stress -- --no-print-directory

install: runners ## install runners, headers and the CMake package under PREFIX (default /usr/local)
	@cmake --install $(RELEASE) --prefix $(PREFIX)

package: runners ## a Debian package (CPack) -> build/release/package/oncecheck_<version>_<arch>.deb
	@cd $(RELEASE) && cpack -G DEB
	@ls $(RELEASE)/package/*.deb

clean: ## remove build/
	rm -rf build
