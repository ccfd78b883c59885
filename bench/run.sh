#!/usr/bin/env bash
# bench/run.sh - QPS of signpost, NSD and Knot DNS on the same zones, queries, core and duration.
#
# For each zone (small.test: a few hundred records; bench.test: 1,000,000 records) and each round,
# every server in turn (the order rotates each round) is started pinned to one core, waited for
# until it answers the zone's SOA, and loaded by bench/loadgen pinned to the other core; for the
# large zone the load time (start -> first answer) and resident memory are recorded too. A
# trivial batched UDP responder (bench/echo.c) runs in the small-zone rotation to show the
# machine's ceiling. Medians per server and the ratio signpost / best peer are printed and
# written to bench/out/results.md. See docs/benchmarks.md.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS [10]    measured seconds per run (after BENCH_WARMUP [1] unmeasured seconds)
#   BENCH_ROUNDS [3]      runs per server and zone
#   BENCH_ZONES [small.test,bench.test]   BENCH_SERVERS [signpost,nsd,knot]
#   BENCH_CEILING [1]     also measure bench/echo (small zone only)
#   BENCH_INFLIGHT [200]  queries in flight (over ~250 overflows default socket buffers)
#   BENCH_EDNS [1]        queries carry an EDNS(0) OPT record (payload 1232)
#   BENCH_SERVER_CPU [0], BENCH_LOAD_CPU [1]   BENCH_PORT [first free from 53530]
#   SIGNPOST_BIN [build/signpost]   BENCH_LOAD_TIMEOUT [300] seconds for a server to load a zone
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
DURATION=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-3}
ZONES=${BENCH_ZONES:-small.test,bench.test}
SERVERS=${BENCH_SERVERS:-signpost,nsd,knot}
CEILING=${BENCH_CEILING:-1}
INFLIGHT=${BENCH_INFLIGHT:-200}
EDNS=${BENCH_EDNS:-1}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
LOAD_TIMEOUT=${BENCH_LOAD_TIMEOUT:-300}
SIGNPOST=${SIGNPOST_BIN:-$ROOT/build/signpost}
NSD=${NSD_BIN:-/usr/sbin/nsd}
KNOTD=${KNOTD_BIN:-/usr/sbin/knotd}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# A hard upper bound on any one server process, whatever happens to this script.
SERVER_LIMIT=$(awk -v a="$LOAD_TIMEOUT" -v b="$WARMUP" -v c="$DURATION" 'BEGIN { print int(a + b + c + 120) }')

mkdir -p "$OUT/bin"
WORK=$(mktemp -d /tmp/signpost-bench.XXXXXX)
CURRENT_TPID=""

stop_server() {
	# $1: pid of the `timeout` wrapping the server; TERM goes to its whole process group.
	local tpid=$1 i
	[ -n "$tpid" ] || return 0
	kill -TERM "$tpid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$tpid" 2>/dev/null; then
		kill -KILL -- "-$tpid" 2>/dev/null || true
	fi
	wait "$tpid" 2>/dev/null || true
}

cleanup() {
	stop_server "$CURRENT_TPID"
	CURRENT_TPID=""
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in taskset timeout ss flock; do
	command -v "$tool" >/dev/null || die "$tool is missing: run 'make deps' (scripts/install-deps)"
done
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; server and load generator will share one"

# One benchmark at a time on this machine (other checkouts included): two would share the cores
# and could pick the same port. Bounded wait.
LOCK=${BENCH_LOCK:-/tmp/signpost-bench.lock}
exec 9>>"$LOCK"
if ! flock -n 9; then
	log "another benchmark holds $LOCK; waiting for it (at most 15 minutes)"
	flock -w 900 9 || die "gave up waiting for $LOCK"
fi

# --- inputs: zones and queries (cached), the load generator and the ceiling responder ---------
if [ ! -s "$OUT/bench.test.zone" ] || [ ! -s "$OUT/small.test.zone" ] ||
	[ "$ROOT/bench/gen.py" -nt "$OUT/bench.test.zone" ]; then
	log "generating zones and query mixes into bench/out/"
	"$PY" "$ROOT/bench/gen.py" "$OUT"
fi
CC=${CC:-cc}
for prog in loadgen echo; do
	if [ ! -x "$OUT/bin/$prog" ] || [ "$ROOT/bench/$prog.c" -nt "$OUT/bin/$prog" ]; then
		log "building bench/$prog.c"
		"$CC" -std=gnu17 -O2 -Wall -Wextra -o "$OUT/bin/$prog.tmp" "$ROOT/bench/$prog.c"
		mv -f "$OUT/bin/$prog.tmp" "$OUT/bin/$prog"
	fi
done
LOADGEN=$OUT/bin/loadgen
ECHO=$OUT/bin/echo

pick_port() {
	local p
	for p in $(seq 53530 53629); do
		if [ -z "$(ss -Hlnu "sport = :$p" 2>/dev/null)" ] &&
			[ -z "$(ss -Hlnt "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	die "no free port in 53530-53629"
}
PORT=${BENCH_PORT:-$(pick_port)}

IFS=, read -r -a server_list <<<"$SERVERS"
IFS=, read -r -a zone_list <<<"$ZONES"
have_signpost=1
if [[ ",$SERVERS," == *,signpost,* ]] && [ ! -x "$SIGNPOST" ]; then
	log "$SIGNPOST does not exist yet: measuring the peers only"
	have_signpost=0
fi
active=()
for s in "${server_list[@]}"; do
	case $s in
	signpost) [ "$have_signpost" = 1 ] && active+=(signpost) ;;
	nsd) if [ -x "$NSD" ]; then active+=(nsd); else log "no $NSD: skipping NSD"; fi ;;
	knot) if [ -x "$KNOTD" ]; then active+=(knot); else log "no $KNOTD: skipping Knot"; fi ;;
	*) die "unknown server '$s' (signpost, nsd, knot)" ;;
	esac
done

# --- servers --------------------------------------------------------------------------------
# Each start_* launches the server under `timeout` (its own process group), pinned to
# SERVER_CPU, and sets CURRENT_TPID.

start_signpost() { # zone file dir
	timeout -k 5 "$SERVER_LIMIT" taskset -c "$SERVER_CPU" "$SIGNPOST" dns \
		--listen "127.0.0.1:$PORT" --zone "$1=$2" --workers 1 >"$3/server.log" 2>&1 &
	CURRENT_TPID=$!
}

start_nsd() { # zone file dir
	cat >"$3/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $PORT
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$3"
	database: ""
	pidfile: "$3/nsd.pid"
	xfrdfile: "$3/xfrd.state"
	zonelistfile: "$3/zone.list"
	logfile: "$3/server.log"
	verbosity: 1
	rrl-ratelimit: 0
	zonefiles-write: 0
remote-control:
	control-enable: no
zone:
	name: "$1"
	zonefile: "$2"
EOF
	timeout -k 5 "$SERVER_LIMIT" taskset -c "$SERVER_CPU" "$NSD" -d -c "$3/nsd.conf" \
		>>"$3/server.log" 2>&1 &
	CURRENT_TPID=$!
}

start_knot() { # zone file dir
	mkdir -p "$3/db" "$3/storage"
	cat >"$3/knot.conf" <<EOF
server:
    rundir: "$3"
    listen: 127.0.0.1@$PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$3/db"
log:
  - target: stderr
    any: notice
template:
  - id: default
    storage: "$3/storage"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: "$1"
    file: "$2"
EOF
	timeout -k 5 "$SERVER_LIMIT" taskset -c "$SERVER_CPU" "$KNOTD" -c "$3/knot.conf" \
		>"$3/server.log" 2>&1 &
	CURRENT_TPID=$!
}

start_echo() { # zone file dir
	timeout -k 5 "$SERVER_LIMIT" taskset -c "$SERVER_CPU" "$ECHO" -p "$PORT" \
		-l "$SERVER_LIMIT" >"$3/server.log" 2>&1 &
	CURRENT_TPID=$!
}

tree_pids() { # the processes below $1 (not $1 itself)
	local c
	# shellcheck disable=SC2013 # the children files hold space-separated pids
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		tree_pids "$c"
	done
}

pin_tree() { # Knot re-pins its own threads after start: pin every thread of every process again
	local p
	for p in $(tree_pids "$1"); do
		taskset -a -p -c "$SERVER_CPU" "$p" >/dev/null 2>&1 || true
	done
}

memory_kib() { # "max VmRSS" and "sum of Pss" over the server's processes, in KiB
	local p rss pss max=0 sum=0
	for p in $(tree_pids "$1"); do
		rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)
		pss=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max" ] && max=${rss:-0}
		sum=$((sum + ${pss:-0}))
	done
	echo "$max $sum"
}

cpu_ticks() { # utime + stime of every process of the server (all threads), in clock ticks
	local p sum=0 t
	for p in $(tree_pids "$1"); do
		t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$p"/stat 2>/dev/null || echo 0)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

wait_ready() { # zone; prints milliseconds from launch to the first authoritative SOA answer
	local zone=$1 t0=$2 deadline any=()
	[ "$3" = echo ] && any=(-A) # the ceiling responder only echoes
	deadline=$(($(date +%s) + LOAD_TIMEOUT))
	while kill -0 "$CURRENT_TPID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
		if taskset -c "$LOAD_CPU" "$LOADGEN" -P "$zone" "${any[@]}" -p "$PORT" -l 1 >/dev/null 2>&1; then
			"$PY" -c "import sys; print(round((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" \
				"$t0" "$EPOCHREALTIME"
			return 0
		fi
	done
	return 1
}

# --- one run: start, wait, measure, stop; appends a line to $RUNS -----------------------------
RUNS=$WORK/runs.tsv
printf 'zone\tserver\tround\tqps\tsent\treceived\tlost\tbad\tload_ms\trss_kib\tpss_kib\tserver_cpu\tloadgen_cpu\n' >"$RUNS"
CLK_TCK=$(getconf CLK_TCK)

run_one() { # zone server round
	local zone=$1 server=$2 round=$3 dir t0 ready rss pss json xargs=() c0 c1 w0 w1
	dir=$WORK/$zone-$server-$round
	mkdir -p "$dir"
	[ -n "${BENCH_PORT:-}" ] || PORT=$(pick_port) # other tests on this machine take ports too
	t0=$EPOCHREALTIME
	"start_$server" "$zone" "$OUT/$zone.zone" "$dir"
	if ! ready=$(wait_ready "$zone" "$t0" "$server"); then
		log "$server did not answer for $zone; its log ends with:"
		tail -n 5 "$dir/server.log" >&2 || true
		stop_server "$CURRENT_TPID"
		CURRENT_TPID=""
		printf '%s\t%s\t%s\tfailed\t0\t0\t0\t0\t-\t-\t-\n' "$zone" "$server" "$round" >>"$RUNS"
		return 0
	fi
	pin_tree "$CURRENT_TPID"
	sleep 0.5
	read -r rss pss < <(memory_kib "$CURRENT_TPID")
	[ "$server" = echo ] || xargs=(-x "$OUT/$zone.expect")
	[ "$EDNS" = 1 ] && xargs+=(-e)
	c0=$(cpu_ticks "$CURRENT_TPID")
	w0=$EPOCHREALTIME
	json=$(taskset -c "$LOAD_CPU" "$LOADGEN" -d "$OUT/$zone.queries" "${xargs[@]}" \
		-p "$PORT" -l "$DURATION" -w "$WARMUP" -c "$INFLIGHT" 2>/dev/null) || json='{}'
	w1=$EPOCHREALTIME
	c1=$(cpu_ticks "$CURRENT_TPID")
	stop_server "$CURRENT_TPID"
	CURRENT_TPID=""
	echo "$json" >"$dir/loadgen.json"
	"$PY" - "$zone" "$server" "$round" "$ready" "$rss" "$pss" "$json" \
		"$((c1 - c0))" "$CLK_TCK" "$w0" "$w1" >>"$RUNS" <<'EOF'
import json, sys
zone, server, rnd, ready, rss, pss, raw, ticks, hz, w0, w1 = sys.argv[1:12]
srv_cpu = int(ticks) / int(hz) / max(float(w1) - float(w0), 1e-3)
j = json.loads(raw) if raw.strip() else {}
bad = j.get("invalid", 0) + j.get("mismatch", 0) + j.get("walk_fail", 0)
print("\t".join(str(x) for x in (zone, server, rnd, round(j.get("qps", 0)), j.get("sent", 0),
      j.get("received", 0), j.get("lost", 0), bad, ready, rss, pss, "%.2f" % srv_cpu,
      "%.2f" % j.get("cpu", 0))))
EOF
	tail -n 1 "$RUNS" | awk -F'\t' '{ printf "bench: %-10s %-8s round %s: %7s QPS  lost %s  bad %s  ready %s ms  rss %s KiB  cpu %s/%s\n", $1, $2, $3, $4, $7, $8, $9, $10, $12, $13 }' >&2
}

# --- the rounds ---------------------------------------------------------------------------
START_TIME=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "port $PORT, servers on CPU $SERVER_CPU, loadgen on CPU $LOAD_CPU, ${DURATION}s x $ROUNDS rounds"
for zone in "${zone_list[@]}"; do
	[ -s "$OUT/$zone.zone" ] || die "unknown zone $zone (gen.py makes small.test and bench.test)"
	order=("${active[@]}")
	if [ "$CEILING" = 1 ] && [ "$zone" = small.test ]; then
		order+=(echo)
	fi
	n=${#order[@]}
	for round in $(seq 1 "$ROUNDS"); do
		for i in $(seq 0 $((n - 1))); do
			run_one "$zone" "${order[$(((i + round - 1) % n))]}" "$round"
		done
	done
done

# --- report -------------------------------------------------------------------------------
signpost_info="not built (peers only)"
if [ "$have_signpost" = 1 ]; then
	signpost_info="$SIGNPOST, built $(stat -c '%y' "$SIGNPOST" | cut -d. -f1)"
fi
BENCH_META_START=$START_TIME \
	BENCH_META_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) \
	BENCH_META_SIGNPOST=$signpost_info \
	BENCH_META_NSD="NSD $("$NSD" -v 2>&1 | awk 'NR == 1 { print $3 }')" \
	BENCH_META_KNOT="Knot DNS $("$KNOTD" --version 2>/dev/null | awk '{ print $NF }')" \
	BENCH_META_NPROC=$(nproc) BENCH_META_KERNEL=$(uname -r) BENCH_META_LOADAVG=$LOAD_BEFORE \
	BENCH_META_SERVER_CPU=$SERVER_CPU BENCH_META_LOAD_CPU=$LOAD_CPU BENCH_META_WARMUP=$WARMUP \
	BENCH_META_SECONDS=$DURATION BENCH_META_INFLIGHT=$INFLIGHT BENCH_META_EDNS=$EDNS \
	BENCH_META_ROUNDS=$ROUNDS \
	BENCH_META_COMMAND="BENCH_SECONDS=$DURATION BENCH_ROUNDS=$ROUNDS BENCH_ZONES=$ZONES bash bench/run.sh" \
	"$PY" "$ROOT/bench/report.py" "$RUNS" "$OUT/results.md"
cp "$RUNS" "$OUT/runs.tsv"
log "wrote bench/out/results.md"
