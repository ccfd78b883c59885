"""Differential tests: the same zones in signpost, NSD and Knot DNS, the same queries to all.

For every query the responses are compared in a normal form (dnsq.normal_form): rcode,
opcode, every header flag, the question as sent back, EDNS version and DO bit, and the
three sections each as a *set* of RRs (owner, TTL, class, type, rdata): order is ignored,
TTLs are not.

- signpost must equal Knot, or NSD, or NSD "minimized" (NSD without the apex NS RRset it adds
  to the authority section of positive answers and those name servers' addresses in the
  additional section - see docs/differences.md, "NSD adds the apex NS RRset").
- Where signpost deliberately matches neither, the query is in SIGNPOST_DIFFERENCES below,
  with the reason (also written in docs/differences.md) and a check of what signpost must
  answer instead: a table of expected differences, not a blanket skip.
- NSD and Knot themselves differ on some queries: PEER_DIFFERENCES lists them (and the docs);
  test_peers_differ_only_where_documented keeps that list true.

Run `python3 tests/e2e/test_differential.py [--signpost]` to print every difference.
"""

import random
import sys

import dns.exception
import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

import dnsq
import servers

SERVED_APEXES = {dns.name.from_text(z) for z in servers.DEFAULT_ZONES}


# -- the queries ------------------------------------------------------------------------------

class Q:
    def __init__(self, name, rdtype, edns=None, payload=1232, do=False, tcp=False, rd=False,
                 flags=0, ednsflags=0):
        self.name, self.rdtype, self.edns, self.payload = name, rdtype, edns, payload
        self.do, self.tcp, self.rd = do, tcp, rd
        self.flags, self.ednsflags = flags, ednsflags  # extra header / EDNS flag bits

    @property
    def key(self):
        k = "%s %s" % (self.name, self.rdtype)
        if self.edns is not None:
            k += " edns%d/%d" % (self.edns, self.payload)
        if self.do:
            k += " +do"
        if self.rd:
            k += " +rd"
        if self.flags:
            k += " flags=%04x" % self.flags
        if self.ednsflags:
            k += " ednsflags=%04x" % self.ednsflags
        if self.tcp:
            k += " tcp"
        return k

    def send(self, server):
        q = dnsq.make(self.name, self.rdtype, edns=self.edns, payload=self.payload, do=self.do,
                      rd=self.rd)
        if self.flags:
            q.flags |= self.flags
        if self.ednsflags:
            q.ednsflags |= self.ednsflags
        try:
            return server.query(q, tcp=self.tcp, timeout=5.0)
        except dns.exception.Timeout:
            return None


# Every owner name of the zone (and some that are not), each with the types worth asking.
COMMON = ["A", "AAAA", "TXT", "MX"]
NAMES = {
    "@": COMMON + ["SOA", "NS", "CAA", "SRV", "DS", "ANY"],
    "www": COMMON + ["CNAME", "ANY"],
    "ns1": ["A", "AAAA"],
    "ns2": ["A", "AAAA"],
    "mail": ["A", "AAAA", "MX"],
    "mixed": ["A", "TXT"],
    "upper.case": ["A", "CNAME", "TXT"],
    "case": ["A"],
    "cname": COMMON + ["CNAME"],
    "chain1": ["A", "AAAA", "CNAME"],
    "chain3": ["A"],
    "loop1": ["A", "CNAME"],
    "selfloop": ["A"],
    "ext": ["A", "CNAME"],
    "dangling": ["A", "CNAME"],
    "towild": ["A", "TXT", "AAAA"],
    "tosub": ["A"],
    "toinner": ["A"],
    "long01": ["A"],
    "long07": ["A"],
    "foo.wild": COMMON + ["ANY"],
    "a.b.wild": ["A"],
    "wild": ["A", "TXT"],
    "*.wild": ["A", "MX"],
    "exists.wild": ["A", "TXT"],
    "x.exists.wild": ["A"],
    "ent.wild": ["A"],
    "x.ent.wild": ["A"],
    "host.ent.wild": ["A"],
    "foo.cnamewild": ["A", "CNAME", "TXT"],
    "*.cnamewild": ["A"],
    "foo.mxwild": ["MX", "A"],
    "ent": ["A", "TXT", "ANY"],
    "b.ent": ["A"],
    "a.b.ent": ["A", "AAAA"],
    "x.ent": ["A"],
    "sub": ["NS", "DS", "A", "SOA", "ANY"],
    "host.sub": ["A", "DS"],
    "ns1.sub": ["A", "AAAA"],
    "extdeleg": ["NS", "DS", "A"],
    "www.extdeleg": ["A"],
    "sibdeleg": ["NS", "A"],
    "inner": ["DS", "NS", "SOA", "A"],
    "ns1.inner": ["A"],
    "www.inner": ["A", "TXT"],
    "back.inner": ["A"],
    "nx.inner": ["A"],
    "_sip._tcp": ["SRV", "A"],
    "_sip._udp": ["SRV"],
    "_tcp": ["A"],
    "mxdeleg": ["MX"],
    "mxwild": ["MX"],
    "caa": ["CAA", "ANY"],
    "https": ["HTTPS", "A"],
    "svcb": ["SVCB"],
    "svc": ["A"],
    "naptr": ["NAPTR"],
    "ptr": ["PTR"],
    "spf": ["SPF", "TXT"],
    "sshfp": ["SSHFP"],
    "_443._tcp.www": ["TLSA"],
    "_tcp.www": ["A"],
    "txt": ["TXT"],
    "unknown": ["TYPE65534", "A"],
    "mid": ["TXT"],
    "caf\\195\\169": ["TXT"],
    "CAF\\195\\169": ["TXT"],
    "caf\\195\\137": ["TXT"],  # 0x89 is not 0xA9 "in another case": only ASCII folds
    "caf\\195\\169.x": ["A"],
    "dot\\.inside": ["TXT"],
    "DOT\\.INSIDE": ["TXT"],
    "dot.inside": ["TXT"],
    "sp\\032ace": ["A"],
    "\\000nul": ["A"],
    "\\000NUL": ["A"],
    "\\000nux": ["A"],
    "nx": ["A", "AAAA", "TXT", "MX"],
    "deep.nx": ["A"],
    "www.example.org.": ["A"],
    "test.": ["SOA"],
    ".": ["NS"],
}


def _case_variant(name, rng):
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


RANDOM_TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV", "DS", "CAA", "HTTPS",
                "SVCB", "NAPTR", "PTR", "SPF", "SSHFP", "TLSA", "TYPE65534", "ANY", "TYPE999"]


def random_queries(n=250, seed=0x5EED):
    """Lookup fuzzing: owner names of the zone, some with random labels added in front or
    replaced, random case, random types, EDNS on or off. Fixed seed: the same list each run."""
    rng = random.Random(seed)
    zone = dnsq.load_zone()
    owners = sorted(n.relativize(zone.origin).to_text() for n in zone.nodes
                    if not n.labels[0].startswith(b"mx-") or n.labels[0] == b"mx-007")
    owners = [o for o in owners if "giant" not in o and "hugemx" not in o]
    out = []
    for _ in range(n):
        name = rng.choice(owners)
        r = rng.random()
        if r < 0.25:
            name = rng.choice(["x", "zz", "*", "a.b", "www", "_tcp", "sub"]) + "." + name
        elif r < 0.35 and "." in name:
            name = rng.choice(["x", "*", "foo"]) + "." + name.split(".", 1)[1]
        if name.endswith(".@") or name == "@":
            name = name[:-2] if name.endswith(".@") else "@"
        if rng.random() < 0.3 and name != "@":
            name = _case_variant(name, rng)
        t = rng.choice(RANDOM_TYPES)
        edns = 0 if rng.random() < 0.5 else None
        out.append(Q(name, t, edns=edns, do=edns == 0 and rng.random() < 0.3))
    return out


def build_queries():
    qs = []
    for name, types in NAMES.items():
        for t in types:
            qs.append(Q(name, t))
    # EDNS on (and the DO bit) for a spread of cases
    for name, t in [("@", "SOA"), ("www", "A"), ("nx", "A"), ("ent", "A"), ("foo.wild", "A"),
                    ("host.sub", "A"), ("sub", "DS"), ("cname", "A"), ("@", "MX"),
                    ("www.example.org.", "A"), ("_sip._tcp", "SRV"), ("@", "ANY")]:
        qs.append(Q(name, t, edns=0))
        qs.append(Q(name, t, edns=0, do=True))
    qs.append(Q("inner", "NS"))
    qs.append(Q("inner", "NS", edns=0))
    qs.append(Q("www", "A", edns=0, payload=512))
    qs.append(Q("www", "A", rd=True))
    qs.append(Q("www", "A", edns=0, rd=True))
    # header bits: CD and AD in queries, the Z bit, TC set in a query, EDNS Z flags
    for fl in (0x0010, 0x0020, 0x0040, 0x0200, 0x0030):
        qs.append(Q("www", "A", flags=fl))
        qs.append(Q("nx", "A", edns=0, flags=fl))
    qs.append(Q("www", "A", edns=0, ednsflags=0x4000))
    qs.append(Q("www", "A", edns=0, ednsflags=0x0001))
    for p in (0, 1, 511, 513, 65535):
        qs.append(Q("mid", "TXT", edns=0, payload=p))
        qs.append(Q("medium", "TXT", edns=0, payload=p))
    # sizes: truncation over UDP, everything over TCP
    for name, t in [("big", "TXT"), ("many", "A"), ("medium", "TXT")]:
        qs.append(Q(name, t))
        qs.append(Q(name, t, edns=0, payload=512))
        qs.append(Q(name, t, edns=0, payload=1232))
        qs.append(Q(name, t, edns=0, payload=4096))
        qs.append(Q(name, t, tcp=True))
    qs.append(Q("mid", "TXT", edns=0, payload=100))
    for p in (None, 512, 600, 700, 800, 1232):
        qs.append(Q("mxmany", "MX", edns=None if p is None else 0, payload=p or 512))
    qs += [Q("hugemx", "MX"), Q("hugemx", "MX", tcp=True), Q("hugemx", "MX", edns=0, payload=4096),
           Q("giant", "TXT", edns=0, payload=4096), Q("giant", "TXT", tcp=True),
           Q("mx-123.hugemx", "A")]
    # case variants (fixed seed)
    rng = random.Random(20240101)
    for name, t in [("www", "A"), ("mixed", "A"), ("foo.wild", "A"), ("host.sub", "A"),
                    ("cname", "A"), ("nx", "A"), ("ent", "A"), ("_sip._tcp", "SRV"),
                    ("www.inner", "A"), ("sub", "DS")]:
        qs.append(Q(_case_variant(dnsq.qname(name), rng), t))
    # meta types and oddities
    qs += [Q("@", "AXFR"), Q("@", "IXFR"), Q("@", "AXFR", tcp=True), Q("@", "TYPE0"),
           Q("@", "RRSIG"), Q("@", "NSEC", edns=0, do=True), Q("www", "MAILB"),
           Q("www", "TYPE65533"), Q("@", "OPT")]
    qs += random_queries()
    seen = set()
    out = []
    for q in qs:
        if q.key not in seen:
            seen.add(q.key)
            out.append(q)
    return out


QUERIES = build_queries()


# -- comparison --------------------------------------------------------------------------------

def minimize_nsd(nf):
    """NSD's answer as it would be without the apex NS RRset NSD adds to positive answers
    (and the addresses of those name servers it adds to the additional section)."""
    if nf is None or "AA" not in nf["flags"] or not nf["answer"] or not nf["authority"]:
        return nf
    auth = nf["authority"]
    if not all(rr[3] == "NS" for rr in auth):
        return nf
    owners = {rr[0] for rr in auth}
    if len(owners) != 1 or dns.name.from_text(next(iter(owners))) not in SERVED_APEXES:
        return nf
    ns_targets = {rr[5].lower() for rr in auth}
    # targets the answer itself needs addresses for stay
    needed = set()
    for rr in nf["answer"]:
        if rr[3] in ("NS", "MX", "SRV"):
            needed.add(rr[5].split()[-1].lower())
    add = frozenset(rr for rr in nf["additional"]
                    if rr[0] not in ns_targets or rr[0] in needed)
    out = dict(nf)
    out["authority"] = frozenset()
    out["additional"] = add
    return out


def diff_text(a, b, la, lb):
    if a is None or b is None:
        return "%s:\n%s\n%s:\n%s" % (la, dnsq.describe(a), lb, dnsq.describe(b))
    lines = []
    for k in ("rcode", "opcode", "flags", "question", "edns"):
        if a[k] != b[k]:
            lines.append("  %s: %s=%s %s=%s" % (k, la, a[k], lb, b[k]))
    for sec in ("answer", "authority", "additional"):
        for rr in sorted(a[sec] - b[sec]):
            lines.append("  %s only in %s: %s %d %s %s" % (sec, la, rr[0], rr[1], rr[3], rr[5]))
        for rr in sorted(b[sec] - a[sec]):
            lines.append("  %s only in %s: %s %d %s %s" % (sec, lb, rr[0], rr[1], rr[3], rr[5]))
    return "\n".join(lines)


# NSD and Knot DNS differ here (beyond NSD's apex NS in positive answers). Each reason is
# spelled out in docs/differences.md, section "Where NSD and Knot DNS differ".
PEER_DIFFERENCES = {
    "@ ANY": "any-rrset-choice",
    "svcb SVCB": "additional-svcb-target",
    "@ TYPE0": "qtype-0",
    "@ AXFR tcp": "axfr-refused-rcode",
    "@ IXFR": "ixfr-over-udp",
    "giant TXT tcp": "rrset-over-64k",
}
# Whole names where they differ for every type (the random queries hit these too).
PEER_DIFFERENT_NAMES = {
    "toinner": "cname-across-zones",
    "back.inner": "cname-across-zones",
    "mxdeleg": "additional-below-cut",
    "mxmany": "additional-partial",
}
PEER_DIFFERENT_NAMES.update({"long%02d" % i: "long-cname-chain" for i in range(1, 7)})


def peer_difference(q):
    """Why NSD and Knot may answer `q` differently, or None."""
    name = q.name.lower()
    if name in PEER_DIFFERENT_NAMES:
        return PEER_DIFFERENT_NAMES[name]
    if name == "@" and q.rdtype == "ANY":
        return "any-rrset-choice"
    if q.edns is not None and q.payload == 1:
        return "edns-payload-1"
    return PEER_DIFFERENCES.get("%s %s%s" % (name, q.rdtype, " tcp" if q.tcp else ""))


def _refusal(rcode):
    def check(nf, q, peers):
        assert nf["rcode"] == rcode, nf["rcode"]
        assert "AA" not in nf["flags"] and "TC" not in nf["flags"]
        assert not nf["answer"] and not nf["authority"] and not nf["additional"]
        assert nf["question"] == peers["knot"]["question"], "question not echoed"
    return check


def _capped_additional(nf, q, peers):
    """Same answer as Knot; the additional section a subset of Knot's, at most
    32 target names' addresses (auth/answer.c MAX_ADDITIONAL)."""
    knot = peers["knot"]
    for k in ("rcode", "flags", "question", "answer", "authority", "edns"):
        assert nf[k] == knot[k], (k, nf[k], knot[k])
    assert nf["additional"] and nf["additional"] <= knot["additional"]
    assert len({rr[0] for rr in nf["additional"]}) <= 32


def _cd_copied(nf, q, peers):
    """As Knot, but with CD copied from the query (RFC 4035 3.1.6)."""
    knot = dict(peers["knot"])
    knot["flags"] = tuple(sorted(set(knot["flags"]) | {"CD"}))
    assert nf == knot, diff_text(nf, knot, "signpost", "knot+CD")


# Queries where signpost deliberately answers like neither NSD nor Knot:
# key -> (reason, check(signpost's normal form, the query, {"nsd": nf, "knot": nf})).
# Every entry is explained in docs/differences.md, section "Where signpost differs".
SIGNPOST_DIFFERENCES = {
    "www A flags=0010": ("CD copied from query to response (RFC 4035 3.1.6)", _cd_copied),
    "www A flags=0030": ("CD copied from query to response (RFC 4035 3.1.6)", _cd_copied),
    "nx A edns0/1232 flags=0010": ("CD copied from query to response (RFC 4035 3.1.6)", _cd_copied),
    "nx A edns0/1232 flags=0030": ("CD copied from query to response (RFC 4035 3.1.6)", _cd_copied),
    "hugemx MX tcp": ("additional section capped at 32 target names per response "
                      "(threats doc 2, MUST 4)", _capped_additional),
}


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def answers(nsd_server, knot_server):
    """Every query's normal form from NSD and Knot."""
    out = {}
    for q in QUERIES:
        out[q.key] = {"nsd": dnsq.normal_form(q.send(nsd_server)),
                      "knot": dnsq.normal_form(q.send(knot_server))}
    return out


def test_query_list_is_large_enough():
    assert len(QUERIES) >= 100


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.key)
def test_signpost_matches_a_peer(signpost_server, answers, q):
    got = dnsq.normal_form(q.send(signpost_server))
    peers = answers[q.key]
    if q.key in SIGNPOST_DIFFERENCES:
        reason, check = SIGNPOST_DIFFERENCES[q.key]
        assert got is not None, "no answer (%s)" % reason
        check(got, q, peers)
        return
    candidates = [("knot", peers["knot"]), ("nsd", peers["nsd"]),
                  ("nsd-minimized", minimize_nsd(peers["nsd"]))]
    if any(got == nf for _, nf in candidates):
        return
    msg = ["signpost matches neither NSD nor Knot for %r" % q.key, "signpost:", dnsq.describe(got)]
    for label, nf in candidates[:2]:
        msg.append("diff signpost vs %s:\n%s" % (label, diff_text(got, nf, "signpost", label)))
    msg.append("diff signpost vs nsd-minimized:\n%s" %
               diff_text(got, candidates[2][1], "signpost", "nsd-min"))
    pytest.fail("\n".join(msg), pytrace=False)


def peers_differ(nf_nsd, nf_knot):
    return nf_knot != nf_nsd and nf_knot != minimize_nsd(nf_nsd)


def test_peers_differ_only_where_documented(answers):
    """Keeps PEER_DIFFERENCES (and docs/differences.md) true for the installed NSD and Knot."""
    undocumented = []
    used = set()
    for q in QUERIES:
        a = answers[q.key]
        if peers_differ(a["nsd"], a["knot"]):
            why = peer_difference(q)
            used.add(why)
            if why is None:
                undocumented.append("%s:\n%s" % (q.key, diff_text(a["nsd"], a["knot"], "nsd", "knot")))
    stale = (set(PEER_DIFFERENCES.values()) | set(PEER_DIFFERENT_NAMES.values())) - used
    assert not undocumented, "NSD and Knot differ, not in PEER_DIFFERENCES:\n" + "\n".join(undocumented)
    assert not stale, "documented NSD/Knot differences no longer seen: %s" % stale


# -- report --------------------------------------------------------------------------------

def main(argv):
    kinds = ["nsd", "knot"] + (["signpost"] if "--signpost" in argv else [])
    started = {}
    try:
        for k in kinds:
            started[k] = servers.KINDS[k]().start()
        n = 0
        for q in QUERIES:
            nf = {k: dnsq.normal_form(q.send(s)) for k, s in started.items()}
            nsd_min = minimize_nsd(nf["nsd"])
            if peers_differ(nf["nsd"], nf["knot"]):
                n += 1
                print("=== %s [nsd vs knot: %s]" % (q.key, peer_difference(q) or "UNDOCUMENTED"))
                print(diff_text(nsd_min, nf["knot"], "nsd-min", "knot"))
            if "signpost" in nf:
                sp = nf["signpost"]
                if sp not in (nf["knot"], nf["nsd"], nsd_min):
                    note = SIGNPOST_DIFFERENCES.get(q.key, ("UNDOCUMENTED",))[0]
                    print("=== %s [signpost differs: %s]" % (q.key, note))
                    print(diff_text(sp, nf["knot"], "signpost", "knot"))
                    print("  --- vs nsd-min")
                    print(diff_text(sp, nsd_min, "signpost", "nsd-min"))
        print("%d queries, %d where NSD and Knot differ" % (len(QUERIES), n))
    finally:
        for s in started.values():
            problems = s.stop_and_check()
            if problems:
                print("\n".join(problems))
            s.cleanup()


if __name__ == "__main__":
    main(sys.argv[1:])
