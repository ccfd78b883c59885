"""Hostile input (../shared/reference/dns-server-threats.md, section 1), over UDP and TCP.

Each packet must get FORMERR (a reply no bigger than the packet, with its ID, QR=1) or
silence, and the next valid query on the same socket (or, when the server closed a TCP
connection, on a new one) must be answered. At the end the server is still running and
exits 0 on SIGTERM (with no sanitizer report when $SIGNPOST_BIN is an ASan build).

No timing assertions: "silence" means the reply to the probe sent right after the hostile
packet arrived first, and nothing else came in a short wait after it.
"""

import os
import random
import select
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest

import dnsq

ID = 0x1234
PROBE_ID = 0xABCD


def header(qd=1, an=0, ns=0, ar=0, flags=0x0000, ident=ID):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


QUESTION = dnsq.make("www", "A").to_wire()[12:]  # www.conform.test. A IN
QTAIL = b"\x00\x01\x00\x01"  # type A, class IN
OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"

FORMERR_OR_SILENCE = ("formerr", "silence")

# name -> (packet, allowed outcomes)
CASES = {
    # compression pointers
    "self-pointer c0 0c": (header() + b"\xc0\x0c" + QTAIL, FORMERR_OR_SILENCE),
    "label then pointer back 01 61 c0 0c": (header() + b"\x01a\xc0\x0c" + QTAIL, FORMERR_OR_SILENCE),
    "pointer past end c0 ff": (header() + b"\xc0\xff" + QTAIL, FORMERR_OR_SILENCE),
    "pointer into header c0 00": (header() + b"\xc0\x00" + QTAIL, FORMERR_OR_SILENCE),
    "pointer into header c0 05": (header() + b"\x03www\xc0\x05" + QTAIL, FORMERR_OR_SILENCE),
    "forward pointer": (header() + b"\xc0\x0e\x03www\x00" + QTAIL, FORMERR_OR_SILENCE),
    "pointer loop two hops": (header() + b"\x01a\xc0\x10\x01b\xc0\x0c" + QTAIL, FORMERR_OR_SILENCE),
    "pointer in rdata name to itself": (
        header(ar=1) + QUESTION + b"\x00\x00\x02\x00\x01\x00\x00\x00\x10\x00\x02"
        + struct.pack("!H", 0xC000 | (12 + len(QUESTION) + 11)), FORMERR_OR_SILENCE),
    # labels and names
    "reserved label type 0x40": (header() + b"\x41a\x00" + QTAIL, FORMERR_OR_SILENCE),
    "reserved label type 0x80": (header() + b"\x81a\x00" + QTAIL, FORMERR_OR_SILENCE),
    "label length 64": (header() + b"\x40" + b"a" * 64 + b"\x00" + QTAIL, FORMERR_OR_SILENCE),
    "name of 256 octets": (header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + QTAIL,
                           FORMERR_OR_SILENCE),
    "name over 255 octets via pointers": (
        header(an=1) + (b"\x3f" + b"a" * 63) * 3 + b"\x00" + QTAIL
        + b"\x3f" + b"b" * 63 + b"\xc0\x0c" + QTAIL + b"\x00\x00\x00\x10\x00\x04\x01\x02\x03\x04",
        FORMERR_OR_SILENCE),
    "name runs past end": (header() + b"\x03www\x07conf", FORMERR_OR_SILENCE),
    "128 labels": (header() + b"\x01a" * 128 + b"\x00" + QTAIL, FORMERR_OR_SILENCE),
    # header and counts
    "empty datagram": (b"", ("silence",)),
    "one byte": (b"\x12", ("silence",)),
    "truncated header (7 bytes)": (header()[:7], ("silence",)),
    "truncated header (11 bytes)": (header()[:11], ("silence",)),
    "header only, QDCOUNT=1": (header(), FORMERR_OR_SILENCE),
    "QDCOUNT=0": (header(qd=0), FORMERR_OR_SILENCE),
    "QDCOUNT=0 with a question": (header(qd=0) + QUESTION, FORMERR_OR_SILENCE),
    "QDCOUNT=2": (header(qd=2) + QUESTION + QUESTION, FORMERR_OR_SILENCE),
    "QDCOUNT=2, one question": (header(qd=2) + QUESTION, FORMERR_OR_SILENCE),
    "QDCOUNT=65535": (header(qd=65535) + QUESTION, FORMERR_OR_SILENCE),
    "question missing type/class": (header() + QUESTION[:-4], FORMERR_OR_SILENCE),
    "question missing class": (header() + QUESTION[:-2], FORMERR_OR_SILENCE),
    "ARCOUNT=1, no RR": (header(ar=1) + QUESTION, FORMERR_OR_SILENCE),
    "ANCOUNT=1, no RR": (header(an=1) + QUESTION, FORMERR_OR_SILENCE),
    "ARCOUNT=65535, one OPT": (header(ar=65535) + QUESTION + OPT, FORMERR_OR_SILENCE),
    "two OPT records": (header(ar=2) + QUESTION + OPT + OPT, FORMERR_OR_SILENCE),
    "OPT in answer section": (header(an=1) + QUESTION + OPT, FORMERR_OR_SILENCE),
    "OPT in authority section": (header(ns=1) + QUESTION + OPT, FORMERR_OR_SILENCE),
    "OPT with non-root owner": (header(ar=1) + QUESTION + b"\x01a" + OPT, FORMERR_OR_SILENCE),
    "OPT rdlength past end": (header(ar=1) + QUESTION + OPT[:-2] + b"\x00\x20\x00\x0a",
                              FORMERR_OR_SILENCE),
    "EDNS option length past rdata": (
        header(ar=1) + QUESTION + OPT[:-2] + b"\x00\x06" + b"\x00\x0a\x00\x40\x01\x02",
        FORMERR_OR_SILENCE),
    "rdata past rdlength (additional A)": (
        header(ar=1) + QUESTION + b"\x00\x00\x01\x00\x01\x00\x00\x00\x10\x00\x10\x01\x02",
        FORMERR_OR_SILENCE),
    "RR header truncated in additional": (header(ar=1) + QUESTION + b"\x00\x00\x01\x00",
                                          FORMERR_OR_SILENCE),
    "trailing garbage after question": (header() + QUESTION + b"\xde\xad", ("formerr", "silence", "answer")),
    # flags and opcodes
    "QR=1 (a response)": (header(flags=0x8000) + QUESTION, ("silence",)),
    "QR=1, FORMERR rcode": (header(flags=0x8001) + QUESTION, ("silence",)),
    "OPCODE 7": (header(flags=7 << 11) + QUESTION, ("notimp",)),
    "OPCODE 15, QDCOUNT=0": (header(flags=15 << 11, qd=0), ("notimp", "formerr", "silence")),
}


# Where a peer is more lenient than the threats doc asks of signpost (docs/differences.md):
# (kind, case) -> extra outcome allowed for that peer only.
PEER_LENIENCY = {
    ("knot", "OPT with non-root owner"): "answer",  # Knot 3.2.6 ignores the OPT owner
}


def allowed_for(server, name, allowed):
    extra = PEER_LENIENCY.get((server.kind, name))
    return tuple(allowed) + ((extra,) if extra else ())


def _garbage_cases():
    rng = random.Random(0xD15EA5E)
    out = {}
    lengths = [2, 5, 12, 13, 17, 20, 31, 45, 64, 100, 255, 256, 511, 512, 513, 1000, 1232, 1500,
               4096, 16384, 65000]
    for n in lengths:
        for i in range(2):
            out["garbage %d bytes #%d" % (n, i)] = bytes(rng.randrange(256) for _ in range(n))
    # header-valid garbage: QR=0, OPCODE=0, random counts and body
    for i in range(20):
        n = rng.choice([1, 5, 20, 60, 300])
        body = bytes(rng.randrange(256) for _ in range(n))
        out["query-shaped garbage #%d" % i] = header(qd=rng.randrange(0, 3), an=rng.randrange(0, 3),
                                                     ns=rng.randrange(0, 3),
                                                     ar=rng.randrange(0, 3)) + body
    # bit flips and truncations of a valid EDNS query
    valid = dnsq.make("www", "A", edns=0, id=ID).to_wire()
    for i in range(40):
        b = bytearray(valid)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(2, len(b))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.3:
            b = b[:rng.randrange(12, len(b))]
        out["mutated query #%d" % i] = bytes(b)
    return out


GARBAGE = _garbage_cases()


# -- sending --------------------------------------------------------------------------------

def _probe():
    return dnsq.make("www", "A", id=PROBE_ID).to_wire()


def _is_probe_answer(m):
    return len(m) >= 12 and m[:2] == struct.pack("!H", PROBE_ID) and m[2] & 0x80


def exchange_udp(server, wire):
    """Returns (replies to `wire`, probe answered?)."""
    replies = []
    with dnsq.udp_socket(server) as s:
        if wire:
            s.send(wire)
        else:
            s.send(b"")  # an empty datagram
        s.send(_probe())
        deadline = time.monotonic() + 15
        answered = False
        while time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], 0.05 if answered else 15)
            if not r:
                if answered:
                    break
                continue
            m = s.recv(65535)
            if not answered and _is_probe_answer(m):
                answered = True
                continue
            replies.append(m)
        return replies, answered


def exchange_tcp(server, wire):
    """Sends `wire` framed, then the probe on the same connection. Returns (replies,
    probe answered on the same connection?, probe answered on a new connection?)."""
    replies = []
    answered_same = False
    with dnsq.tcp_connect(server, timeout=15) as s:
        try:
            s.sendall(dnsq.frame(wire) + dnsq.frame(_probe()))
            while True:
                m = dnsq.tcp_read_msg(s, timeout=15)
                if _is_probe_answer(m):
                    answered_same = True
                    break
                replies.append(m)
        except (EOFError, ConnectionError, OSError):
            pass  # the server closed the connection: allowed after garbage
    m = dnsq.tcp_exchange(server, _probe(), timeout=15)
    return replies, answered_same, _is_probe_answer(m)


def classify(wire, reply):
    """'formerr', 'notimp', 'answer' (any other rcode), or a string describing what is wrong."""
    if len(reply) < 12:
        return "reply shorter than a header (%d bytes)" % len(reply)
    ident, fl = struct.unpack("!HH", reply[:4])
    if len(wire) >= 2 and ident != struct.unpack("!H", wire[:2])[0]:
        return "reply ID %04x is not the query's" % ident
    if not fl & 0x8000:
        return "reply without QR"
    rcode = fl & 15
    if rcode == dns.rcode.FORMERR:
        return "formerr"
    if rcode == dns.rcode.NOTIMP:
        return "notimp"
    return "answer"


def check_outcome(name, wire, replies, allowed):
    if not replies:
        assert "silence" in allowed, "%s: no reply, expected %s" % (name, allowed)
        return
    assert len(replies) == 1, "%s: %d replies to one packet" % (name, len(replies))
    reply = replies[0]
    what = classify(wire, reply)
    assert what in allowed, "%s: got %s (%s), expected %s" % (name, what, reply[:64].hex(), allowed)
    if what in ("formerr", "notimp"):
        assert len(reply) <= max(len(wire), 12), \
            "%s: %d-byte error reply to a %d-byte packet" % (name, len(reply), len(wire))


# -- tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_hostile_udp(server, name):
    wire, allowed = CASES[name]
    replies, answered = exchange_udp(server, wire)
    assert answered, "%s: the next valid query was not answered" % name
    check_outcome(name, wire, replies, allowed_for(server, name, allowed))


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][0]])
def test_hostile_tcp(server, name):
    wire, allowed = CASES[name]
    replies, same, fresh = exchange_tcp(server, wire)
    assert fresh, "%s: a new TCP connection was not answered" % name
    check_outcome(name, wire, replies, allowed_for(server, name, allowed))


GARBAGE_ALLOWED = ("formerr", "notimp", "silence", "answer")


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_udp(server, name):
    wire = GARBAGE[name]
    replies, answered = exchange_udp(server, wire)
    assert answered, "%s: the next valid query was not answered" % name
    check_outcome(name, wire, replies, GARBAGE_ALLOWED)


@pytest.mark.parametrize("name", [n for n in GARBAGE if len(GARBAGE[n]) <= 65535])
def test_garbage_tcp(server, name):
    wire = GARBAGE[name]
    replies, same, fresh = exchange_tcp(server, wire)
    assert fresh, "%s: a new TCP connection was not answered" % name
    check_outcome(name, wire, replies, GARBAGE_ALLOWED)


TCP_FRAMING = {
    "length 0": b"\x00\x00",
    "length 2 (shorter than a header)": b"\x00\x02\xab\xcd",
    "length 11": b"\x00\x0b" + header()[:11],
    "length 0x7f7f, 2 bytes, hang up": b"\x7f\x7f\x12\x34",
    "length 0xffff, header only, hang up": b"\xff\xff" + header(),
    "one length byte, hang up": b"\x00",
}


@pytest.mark.parametrize("name", list(TCP_FRAMING))
def test_tcp_framing(server, name):
    """Bad framing: the server may close; it must not answer garbage or stop serving."""
    with dnsq.tcp_connect(server, timeout=15) as s:
        s.settimeout(15)
        try:
            s.sendall(TCP_FRAMING[name])
            s.shutdown(socket.SHUT_WR)
            data = s.recv(65535)
        except (ConnectionError, OSError):
            data = b""
        # anything it sends must be a well-formed error reply, never an answer
        if len(data) >= 14:
            what = classify(b"\x12\x34", data[2:])
            assert what in ("formerr", "notimp"), (name, data.hex())
    r = dnsq.tcp_exchange(server, _probe(), timeout=15)
    assert _is_probe_answer(r)
    replies, answered = exchange_udp(server, b"\x00" * 12)
    assert answered


def test_many_hostile_in_one_tcp_connection(server):
    """Every FORMERR-class packet back to back on one connection, then a valid query."""
    payload = b"".join(dnsq.frame(w) for w, allowed in CASES.values() if w and "silence" not in allowed)
    with dnsq.tcp_connect(server, timeout=15) as s:
        try:
            s.sendall(payload + dnsq.frame(_probe()))
            while True:
                m = dnsq.tcp_read_msg(s, timeout=15)
                if _is_probe_answer(m):
                    break
        except (EOFError, ConnectionError, OSError):
            pass
    assert _is_probe_answer(dnsq.tcp_exchange(server, _probe(), timeout=15))


def _cpu_seconds(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def test_zy_idle_after_hostile_input(server):
    """No thread left spinning by anything above: idle means (almost) no CPU."""
    before = _cpu_seconds(server.proc.pid)
    time.sleep(3)
    used = _cpu_seconds(server.proc.pid) - before
    assert used < 1.5, "%.2f s of CPU in 3 s while idle: a thread is spinning" % used


def test_zz_alive_and_clean_exit(server):
    """Last in this module: still running, still answering, exits 0 on SIGTERM."""
    assert server.alive(), "server died:\n" + server.stderr()[-4000:]
    r = server.query(dnsq.make("www", "A"))
    assert r.answer
    problems = server.stop_and_check()
    assert not problems, "\n".join(problems)
