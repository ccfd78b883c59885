# The usual verbs around meson/ninja. See README.md.
BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
MESON_FLAGS ?=

.PHONY: all deps test unit e2e asan asan-test fuzz fuzz-run bench fmt fmt-check clean

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

fuzz-run: fuzz
	bash tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

bench: all
	bash bench/run.sh

fmt:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')

fmt-check:
	clang-format --dry-run --Werror $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
