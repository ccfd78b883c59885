#!/usr/bin/env bash
# bench/api_run.sh - the Route 53 API benchmark (issue 3): durable change batches per second,
# records per second in 1,000-record batches, change -> DNS-visible / INSYNC latency, and DNS QPS
# with and without a steady write load.
#
# Each round starts a fresh `signpost up` (new data directory on a real file system, so every
# COMMIT's fsync is paid; one DNS worker) pinned to SERVER_CPU, creates its zones through the API,
# then runs bench/api_bench (and bench/loadgen) pinned to LOAD_CPU in these modes:
#   one1    1 client, one-record batches (UPSERT of one name, a new address each time)
#   one16   16 clients, one-record batches
#   big     1,000-record batches (CREATE 1,000 names, then DELETE them, and so on)
#   lat1    1 client as one1, and after each 200: DNS asked until it answers the new address,
#           then GetChange (must say INSYNC)
#   lat16   16 clients as lat1
#   dns0    bench/loadgen against a 1,000-host zone served by the same process, no writes
#   dnsW    the same while WRITERS clients change another name of that zone WRITE_RATE times/s
# Medians of the rounds and the ratios against the targets are printed and written to
# bench/out/api_results.md (every run: bench/out/api_runs.tsv). See docs/benchmarks.md.
#
# Environment (defaults in brackets):
#   API_BENCH_SECONDS [5]  measured seconds per mode (after API_BENCH_WARMUP [1])
#   API_BENCH_ROUNDS [3]   API_BENCH_MODES [one1,one16,big,lat1,lat16,dns0,dnsW]
#   API_BENCH_WRITERS [4]  API_BENCH_WRITE_RATE [200] batches/s over the writers (0: flat out)
#   API_BENCH_BIG_CLIENTS [1]   clients sending 1,000-record batches
#   API_BENCH_DATA_PARENT [/tmp]   where the data directories go (not tmpfs: fsync must count)
#   BENCH_SERVER_CPU [0], BENCH_LOAD_CPU [1], BENCH_INFLIGHT [200]   SIGNPOST_BIN [build/signpost]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
DURATION=${API_BENCH_SECONDS:-5}
WARMUP=${API_BENCH_WARMUP:-1}
ROUNDS=${API_BENCH_ROUNDS:-3}
MODES=${API_BENCH_MODES:-one1,one16,big,lat1,lat16,dns0,dnsW}
WRITERS=${API_BENCH_WRITERS:-4}
WRITE_RATE=${API_BENCH_WRITE_RATE:-200}
BIG_CLIENTS=${API_BENCH_BIG_CLIENTS:-1}
DATA_PARENT=${API_BENCH_DATA_PARENT:-/tmp}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
INFLIGHT=${BENCH_INFLIGHT:-200}
SIGNPOST=${SIGNPOST_BIN:-$ROOT/build/signpost}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

log() { printf 'api-bench: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

for tool in taskset timeout ss flock; do
	command -v "$tool" >/dev/null || die "$tool is missing: run 'make deps' (scripts/install-deps)"
done
[ -x "$SIGNPOST" ] || die "$SIGNPOST does not exist: run 'make' first"

# Fixed credentials for the server and the clients (loopback only, a throwaway store).
export SIGNPOST_ACCESS_KEY_ID=AKIASIGNPOSTBENCH001
export SIGNPOST_SECRET_ACCESS_KEY=signpost/bench/secret/key/0000000000000000

mkdir -p "$OUT/bin"
WORK=$(mktemp -d "$DATA_PARENT/signpost-api-bench.XXXXXX")
SERVER_TPID=""
WRITER_PID=""

stop_pid() { # pid [group]: TERM, wait up to 10 s, then KILL (its process group with "group")
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		if [ "${2:-}" = group ]; then
			kill -KILL -- "-$pid" 2>/dev/null || true
		else
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	stop_pid "$WRITER_PID"
	WRITER_PID=""
	stop_pid "$SERVER_TPID" group
	SERVER_TPID=""
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One benchmark at a time on this machine (bench/run.sh takes the same lock).
LOCK=${BENCH_LOCK:-/tmp/signpost-bench.lock}
exec 9>>"$LOCK"
if ! flock -n 9; then
	log "another benchmark holds $LOCK; waiting for it (at most 15 minutes)"
	flock -w 900 9 || die "gave up waiting for $LOCK"
fi

# --- the load generators, built straight from their sources ---------------------------------
CC=${CC:-cc}
build() { # output sources... (then link flags after --)
	local out=$1
	shift
	log "building $(basename "$out")"
	"$CC" -std=gnu17 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$ROOT/src" -o "$out.tmp" "$@"
	mv -f "$out.tmp" "$out"
}
API_BENCH=$OUT/bin/api_bench
LOADGEN=$OUT/bin/loadgen
if [ ! -x "$API_BENCH" ] || [ "$ROOT/bench/api_bench.c" -nt "$API_BENCH" ] ||
	[ "$ROOT/src/api/sigv4.c" -nt "$API_BENCH" ]; then
	build "$API_BENCH" "$ROOT/bench/api_bench.c" "$ROOT/src/api/sigv4.c" "$ROOT/src/base/log.c" \
		-lcrypto -lpthread
fi
if [ ! -x "$LOADGEN" ] || [ "$ROOT/bench/loadgen.c" -nt "$LOADGEN" ]; then
	build "$LOADGEN" "$ROOT/bench/loadgen.c"
fi

pick_port() { # a free TCP and UDP port from $1, not $2
	local p
	for p in $(seq "$1" $(($1 + 99))); do
		[ "$p" = "${2:-}" ] && continue
		if [ -z "$(ss -Hlnu "sport = :$p" 2>/dev/null)" ] &&
			[ -z "$(ss -Hlnt "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	die "no free port from $1"
}

# The DNS zone's queries: every host once, all answered.
DNS_ZONE=dns.bench.
for i in $(seq 0 999); do echo "h$i.$DNS_ZONE A"; done >"$WORK/dns.queries"
for i in $(seq 0 999); do echo answer; done >"$WORK/dns.expect"

SERVER_LIMIT=$(awk -v s="$DURATION" -v w="$WARMUP" 'BEGIN { print int(12 * (s + w) + 180) }')

start_server() { # round; other tests on this machine take ports too: a few tries
	local dir=$WORK/round$1 i try
	for try in 1 2 3 4 5; do
		rm -rf "$dir"
		mkdir -p "$dir"
		API_PORT=$(pick_port $((20000 + RANDOM % 20000)))
		DNS_PORT=$(pick_port $((40000 + RANDOM % 20000)) "$API_PORT")
		timeout -k 5 "$SERVER_LIMIT" taskset -c "$SERVER_CPU" "$SIGNPOST" up \
			--data "$dir/data" --api "127.0.0.1:$API_PORT" --dns "127.0.0.1:$DNS_PORT" --no-sandbox \
			--workers 1 >"$dir/server.log" 2>&1 &
		SERVER_TPID=$!
		for i in $(seq 1 300); do
			grep -q "signpost is up" "$dir/server.log" 2>/dev/null && break
			kill -0 "$SERVER_TPID" 2>/dev/null || break
			sleep 0.1
		done
		grep -q "signpost is up" "$dir/server.log" && break
		tail -n 3 "$dir/server.log" >&2 || true
		stop_pid "$SERVER_TPID" group
		SERVER_TPID=""
		log "signpost up did not start (try $try)"
	done
	[ -n "$SERVER_TPID" ] || die "signpost up did not start"
	SERVER_PID=$(cat /proc/"$SERVER_TPID"/task/*/children 2>/dev/null | awk '{ print $1 }')
	# timeout runs taskset, which execs signpost: the child is the server itself.
	[ -n "$SERVER_PID" ] || die "cannot find the server's pid"
	API=127.0.0.1:$API_PORT
	DNS=127.0.0.1:$DNS_PORT
	ZONE_ONE=$(taskset -c "$LOAD_CPU" "$API_BENCH" -a "$API" -C one.bench.)
	ZONE_BIG=$(taskset -c "$LOAD_CPU" "$API_BENCH" -a "$API" -C big.bench.)
	ZONE_DNS=$(taskset -c "$LOAD_CPU" "$API_BENCH" -a "$API" -C "$DNS_ZONE" -H 1000)
}

cpu_ticks() { # utime + stime of the server (every thread)
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$SERVER_PID"/stat 2>/dev/null || echo 0
}

RUNS=$WORK/runs.tsv
printf 'round\tmode\tserver_cpu\tjson\n' >"$RUNS"
CLK_TCK=$(getconf CLK_TCK)

record() { # round mode ticks json
	local cpu
	cpu=$(awk -v t="$3" -v hz="$CLK_TCK" -v s="$DURATION" -v w="$WARMUP" \
		'BEGIN { printf "%.2f", t / hz / (s + w) }')
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$cpu" "$4" >>"$RUNS"
	log "round $1 $2: $4 (server cpu $cpu)"
}

bench() { # zone-id zone prefix args...
	local zid=$1 zone=$2 prefix=$3
	shift 3
	taskset -c "$LOAD_CPU" "$API_BENCH" -a "$API" -d "$DNS" -z "$zid" -Z "$zone" -p "$prefix" \
		-l "$DURATION" -w "$WARMUP" "$@" || echo '{}'
}

loadgen() {
	taskset -c "$LOAD_CPU" "$LOADGEN" -d "$WORK/dns.queries" -x "$WORK/dns.expect" \
		-p "$DNS_PORT" -l "$DURATION" -w "$WARMUP" -c "$INFLIGHT" -e 2>/dev/null || echo '{}'
}

run_mode() { # round mode
	local r=$1 m=$2 c0 json
	c0=$(cpu_ticks)
	case $m in
	one1) json=$(bench "$ZONE_ONE" one.bench. "r$r$m" -c 1) ;;
	one16) json=$(bench "$ZONE_ONE" one.bench. "r$r$m" -c 16) ;;
	big) json=$(bench "$ZONE_BIG" big.bench. "r$r$m" -c "$BIG_CLIENTS" -b 1000) ;;
	lat1) json=$(bench "$ZONE_ONE" one.bench. "r$r$m" -c 1 -L) ;;
	lat16) json=$(bench "$ZONE_ONE" one.bench. "r$r$m" -c 16 -L) ;;
	dns0) json=$(loadgen) ;;
	dnsW)
		taskset -c "$LOAD_CPU" "$API_BENCH" -a "$API" -d "$DNS" -z "$ZONE_DNS" -Z "$DNS_ZONE" \
			-p "r${r}w" -c "$WRITERS" -R "$WRITE_RATE" -w 0 \
			-l "$(awk -v s="$DURATION" -v w="$WARMUP" 'BEGIN { print s + w + 1 }')" \
			>"$WORK/writer.json" &
		WRITER_PID=$!
		sleep 0.5
		c0=$(cpu_ticks) # the server's CPU over the loadgen run only, writes going on
		json=$(loadgen)
		wait "$WRITER_PID" || true
		WRITER_PID=""
		json="${json%\}}, \"writes\": $(cat "$WORK/writer.json" 2>/dev/null || echo '{}')}"
		;;
	*) die "unknown mode $m" ;;
	esac
	record "$r" "$m" "$(($(cpu_ticks) - c0))" "$json"
}

START_TIME=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
FS=$(stat -f -c %T "$WORK")
IFS=, read -r -a mode_list <<<"$MODES"
log "server on CPU $SERVER_CPU, clients on CPU $LOAD_CPU, ${DURATION}s x $ROUNDS rounds, data on $FS"
for round in $(seq 1 "$ROUNDS"); do
	start_server "$round"
	order=("${mode_list[@]}")
	# dns0 and dnsW swap places every other round, so neither always runs first.
	if [ $((round % 2)) = 0 ]; then
		for i in "${!order[@]}"; do
			case ${order[$i]} in dns0) order[i]=dnsW ;; dnsW) order[i]=dns0 ;; esac
		done
	fi
	for m in "${order[@]}"; do
		run_mode "$round" "$m"
	done
	stop_pid "$SERVER_TPID" group
	SERVER_TPID=""
done

API_META_START=$START_TIME API_META_LOADAVG=$LOAD_BEFORE API_META_FS=$FS \
	API_META_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) \
	API_META_NPROC=$(nproc) API_META_SECONDS=$DURATION API_META_WARMUP=$WARMUP \
	API_META_ROUNDS=$ROUNDS API_META_WRITERS=$WRITERS API_META_WRITE_RATE=$WRITE_RATE \
	API_META_BIG_CLIENTS=$BIG_CLIENTS \
	"$PY" - "$RUNS" "$OUT/api_results.md" <<'EOF'
import json, os, statistics, sys

runs, out = sys.argv[1], sys.argv[2]
m = {k[9:].lower(): v for k, v in os.environ.items() if k.startswith("API_META_")}
rows = {}
with open(runs) as f:
    next(f)
    for line in f:
        rnd, mode, cpu, raw = line.rstrip("\n").split("\t", 3)
        try:
            j = json.loads(raw)
        except ValueError:
            j = {}
        j["server_cpu"] = float(cpu)
        rows.setdefault(mode, []).append(j)


def med(mode, key, sub=None):
    vals = []
    for j in rows.get(mode, []):
        if sub:
            j = j.get(sub, {})
        if key in j:
            vals.append(j[key])
    return statistics.median(vals) if vals else None


def per(mode, key, fmt):
    return ", ".join(fmt % j[key] for j in rows.get(mode, []) if key in j)


def f(v, fmt="%.0f"):
    return "-" if v is None else fmt % v


L = []
L.append("# Route 53 API benchmark (bench/api_run.sh)\n")
L.append("%s, commit %s, %s CPUs, load average before %s; data directory on %s; "
         "%s s measured after %s s warm-up, medians of %s rounds.\n"
         % (m["start"], m["commit"], m["nproc"], m["loadavg"], m["fs"], m["seconds"],
            m["warmup"], m["rounds"]))
L.append("| mode | batches/s | records/s | API p50 ms | API p99 ms | errors | server CPU | batches / server CPU s | per round (batches/s) |")
L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
names = {"one1": "1 client, 1-record batches", "one16": "16 clients, 1-record batches",
         "big": "%s client(s), 1,000-record batches" % m["big_clients"],
         "lat1": "1 client + DNS/GetChange checks", "lat16": "16 clients + DNS/GetChange checks"}
for mode in ("one1", "one16", "big", "lat1", "lat16"):
    if mode not in rows:
        continue
    for j in rows[mode]:
        if "batches_per_s" in j and j["server_cpu"] > 0:
            j["per_cpu"] = j["batches_per_s"] / j["server_cpu"]
    L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        names[mode], f(med(mode, "batches_per_s"), "%.1f"), f(med(mode, "records_per_s")),
        f(med(mode, "api_p50_ms"), "%.2f"), f(med(mode, "api_p99_ms"), "%.2f"),
        f(med(mode, "errors")), f(med(mode, "server_cpu"), "%.2f"), f(med(mode, "per_cpu")),
        per(mode, "batches_per_s", "%.0f")))
L.append("")
for mode in ("lat1", "lat16"):
    if mode not in rows:
        continue
    L.append("- %s: response -> DNS answers the change p50 **%s ms**, p99 **%s ms** (max %s; "
             "DNS queries per change %s, never answered %s); change sent -> INSYNC seen p50 "
             "**%s ms**, p99 **%s ms**; changes not INSYNC in their response or GetChange: %s."
             % (names[mode], f(med(mode, "visible_p50_ms"), "%.3f"),
                f(med(mode, "visible_p99_ms"), "%.3f"), f(med(mode, "visible_max_ms"), "%.2f"),
                f((med(mode, "dns_probes") or 0) / max(med(mode, "visible_n") or 1, 1), "%.2f"),
                f(med(mode, "dns_fail")), f(med(mode, "insync_p50_ms"), "%.2f"),
                f(med(mode, "insync_p99_ms"), "%.2f"), f(med(mode, "not_insync"))))
q0, qw = med("dns0", "qps"), med("dnsW", "qps")
wr = med("dnsW", "batches_per_s", "writes")
if q0 is not None or qw is not None:
    L.append("- DNS QPS (bench/loadgen, %s in flight, 1,000-host zone of the same process): "
             "without writes **%s** (%s), with %s writers at %s batches/s (achieved %s) **%s** "
             "(%s); server CPU %s / %s." % (
                 os.environ.get("BENCH_INFLIGHT", "200"), f(q0), per("dns0", "qps", "%.0f"),
                 m["writers"], m["write_rate"], f(wr, "%.0f"), f(qw), per("dnsW", "qps", "%.0f"),
                 f(med("dns0", "server_cpu"), "%.2f"), f(med("dnsW", "server_cpu"), "%.2f")))
    # Rounds ran minutes apart on a shared machine: the ratio within a round is steadier, and
    # QPS per second of the server's CPU shows what the writes cost the core itself.
    # The server shares its core with whatever else runs on the machine, and the scheduler
    # gives a process with more busy threads (the API's) a bigger share of it: raw QPS with
    # writes can come out higher than without. So, per round, also: the DNS cost per query from
    # the run without writes, the core share the writes took on top of the DNS work in the run
    # with them, and what that leaves for DNS on a core of its own: 1 - that share.
    pairs = list(zip(rows.get("dns0", []), rows.get("dnsW", [])))
    rr, proj, per_batch = [], [], []
    for z, w in pairs:
        if not (z.get("qps") and w.get("qps") and z["server_cpu"] > 0):
            continue
        rr.append(w["qps"] / z["qps"])
        share = w["server_cpu"] - w["qps"] * z["server_cpu"] / z["qps"]
        proj.append(1 - share)
        wb = w.get("writes", {}).get("batches_per_s")
        if wb:
            per_batch.append(share / wb * 1e3)
    if rr:
        L.append("- with / without writes, raw QPS per round: %s (median %.3f). Core share "
                 "left to DNS with the writes going on, per round: %s (median **%.3f**); the "
                 "writes cost the server's core %s ms of CPU per one-record batch (median)."
                 % (", ".join("%.3f" % x for x in rr), statistics.median(rr),
                    ", ".join("%.3f" % x for x in proj), statistics.median(proj),
                    "%.2f" % statistics.median(per_batch) if per_batch else "-"))
    bad = sum(j.get("lost", 0) + j.get("invalid", 0) + j.get("mismatch", 0)
              for mode in ("dns0", "dnsW") for j in rows.get(mode, []))
    L.append("- DNS replies lost or wrong over all DNS runs: %d." % bad)
L.append("\n## Against the targets (issue 3)\n")
L.append("| target | measured | ratio | met |")
L.append("| --- | ---: | ---: | :---: |")


def target(label, val, goal, higher=True, unit=""):
    if val is None:
        return
    ratio = val / goal if higher else (goal / val if val else float("inf"))
    ok = val >= goal if higher else val < goal
    L.append("| %s | %s%s | %.2f | %s |" % (label, f(val, "%.2f" if unit else "%.0f"), unit,
                                           ratio, "yes" if ok else "**no**"))


target(">= 2,000 one-record batches/s, 16 clients", med("one16", "batches_per_s"), 2000)
target(">= 50,000 records/s in 1,000-record batches", med("big", "records_per_s"), 50000)
target("change -> INSYNC p99 < 10 ms (1 client)", med("lat1", "insync_p99_ms"), 10, False, " ms")
target("change -> INSYNC p99 < 10 ms (16 clients)", med("lat16", "insync_p99_ms"), 10, False,
       " ms")
if rr:
    for label, r in (("raw QPS, same round", statistics.median(rr)),
                     ("core of its own: 1 - writes' share", statistics.median(proj))):
        L.append("| DNS QPS with writes >= 90%% of without (%s) | %.3f of it | %.2f | %s |"
                 % (label, r, r / 0.9, "yes" if r >= 0.9 else "**no**"))
L.append("\n(ratio: measured / target, or target / measured for latencies; >= 1 meets it.)")
text = "\n".join(L) + "\n"
open(out, "w").write(text)
sys.stdout.write(text)
EOF
cp "$RUNS" "$OUT/api_runs.tsv"
log "wrote bench/out/api_results.md"
