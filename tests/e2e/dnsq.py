"""Small helpers shared by the e2e tests: building queries, raw UDP/TCP exchanges, and a
normal form of a response (flags, rcode, the three sections as sets of RRs with TTLs)."""

import random
import select
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

import servers

ORIGIN = "conform.test."
# A valid query that every test sends after a hostile one, to check the server still answers.
PROBE_NAME = "www.conform.test."

_rng = random.Random(0x5197)


def qname(rel):
    """'www' -> 'www.conform.test.'; '@' -> the origin; names ending in '.' are absolute."""
    if rel == "@":
        return ORIGIN
    if rel.endswith("."):
        return rel
    return rel + "." + ORIGIN


def make(name, rdtype="A", edns=None, payload=1232, rd=False, do=False, id=None,
         rdclass="IN", options=None):
    """A query. edns=None means no OPT; edns=0 means EDNS version 0 with `payload`."""
    q = dns.message.make_query(qname(name) if not isinstance(name, dns.name.Name) else name,
                               rdtype, rdclass, use_edns=False)
    if edns is not None:
        # (make_query's want_dnssec would reset the EDNS version to 0 in dnspython 2.3)
        q.use_edns(edns, ednsflags=dns.flags.DO if do else 0, payload=payload,
                   options=options)
    q.flags = dns.flags.RD if rd else 0
    if id is not None:
        q.id = id
    return q


def ask(server, name, rdtype="A", tcp=False, host=servers.V4, **kw):
    return server.query(make(name, rdtype, **kw), tcp=tcp, host=host)


def ask_wire(server, name, rdtype="A", tcp=False, host=servers.V4, **kw):
    """Returns (parsed response, response length in bytes)."""
    q = make(name, rdtype, **kw)
    raw = q.to_wire()
    if tcp:
        resp = tcp_exchange(server, raw, host=host)
    else:
        resp = udp_exchange(server, raw, host=host)
    assert resp is not None, "no answer to %s %s" % (name, rdtype)
    return dns.message.from_wire(resp, ignore_trailing=False), len(resp)


# -- raw exchanges ------------------------------------------------------------------------

def udp_socket(server, host=servers.V4):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((host, server.port))
    return s


def udp_exchange(server, wire, host=servers.V4, timeout=5.0):
    """Sends one datagram, returns the first reply (bytes) or None after `timeout`."""
    with udp_socket(server, host) as s:
        s.send(wire)
        r, _, _ = select.select([s], [], [], timeout)
        if not r:
            return None
        return s.recv(65535)


def recv_exact(s, n, timeout):
    buf = b""
    deadline = time.monotonic() + timeout
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("read %d of %d bytes" % (len(buf), n))
        s.settimeout(left)
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_connect(server, host=servers.V4, timeout=5.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, server.port))
    return s


def tcp_read_msg(s, timeout=5.0):
    (n,) = struct.unpack("!H", recv_exact(s, 2, timeout))
    return recv_exact(s, n, timeout)


def tcp_exchange(server, wire, host=servers.V4, timeout=5.0):
    with tcp_connect(server, host, timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        return tcp_read_msg(s, timeout)


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


# -- normal form ------------------------------------------------------------------------

FLAG_NAMES = ("QR", "AA", "TC", "RD", "RA", "AD", "CD")


def flag_set(msg):
    out = {f for f in FLAG_NAMES if msg.flags & getattr(dns.flags, f)}
    if msg.flags & 0x0040:
        out.add("Z")
    return frozenset(out)


# Types whose rdata text holds only names and numbers: compared case-insensitively (servers
# may compress such names against the query name, which carries the query's case).
_CASELESS_TEXT = {"NS", "CNAME", "SOA", "PTR", "MX", "SRV", "DNAME", "SVCB", "HTTPS", "DS",
                  "AAAA", "SSHFP", "TLSA"}


def rr_key(name, ttl, rdclass, rdtype, rd):
    """One RR as a comparable tuple: owner lower-cased, TTL, class, type, canonical rdata
    (RFC 4034 6.2 form) and its text."""
    t = dns.rdatatype.to_text(rdtype)
    text = rd.to_text()
    if t in _CASELESS_TEXT:
        text = text.lower()
    return (name.to_text().lower(), ttl, dns.rdataclass.to_text(rdclass), t,
            rd.to_digestable(dns.name.root).hex(), text)


def section_set(section):
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add(rr_key(rrset.name, rrset.ttl, rrset.rdclass, rrset.rdtype, rd))
    return frozenset(out)


def normal_form(msg):
    """What the differential test compares: everything but ID and section order."""
    if msg is None:
        return None
    edns = None
    if msg.edns >= 0:
        edns = (msg.edns, msg.ednsflags & 0xFFFF)  # version, DO and the Z flags
    return {
        "rcode": dns.rcode.to_text(msg.rcode()),
        "opcode": dns.opcode.to_text(msg.opcode()),
        "flags": tuple(sorted(flag_set(msg))),
        "question": tuple((r.name.to_text(), dns.rdatatype.to_text(r.rdtype)) for r in msg.question),
        "answer": section_set(msg.answer),
        "authority": section_set(msg.authority),
        "additional": section_set(msg.additional),
        "edns": edns,
    }


def describe(nf):
    """A readable rendering of a normal form, for assertion messages."""
    if nf is None:
        return "  (no response)"
    out = ["  rcode=%s flags=%s edns=%s question=%s" %
           (nf["rcode"], " ".join(nf["flags"]), nf["edns"], nf["question"])]
    for sec in ("answer", "authority", "additional"):
        for rr in sorted(nf[sec]):
            out.append("  %-10s %s %d %s %s %s" % (sec, rr[0], rr[1], rr[2], rr[3], rr[5]))
    return "\n".join(out)


def rrs(section, rdtype=None):
    """Set of (owner lower, type, rdata text) for quick content checks (no TTL)."""
    out = set()
    for rrset in section:
        if rdtype is not None and rrset.rdtype != dns.rdatatype.from_text(rdtype):
            continue
        for rd in rrset:
            out.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype),
                     rd.to_text().lower()))
    return out


# -- the conformance zone as dnspython sees it (the oracle for exact-match answers) --------

_zone_cache = {}


def load_zone(origin=ORIGIN, path=None):
    if path is None:
        path = servers.DEFAULT_ZONES[origin]
    key = (origin, str(path))
    if key not in _zone_cache:
        _zone_cache[key] = dns.zone.from_file(str(path), origin=origin, relativize=False,
                                              check_origin=True)
    return _zone_cache[key]


def random_id():
    return _rng.randrange(0, 65536)
