#!/usr/bin/env bash
# bench/api_profile.sh - the server's instructions per record (1,000-record batches) and per
# one-record batch, counted by callgrind: repeatable on a busy machine, where the wall-clock
# figures of bench/api_run.sh are not (issue 3).
#
# Starts `signpost up` under valgrind --tool=callgrind, creates two zones, warms up, then
# counts BIG 1,000-record batches (CREATE then DELETE, as api_run.sh's "big" mode) and ONE
# one-record UPSERTs (its "one1" mode), zeroing the counters between them (callgrind_control).
# Every thread of the server counts: the API, the publish, the DNS worker (idle here).
#
# Usage: bench/api_profile.sh [SIGNPOST_BIN]   (default build/signpost)
# Environment: BIG [10] ONE [300]; KEEP=DIR keeps the callgrind files there (callgrind_annotate).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/signpost}")
BIG=${BIG:-10}
ONE=${ONE:-300}
for tool in valgrind callgrind_control; do
	command -v "$tool" >/dev/null || {
		echo "api-profile: $tool is missing" >&2
		exit 1
	}
done

export SIGNPOST_ACCESS_KEY_ID=AKIASIGNPOSTBENCH001
export SIGNPOST_SECRET_ACCESS_KEY=signpost/bench/secret/key/0000000000000000
WORK=$(mktemp -d /tmp/signpost-api-profile.XXXXXX)
VPID=""
cleanup() {
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

CC=${CC:-cc}
"$CC" -std=gnu17 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$ROOT/src" -o "$WORK/api_bench" \
	"$ROOT/bench/api_bench.c" "$ROOT/src/api/sigv4.c" "$ROOT/src/base/log.c" -lcrypto -lpthread

API_PORT=$((20000 + RANDOM % 20000))
DNS_PORT=$((API_PORT + 1))
cd "$WORK"
valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BIN" up --data "$WORK/data" \
	--api "127.0.0.1:$API_PORT" --dns "127.0.0.1:$DNS_PORT" --workers 1 --no-sandbox >"$WORK/server.log" 2>&1 &
VPID=$!
for _ in $(seq 1 600); do
	grep -q "signpost is up" "$WORK/server.log" 2>/dev/null && break
	kill -0 "$VPID" 2>/dev/null || break
	sleep 0.2
done
grep -q "signpost is up" "$WORK/server.log" || {
	tail -n 20 "$WORK/server.log" >&2
	exit 1
}
API=127.0.0.1:$API_PORT
ZB=$("$WORK/api_bench" -a "$API" -C big.bench.)
ZO=$("$WORK/api_bench" -a "$API" -C one.bench.)
run() { # zone-id zone prefix args...
	"$WORK/api_bench" -a "$API" -d "127.0.0.1:$DNS_PORT" -z "$1" -Z "$2" -p "$3" -l 3600 -w 0 \
		"${@:4}" >/dev/null
}
count() { # the instructions since the last zero, dumped as part $1
	sleep 1
	callgrind_control -d "$1" "$VPID" >/dev/null 2>&1
	grep -h '^summary:' "$(ls -t "$WORK"/cg.out.* | head -n 1)" | awk '{ print $2 }'
}

run "$ZB" big.bench. warm -b 1000 -n 2
run "$ZO" one.bench. warm -b 1 -n 20
sleep 1
callgrind_control -z "$VPID" >/dev/null 2>&1
run "$ZB" big.bench. m -b 1000 -n "$BIG"
big=$(count big)
callgrind_control -z "$VPID" >/dev/null 2>&1
run "$ZO" one.bench. m -b 1 -n "$ONE"
one=$(count one)
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$WORK"/cg.out.* "$KEEP/"
awk -v b="$big" -v nb="$BIG" -v o="$one" -v no="$ONE" -v bin="$BIN" 'BEGIN {
	printf "%s\n", bin
	printf "  %d 1,000-record batches: %.0f instructions, %.0f per record\n", nb, b, b / (nb * 1000)
	printf "  %d one-record batches:   %.0f instructions, %.0f per batch\n", no, o, o / no
}'
