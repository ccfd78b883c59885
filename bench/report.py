#!/usr/bin/env python3
"""report.py - turns bench/out/runs.tsv into the Markdown table of bench/out/results.md.

Usage: report.py RUNS_TSV RESULTS_MD; the run's settings come from BENCH_META_* variables set by
bench/run.sh. Medians over rounds per server; signpost / best peer both as a ratio of medians
and per round (servers of one round ran minutes apart, so the per-round ratio shrugs off slow
drifts in the machine's load).
"""

import os
import statistics
import sys

PEERS = ("nsd", "knot")
LARGE_ZONE = "bench.test"  # gen.py's 1,000,000-record zone: load time and memory matter there
WRONG_LIMIT = 0.001  # above this share of wrong replies a server's QPS does not count


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def num(s, scale=1.0):
    try:
        return float(s) / scale
    except ValueError:
        return None


def per_cpu(r):
    """QPS per second of server CPU: steadier than QPS when other work preempts the server."""
    cpu = num(r["server_cpu"])
    return int(r["qps"]) / cpu if cpu else None


def fmt(v, pattern="%.2f"):
    return "-" if v is None else pattern % v


def main():
    runs_path, out_path = sys.argv[1:3]
    with open(runs_path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    meta = lambda k: os.environ.get("BENCH_META_" + k, "?")  # noqa: E731
    names = {
        "signpost": "signpost",
        "nsd": meta("NSD"),
        "knot": meta("KNOT"),
        "echo": "ceiling: bench/echo",
    }
    out = [
        "# signpost benchmark results",
        "",
        "- run: %s, commit %s; signpost: %s" % (meta("START"), meta("COMMIT"), meta("SIGNPOST")),
        "- machine: %s CPUs, kernel %s, load average before the run: %s"
        % (meta("NPROC"), meta("KERNEL"), meta("LOADAVG")),
        "- one server thread pinned to CPU %s; bench/loadgen pinned to CPU %s; 127.0.0.1 only"
        % (meta("SERVER_CPU"), meta("LOAD_CPU")),
        "- each run: %ss warm-up, then %ss measured; %s queries in flight; EDNS %s; %s rounds, the "
        "server order rotating each round; QPS, CPU, load time and memory are medians over rounds"
        % (meta("WARMUP"), meta("SECONDS"), meta("INFLIGHT"), meta("EDNS"), meta("ROUNDS")),
        "- command: `%s`" % meta("COMMAND"),
    ]
    for zone in dict.fromkeys(r["zone"] for r in rows):
        zr = [r for r in rows if r["zone"] == zone]
        out += [
            "",
            "## %s" % zone,
            "",
            "| server | QPS | per round | lost | wrong | server CPU | QPS / server CPU "
            "| loadgen CPU | load s | RSS MiB | PSS MiB |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        qps_med, load_med, rss_med, per_round = {}, {}, {}, {}
        suspect = set()
        for server in dict.fromkeys(r["server"] for r in zr):
            sr = [r for r in zr if r["server"] == server]
            ok = [r for r in sr if r["qps"] != "failed"]
            per_round[server] = {r["round"]: int(r["qps"]) for r in ok}
            sent = sum(int(r["sent"]) for r in ok)
            received = sum(int(r["received"]) for r in ok)
            lost = sum(int(r["lost"]) for r in ok)
            bad = sum(int(r["bad"]) for r in ok)
            qps_med[server] = med([int(r["qps"]) for r in ok])
            load_med[server] = med([num(r["load_ms"], 1000) for r in ok])
            rss_med[server] = med([num(r["rss_kib"], 1024) for r in ok])
            wrong = "n/a" if server == "echo" else "%.3f%%" % (100.0 * bad / max(received, 1))
            if server != "echo" and bad > WRONG_LIMIT * received:
                wrong += " (!)"
                suspect.add(server)
            out.append(
                "| %s | %s | %s | %.3f%% | %s | %s | %s | %s | %s | %s | %s |"
                % (
                    names.get(server, server),
                    fmt(qps_med[server], "%.0f") if ok else "failed",
                    ", ".join(
                        "failed" if r["qps"] == "failed" else "%.0fk" % (int(r["qps"]) / 1000)
                        for r in sr
                    ),
                    100.0 * lost / max(sent, 1),
                    wrong,
                    fmt(med([num(r["server_cpu"]) for r in ok])),
                    fmt(med([per_cpu(r) for r in ok]), "%.0f"),
                    fmt(med([num(r["loadgen_cpu"]) for r in ok])),
                    fmt(load_med[server]),
                    fmt(rss_med[server], "%.0f"),
                    fmt(med([num(r["pss_kib"], 1024) for r in ok]), "%.0f"),
                )
            )
        peers = {s: qps_med[s] for s in PEERS if qps_med.get(s)}
        out.append("")
        if qps_med.get("signpost") and peers:
            best = max(peers, key=peers.get)
            rounds = sorted(per_round["signpost"], key=int)
            ratios = []
            for rnd in rounds:
                peer_qps = [per_round[s][rnd] for s in peers if rnd in per_round[s]]
                if peer_qps:
                    ratios.append(per_round["signpost"][rnd] / max(peer_qps))
            out.append(
                "**signpost / best peer (%s): %.2f** (per round: %s)"
                % (names[best], qps_med["signpost"] / peers[best],
                   ", ".join("%.2f" % r for r in ratios))
            )
            large = zone == LARGE_ZONE
            if large and load_med.get("signpost") and load_med.get("knot") and rss_med.get("knot"):
                out.append("")
                out.append(
                    "signpost / Knot (target ≤ 1): load time %.2f, RSS %.2f"
                    % (load_med["signpost"] / load_med["knot"], rss_med["signpost"] / rss_med["knot"])
                )
        elif peers:
            out.append("signpost / best peer: n/a (signpost was not measured)")
        for server in sorted(suspect):
            out.append("")
            out.append(
                "(!) %s answered more than %.1f%% of queries wrongly: its QPS does not count."
                % (names.get(server, server), 100 * WRONG_LIMIT)
            )
        if qps_med.get("echo"):
            out.append("")
            out.append("Ceiling (batched UDP echo, no DNS work): %.0f QPS" % qps_med["echo"])
    out += [
        "",
        "Columns: QPS = replies per second (median); lost = no reply within 1 s; wrong = replies",
        "with a bad header or question, or not the kind expected for the query (answer, NODATA,",
        "referral, NXDOMAIN; bench/gen.py writes the expectation) or malformed records; server",
        "CPU = the server's share of a core while loaded (below ~0.95 means it was preempted by",
        "other work or was not the bottleneck); QPS / server CPU = replies per second of the",
        "server's own CPU time (median of the runs' ratios): less disturbed by other work on a",
        "shared machine (a guide, not the target: the kernel may charge some packet work to",
        "whichever task is running); loadgen CPU near 1.0 means the load generator was",
        "the limit; load s = from launch to the first authoritative answer; RSS = VmRSS of the",
        "largest server process after load, PSS = proportional set size summed over its",
        "processes. Raw runs: bench/out/runs.tsv.",
        "",
    ]
    text = "\n".join(out)
    with open(out_path, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
