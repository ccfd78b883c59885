# The usual verbs around meson/ninja. See README.md.
BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
MESON_FLAGS ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps test unit e2e asan asan-test fuzz fuzz-run fuzz-corpus check bench bench-api bench-resolver fmt \
	fmt-check clean help

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

deps:
	bash scripts/install-deps

unit: all
	meson test -C $(BUILD) --print-errorlogs

e2e: all
	SIGNPOST_BIN=$(CURDIR)/$(BUILD)/signpost /usr/bin/python3 -m pytest -q tests/e2e

test: unit e2e

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

asan: $(ASAN)/build.ninja
	ninja -C $(ASAN)

asan-test: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(ASAN) --print-errorlogs
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		SIGNPOST_BIN=$(CURDIR)/$(ASAN)/signpost /usr/bin/python3 -m pytest -q tests/e2e

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) -Dfuzz=true -Db_lundef=false -Dbuildtype=debugoptimized

fuzz: $(FUZZ)/build.ninja
	ninja -C $(FUZZ)

# Replays the seed corpora, then fuzzes each target for FUZZ_SECONDS (0: replay only).
fuzz-run: fuzz
	bash tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

# Rewrites the seed corpora in tests/fuzz/corpus/ from tests/fuzz/make_corpus.py.
fuzz-corpus:
	/usr/bin/python3 tests/fuzz/make_corpus.py

# The whole suite, as CI runs it (scripts/check; FUZZ_SECONDS shortens the fuzzing).
check:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/check

bench: all
	bash bench/run.sh

# The Route 53 API: change batches/s, records/s, change -> DNS latency, QPS under writes.
bench-api: all
	bash bench/api_run.sh

# The caching resolver against Unbound: cache hits and cache misses through the sandbox.
bench-resolver: all
	bash bench/resolver_run.sh

fmt:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')

fmt-check:
	clang-format --dry-run --Werror $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) build-check

help:
	@echo "make            build $(BUILD)/signpost (meson + ninja)"
	@echo "make deps       install the Debian packages (scripts/install-deps)"
	@echo "make test       unit and e2e tests (make unit, make e2e)"
	@echo "make asan       ASan+UBSan build in $(ASAN); make asan-test runs the tests on it"
	@echo "make fuzz       libFuzzer targets in $(FUZZ); make fuzz-run replays and fuzzes"
	@echo "make check      the whole suite as CI runs it (scripts/check)"
	@echo "make bench      signpost against NSD and Knot DNS (bench/run.sh)"
	@echo "make bench-api  the Route 53 API: batches/s, records/s, latency (bench/api_run.sh)"
	@echo "make fmt        clang-format the tracked C files; make fmt-check only checks"
	@echo "make clean      remove the build directories"
