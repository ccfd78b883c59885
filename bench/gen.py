#!/usr/bin/env python3
"""gen.py - benchmark zones and query mixes for bench/run.sh (stdlib only, deterministic).

Writes, into OUTDIR, for each zone NAME:
  NAME.zone     BIND-format zone file
  NAME.queries  dnsperf-format query file ("name TYPE" per line)
  NAME.expect   one expectation per query line (answer, nodata, referral, nxdomain) for
                bench/loadgen -x, so a server that answers wrongly is caught, not rewarded
  NAME.info     what was generated (records, queries, mix)

Zones (the same shape at two scales):
  small.test.  a few hundred records
  bench.test.  1,000,000 records

Shape, for H hosts, C aliases, W wildcards and D delegations:
  apex          SOA, 2 NS, MX, TXT; ns1, ns2, mail with A
  h<i>          A for every host; AAAA for the first half; MX (i % 4 == 0, target another host,
                so the server adds its address); TXT (i % 4 == 1)
  c<i>          CNAME to a host (the answer carries the CNAME and the host's A)
  *.w<i>        A (wildcard, RFC 4592); w<i> itself is then an empty non-terminal
  d<i>          delegation: 2 NS below the cut, each with glue A (4 records)

Query mix (fractions of the query file, queries drawn at random over the whole zone):
  hits 60%: A 30, AAAA 10, MX 5, TXT 5, A via CNAME 10
  wildcard 10%: A for <random>.w<i>
  NXDOMAIN 10%: half x<n> (no such name), half nx.h<i> (below an existing name)
  NODATA 10%: half AAAA of a host that has only A, half A of an empty non-terminal w<i>
  referral 10%: half www.d<i> A, half d<i> A (AA=0, NS and glue)
"""

import argparse
import os
import random
import sys

MIX = [  # (fraction, kind)
    (0.30, "a"),
    (0.10, "aaaa"),
    (0.05, "mx"),
    (0.05, "txt"),
    (0.10, "cname"),
    (0.10, "wildcard"),
    (0.10, "nxdomain"),
    (0.10, "nodata"),
    (0.10, "referral"),
]

SCALES = {
    # name: (hosts, aliases, wildcards, delegations, queries)
    "small.test": (100, 25, 5, 10, 20000),
    "bench.test": (400000, 100000, 1000, 24750, 200000),
}


def ipv4(i, base=10):
    return "%d.%d.%d.%d" % (base, (i >> 16) & 255, (i >> 8) & 255, i & 255)


def ipv6(i):
    return "2001:db8::%x:%x" % ((i >> 16) & 0xFFFF, i & 0xFFFF)


def write_zone(path, origin, hosts, aliases, wildcards, delegations):
    """Writes the zone; returns the number of records."""
    n = 0
    tmp = path + ".tmp"
    with open(tmp, "w", buffering=1 << 20) as f:
        w = f.write
        w("$ORIGIN %s.\n$TTL 3600\n" % origin)
        w("@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n")
        w("@ IN NS ns1\n@ IN NS ns2\n@ IN MX 10 mail\n")
        w('@ IN TXT "v=spf1 mx -all"\n')
        w("ns1 IN A 192.0.2.1\nns2 IN A 192.0.2.2\nmail IN A 192.0.2.25\n")
        n += 8
        half = hosts // 2
        lines = []
        for i in range(hosts):
            lines.append("h%d IN A %s\n" % (i, ipv4(i)))
            n += 1
            if i < half:
                lines.append("h%d IN AAAA %s\n" % (i, ipv6(i)))
                n += 1
            if i % 4 == 0:
                lines.append("h%d IN MX 10 h%d\n" % (i, (i + 1) % hosts))
                n += 1
            elif i % 4 == 1:
                lines.append('h%d IN TXT "host %d of the benchmark zone"\n' % (i, i))
                n += 1
            if len(lines) >= 65536:
                w("".join(lines))
                lines = []
        for i in range(aliases):
            lines.append("c%d IN CNAME h%d\n" % (i, (i * 7919) % hosts))
            n += 1
            if len(lines) >= 65536:
                w("".join(lines))
                lines = []
        for i in range(wildcards):
            lines.append("*.w%d IN A %s\n" % (i, ipv4(i, 172)))
            n += 1
        for i in range(delegations):
            lines.append(
                "d%d IN NS ns1.d%d\nd%d IN NS ns2.d%d\n"
                "ns1.d%d IN A %s\nns2.d%d IN A %s\n"
                % (i, i, i, i, i, ipv4(2 * i, 100), i, ipv4(2 * i + 1, 100))
            )
            n += 4
            if len(lines) >= 16384:
                w("".join(lines))
                lines = []
        w("".join(lines))
    os.replace(tmp, path)
    return n


def pick_kind(rng, cumulative):
    r = rng.random()
    for bound, kind in cumulative:
        if r < bound:
            return kind
    return cumulative[-1][1]


def write_queries(qpath, xpath, origin, hosts, aliases, wildcards, delegations, count, seed):
    rng = random.Random(seed)
    cumulative = []
    acc = 0.0
    for frac, kind in MIX:
        acc += frac
        cumulative.append((acc, kind))
    half = hosts // 2
    counts = {}
    q = []
    x = []
    for _ in range(count):
        kind = pick_kind(rng, cumulative)
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "a":
            q.append("h%d.%s. A" % (rng.randrange(hosts), origin))
            x.append("answer")
        elif kind == "aaaa":
            q.append("h%d.%s. AAAA" % (rng.randrange(half), origin))
            x.append("answer")
        elif kind == "mx":
            q.append("h%d.%s. MX" % (4 * rng.randrange((hosts + 3) // 4), origin))
            x.append("answer")
        elif kind == "txt":
            q.append("h%d.%s. TXT" % (4 * rng.randrange((hosts - 2) // 4 + 1) + 1, origin))
            x.append("answer")
        elif kind == "cname":
            q.append("c%d.%s. A" % (rng.randrange(aliases), origin))
            x.append("answer")
        elif kind == "wildcard":
            q.append("r%d.w%d.%s. A" % (rng.randrange(1 << 30), rng.randrange(wildcards), origin))
            x.append("answer")
        elif kind == "nxdomain":
            if rng.random() < 0.5:
                q.append("x%d.%s. A" % (rng.randrange(1 << 30), origin))
            else:
                q.append("nx.h%d.%s. A" % (rng.randrange(hosts), origin))
            x.append("nxdomain")
        elif kind == "nodata":
            if rng.random() < 0.5:
                q.append("h%d.%s. AAAA" % (half + rng.randrange(hosts - half), origin))
            else:
                q.append("w%d.%s. A" % (rng.randrange(wildcards), origin))
            x.append("nodata")
        else:
            if rng.random() < 0.5:
                q.append("www.d%d.%s. A" % (rng.randrange(delegations), origin))
            else:
                q.append("d%d.%s. A" % (rng.randrange(delegations), origin))
            x.append("referral")
    for path, lines in ((qpath, q), (xpath, x)):
        with open(path + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(path + ".tmp", path)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--zones", default=",".join(SCALES), help="comma list (default: all)")
    ap.add_argument("--seed", type=int, default=53)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for origin in args.zones.split(","):
        if origin not in SCALES:
            sys.exit("gen.py: unknown zone %s (known: %s)" % (origin, ", ".join(SCALES)))
        hosts, aliases, wildcards, delegations, count = SCALES[origin]
        base = os.path.join(args.outdir, origin)
        records = write_zone(base + ".zone", origin, hosts, aliases, wildcards, delegations)
        counts = write_queries(base + ".queries", base + ".expect", origin, hosts, aliases,
                               wildcards, delegations, count, args.seed)
        with open(base + ".info", "w") as f:
            f.write("zone %s.: %d records (%d hosts, %d CNAMEs, %d wildcards, %d delegations)\n"
                    % (origin, records, hosts, aliases, wildcards, delegations))
            f.write("queries: %d: %s\n" % (count, ", ".join(
                "%s %.1f%%" % (k, 100.0 * counts.get(k, 0) / count) for _, k in MIX)))
        print("gen.py: %s.: %d records, %d queries" % (origin, records, count), file=sys.stderr)


if __name__ == "__main__":
    main()
