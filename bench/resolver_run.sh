#!/usr/bin/env bash
# bench/resolver_run.sh - the caching resolver next to Unbound (issue 5): cache-hit QPS with
# dnsperf, one resolver thread each pinned to the same core and dnsperf on another; then cache
# misses (every name unique, under a wildcard) through the sandbox internet that a
# `signpost up` serves. Needs root (the sandbox on port 53: root hints carry no port, so
# Unbound can only ask port 53). Results: bench/out/resolver.md. See docs/benchmarks.md.
#
# Settings (environment): BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_SERVER_CPU (0),
# BENCH_LOAD_CPU (1), BENCH_INFLIGHT (200), BENCH_MISS_NAMES (300000: each sent once),
# SIGNPOST_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SIGNPOST_BIN:-build/signpost}
SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
SCPU=${BENCH_SERVER_CPU:-0}
LCPU=${BENCH_LOAD_CPU:-1}
INFLIGHT=${BENCH_INFLIGHT:-200}
MISSES=${BENCH_MISS_NAMES:-300000}
OUT=bench/out
mkdir -p "$OUT"

[ "$(id -u)" = 0 ] || { echo "resolver_run.sh: needs root (the sandbox on port 53)" >&2; exit 2; }
for t in dnsperf unbound taskset python3; do
	command -v "$t" >/dev/null || { echo "resolver_run.sh: $t is not installed" >&2; exit 2; }
done
[ -x "$BIN" ] || { echo "resolver_run.sh: $BIN is missing (ninja -C build)" >&2; exit 2; }

exec 9>/tmp/signpost-bench.lock
flock -n 9 || { echo "resolver_run.sh: another benchmark is running" >&2; exit 2; }

TMP=$(mktemp -d /tmp/signpost-rbench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

B="127.$((RANDOM % 150 + 64)).$((RANDOM % 200 + 20))."
cat >"$TMP/sandbox.conf" <<EOF
sandbox-root a.root-servers.net=${B}2 b.root-servers.net=${B}12
sandbox-tld com a.gtld-servers.net=${B}3 b.gtld-servers.net=${B}13
sandbox-tld net a.gtld-servers.net=${B}3 b.gtld-servers.net=${B}13
sandbox-tld org a.nic.org=${B}8
sandbox-tld uk a.nic.uk=${B}9
sandbox-tld internal a.nic.internal=${B}10
sandbox-hosted ${B}4 ${B}5 ${B}6 ${B}7
EOF
API="${B}31:8053"
export SIGNPOST_ACCESS_KEY_ID=AKIDSIGNPOSTBENCH001 SIGNPOST_SECRET_ACCESS_KEY=benchsecretbenchsecret
# The authoritative side shares the load generator's core: the resolvers keep theirs alone.
taskset -c "$LCPU" timeout 3600 "$BIN" up --data "$TMP/data" --api "$API" --dns "${B}30:53" \
	--config "$TMP/sandbox.conf" --workers 1 --no-resolver >"$TMP/up.out" 2>"$TMP/up.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "signpost is up" "$TMP/up.out" 2>/dev/null && break; sleep 0.1; done
grep -q "signpost is up" "$TMP/up.out" || { cat "$TMP/up.err"; exit 1; }

# bench.com, registered, with a wildcard: every name below miss.bench.com exists.
python3 - "$API" <<'PY'
import sys, time, boto3
url = "http://" + sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1",
          aws_access_key_id="AKIDSIGNPOSTBENCH001", aws_secret_access_key="benchsecretbenchsecret")
dom = boto3.client("route53domains", **kw)
r53 = boto3.client("route53", **kw)
c = {"FirstName": "B", "LastName": "B", "ContactType": "PERSON", "AddressLine1": "1 St",
     "City": "X", "CountryCode": "GB", "ZipCode": "1", "PhoneNumber": "+44.2079460000", "Email": "b@b.org"}
op = dom.register_domain(DomainName="bench.com", DurationInYears=1, AdminContact=c,
                         RegistrantContact=c, TechContact=c)["OperationId"]
while dom.get_operation_detail(OperationId=op)["Status"] != "SUCCESSFUL":
    time.sleep(0.05)
zid = [z["Id"] for z in r53.list_hosted_zones_by_name(DNSName="bench.com.")["HostedZones"]
       if z["Name"] == "bench.com."][0]
r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
    {"Action": "CREATE", "ResourceRecordSet": {"Name": "*.miss.bench.com", "Type": "A",
     "TTL": 86400, "ResourceRecords": [{"Value": "192.0.2.99"}]}},
    {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.bench.com", "Type": "CNAME",
     "TTL": 86400, "ResourceRecords": [{"Value": "bench.com"}]}},
    {"Action": "CREATE", "ResourceRecordSet": {"Name": "bench.com", "Type": "A",
     "TTL": 86400, "ResourceRecords": [{"Value": "192.0.2.10"}]}}]})
PY

python3 - "$TMP" "$MISSES" <<'PY'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
with open(d + "/hits.txt", "w") as f:
    for i in range(10000):
        f.write("h%d.miss.bench.com A\n" % i)
    for q in ("www.bench.com A", "bench.com A", "ns-1.awsdns-01.com A", "nope.bench.com A",
              "bench.com NS"):
        f.write(q + "\n")
random.seed(1)
with open(d + "/miss.txt", "w") as f:
    for i in range(n):
        f.write("m%d-%x.miss.bench.com A\n" % (i, random.randrange(1 << 30)))
# resperf's ramp: other unique names, one file per resolver (a name is a miss only once)
for who in ("signpost", "unbound"):
    with open(d + "/ramp-%s.txt" % who, "w") as f:
        for i in range(2 * n):
            f.write("r%d-%s-%x.miss.bench.com A\n" % (i, who[0], random.randrange(1 << 30)))
PY

HINTS="$TMP/data/root.hints"
taskset -c "$SCPU" timeout 3600 "$BIN" resolver --listen "${B}1:53" --root-hints "$HINTS" \
	--control "$TMP/r.ctl" --cache-size 256 >"$TMP/signpost-resolver.log" 2>&1 &
PIDS+=($!)
mkdir -p "$TMP/unbound"
cat >"$TMP/unbound/unbound.conf" <<EOF
server:
    interface: ${B}11@53
    access-control: 127.0.0.0/8 allow
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$TMP/unbound"
    pidfile: "$TMP/unbound/unbound.pid"
    use-syslog: no
    logfile: "$TMP/unbound/unbound.log"
    verbosity: 1
    num-threads: 1
    do-ip6: no
    root-hints: "$HINTS"
    do-not-query-localhost: no
    module-config: "iterator"
    qname-minimisation: yes
    so-rcvbuf: 4m
    msg-cache-size: 128m
    rrset-cache-size: 256m
remote-control:
    control-enable: no
EOF
taskset -c "$SCPU" timeout 3600 unbound -d -c "$TMP/unbound/unbound.conf" >"$TMP/unbound.out" 2>&1 &
PIDS+=($!)
sleep 1

qps() { # server file "-l SECONDS" or "-n 1" -> "qps lost%"
	# shellcheck disable=SC2086
	taskset -c "$LCPU" dnsperf -s "$1" -p 53 -d "$2" $3 -c 8 -q "$INFLIGHT" -T 1 2>&1 |
		awk '/Queries sent:/{s=$3} /Queries lost:/{l=$3} /Queries per second:/{q=$4}
		     END{printf "%.0f %.2f\n", q, (s ? 100*l/s : 0)}'
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A HIT
for who in signpost unbound; do
	addr=$([ $who = signpost ] && echo "${B}1" || echo "${B}11")
	taskset -c "$LCPU" dnsperf -s "$addr" -p 53 -d "$TMP/hits.txt" -n 1 -Q 5000 >/dev/null 2>&1
done
for r in $(seq "$ROUNDS"); do
	order="signpost unbound"; [ $((r % 2)) = 0 ] && order="unbound signpost"
	for who in $order; do
		addr=$([ $who = signpost ] && echo "${B}1" || echo "${B}11")
		res=$(qps "$addr" "$TMP/hits.txt" "-l $SECS")
		HIT[$who]="${HIT[$who]:-} $res"
		echo "round $r hits $who: $res (qps lost%)"
	done
done
declare -A MISS
for who in signpost unbound; do
	addr=$([ $who = signpost ] && echo "${B}1" || echo "${B}11")
	res=$(qps "$addr" "$TMP/miss.txt" "-n 1") # each name once: every query a miss
	MISS[$who]=$res
	echo "misses $who: $res (qps lost%)"
done
# resperf: the query rate ramps up to RAMP_MAX over RAMP_S seconds, every name a miss; the
# throughput at which each resolver starts losing queries (more than 1 % lost) is its limit.
declare -A RAMP
if command -v resperf >/dev/null; then
	for who in signpost unbound; do
		addr=$([ $who = signpost ] && echo "${B}1" || echo "${B}11")
		res=$(taskset -c "$LCPU" resperf -s "$addr" -p 53 -d "$TMP/ramp-$who.txt" \
			-m "${BENCH_RAMP_MAX:-60000}" -r "${BENCH_RAMP_S:-20}" -L 1 \
			-P "$TMP/resperf-$who.plot" 2>&1 |
			awk '/Maximum throughput:/{t=$3} /Lost at that point:/{l=$5}
			     END{printf "%.0f %s\n", t, l}')
		RAMP[$who]=$res
		echo "resperf $who: $res (max qps, lost at that point)"
	done
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
STATS=$("$BIN" resolver-control --control "$TMP/r.ctl" stats | grep -E '^(client_queries|cache_answers|upstream_sent|timeouts|servfail_answers) ' | tr '\n' ' ')

best() { echo "$1" | tr ' ' '\n' | awk 'NF && NR%2==0 {print}' | sort -n | tail -1; }
{
	echo "Resolver benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
	echo "load average before: $LOAD0, after: $LOAD1; cache hits: ${SECS} s per run, $ROUNDS rounds;"
	echo "cache misses: $MISSES unique names, each once; $INFLIGHT queries in flight"
	echo
	echo "| resolver | cache-hit QPS (each round) | cache-miss QPS (lost %) | resperf: QPS where losses pass 1 % (lost then) |"
	echo "| --- | --- | --- | --- |"
	for who in signpost unbound; do
		rounds=$(echo "${HIT[$who]}" | awk '{for(i=1;i<=NF;i+=2) printf "%s%s", (i>1?", ":""), $i}')
		ramp=${RAMP[$who]:-}
		echo "| $who | $rounds | ${MISS[$who]% *} (${MISS[$who]#* }) | ${ramp% *} (${ramp#* }) |"
	done
	echo
	echo "signpost resolver counters at the end: $STATS"
} | tee "$OUT/resolver.md"
