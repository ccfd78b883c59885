#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR [SECONDS] - replays every seed corpus, then fuzzes each target for
# SECONDS (default 60; 0 = replay only). Prints one line per target, "PASS <target> ..." or
# "FAIL <target> ...", and exits non-zero if any target found a crash, a leak or a hang.
# Inputs found while fuzzing stay in BUILD_DIR/fuzz-work/<target>/ (not in the repo's seeds);
# crashing inputs in BUILD_DIR/fuzz-artifacts/<target>/, to replay with
# `BUILD_DIR/tests/fuzz/<target> <file>`.
set -uo pipefail

build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
targets=(fuzz_msg fuzz_answer fuzz_zone fuzz_resolver fuzz_sigv4 fuzz_xml fuzz_r53_json)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=0
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/$t
	seeds=$here/corpus/$t
	work=$build/fuzz-work/$t
	art=$build/fuzz-artifacts/$t
	log=$build/fuzz-logs/$t.log
	mkdir -p "$work" "$art" "$(dirname "$log")"
	: >"$log"
	case $t in
	fuzz_zone) opts=(-dict="$here/zone.dict" -max_len=4096) ;;
	fuzz_sigv4 | fuzz_xml | fuzz_resolver) opts=(-max_len=4096) ;;
	fuzz_r53_json) opts=(-dict="$here/json.dict" -max_len=4096) ;;
	*) opts=(-dict="$here/dns.dict" -max_len=1024) ;;
	esac
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin not built (make fuzz)"
		failed=1
		continue
	fi

	# Replay: every seed once, no mutation; any crash fails the target.
	nseeds=$(find "$seeds" -type f | wc -l)
	if ! "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 "${opts[@]}" "$seeds" >>"$log" 2>&1; then
		echo "FAIL $t: replaying $nseeds seeds crashed (log: $log, inputs: $art)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*check failed|fuzz_[a-z]+: )' "$log" |
			head -5 | sed 's/^/    /'
		failed=1
		continue
	fi
	if [ "$seconds" -le 0 ]; then
		echo "PASS $t: replayed $nseeds seeds"
		continue
	fi

	# Fuzz: new inputs go to the work dir; the seeds are read, never written.
	start=$(date +%s)
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "${opts[@]}" "$work" "$seeds" >>"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
		echo "PASS $t: replayed $nseeds seeds, ${runs:-?} runs in $(($(date +%s) - start)) s, ${cov:-cov: ?}"
	else
		echo "FAIL $t: fuzzing found a crash after $(($(date +%s) - start)) s (log: $log, inputs: $art)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*check failed|fuzz_[a-z]+: )' "$log" |
			head -5 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
