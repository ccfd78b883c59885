"""What `signpost resolver` puts on the wire towards upstream servers (spec 7, 9.1), seen by a
scripted root server in this test: random source ports and IDs, EDNS 1232, RD=0, and replies
that do not come from the queried address and port are never believed (the Kaminsky race).
The scripted server is authoritative for everything (it is the root), on a random loopback
address and a free port (--upstream-port)."""

import random
import socket
import subprocess
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

import resolverutil
import servers

ANSWER = "192.0.2.1"
FORGED = "6.6.6.6"


class FakeRoot:
    """A UDP root server: `. NS a.root-servers.net.` with its own address as glue, and an
    AA answer A 192.0.2.1 for any other question. With `spoof`, a forged answer (right ID,
    right question) is sent first from another port of the same address."""

    def __init__(self, addr):
        self.addr = addr
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.port = self.sock.getsockname()[1]
        self.liar = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.liar.bind((addr, 0))
        self.seen = []  # (source port, query message)
        self.spoof = False
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                q = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - a test server ignores garbage
                continue
            self.seen.append((peer[1], q))
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            qn = q.question[0].name
            if q.question[0].rdtype == dns.rdatatype.NS and qn == dns.name.root:
                r.answer.append(dns.rrset.from_text(".", 518400, "IN", "NS",
                                                    "a.root-servers.net."))
                r.additional.append(dns.rrset.from_text("a.root-servers.net.", 518400, "IN",
                                                        "A", self.addr))
            elif q.question[0].rdtype == dns.rdatatype.A:
                if self.spoof:
                    forged = dns.message.make_response(q)
                    forged.flags |= dns.flags.AA
                    forged.answer.append(dns.rrset.from_text(qn, 300, "IN", "A", FORGED))
                    for _ in range(3):
                        self.liar.sendto(forged.to_wire(), peer)
                r.answer.append(dns.rrset.from_text(qn, 300, "IN", "A", ANSWER))
            self.sock.sendto(r.to_wire(), peer)

    def close(self):
        self._stop = True
        self.thread.join(timeout=2)
        self.sock.close()
        self.liar.close()


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    if not servers.signpost_bin().exists():
        pytest.skip("build/signpost does not exist")
    rnd = random.SystemRandom()
    addr = "127.%d.%d.2" % (rnd.randrange(64, 250), rnd.randrange(1, 250))
    root = FakeRoot(addr)
    hints = tmp_path_factory.mktemp("hints") / "root.hints"
    hints.write_text(".  3600000  NS  a.root-servers.net.\n"
                     "a.root-servers.net.  3600000  A  %s\n" % addr)
    root.hints = hints
    yield root
    root.close()


@pytest.fixture(scope="module")
def res(request, tmp_path_factory, fake):
    r = resolverutil.Resolver(tmp_path_factory.mktemp("resolver"), "127.0.0.1", fake.hints,
                              fake.port)
    r.start()

    def fin():
        problems = r.stop_and_check()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    request.addfinalizer(fin)
    return r


def test_random_source_ports_and_ids(res, fake):
    before = len(fake.seen)
    names = ["n%d-%d.test" % (i, random.randrange(1 << 30)) for i in range(40)]
    for n in names:
        r = res.dig(n)
        assert r.rdatas("A") == [ANSWER], r
    seen = fake.seen[before:]
    assert len(seen) >= len(names), seen
    ports = [p for p, _ in seen]
    ids = [q.id for _, q in seen]
    # a fresh port for every query, spread over the range, not counting up (spec 7.3)
    assert len(set(ports)) >= len(seen) - 2, ports
    assert max(ports) - min(ports) > 10000, ports
    steps = [b - a for a, b in zip(ports, ports[1:])]
    assert len(set(steps)) > len(steps) // 2, ports
    assert len(set(ids)) >= len(seen) - 2, ids  # random IDs (spec 7.2)
    assert sorted(ids) != ids, ids


def test_upstream_queries_are_iterative_with_edns_1232(res, fake):
    before = len(fake.seen)
    res.dig("edns-%d.test" % random.randrange(1 << 30))
    for _, q in fake.seen[before:]:
        assert not q.flags & dns.flags.RD, q  # spec 2.2
        assert q.edns == 0 and q.payload == 1232, q  # spec 9.1


def test_replies_from_another_port_are_not_believed(res, fake):
    fake.spoof = True
    try:
        for i in range(5):
            r = res.dig("spoof%d-%d.test" % (i, random.randrange(1 << 30)))
            assert r.rdatas("A") == [ANSWER], r
    finally:
        fake.spoof = False
    rc, out = res.control("stats")
    assert rc == 0, out


def _query(name, qid=0x1234):
    q = dns.message.make_query(name, "A", use_edns=0)
    q.id = qid
    return q.to_wire()


def test_hostile_clients_do_not_hurt(res):
    rnd = random.Random(7)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for n in (0, 1, 11, 12, 13, 40, 300, 1500):
            u.sendto(bytes(rnd.randrange(256) for _ in range(n)), (res.addr, res.port))
        resp = bytearray(_query("resp.test"))
        resp[2] |= 0x80  # a response: never answered
        u.sendto(bytes(resp), (res.addr, res.port))
        for _ in range(50):  # mutated queries
            m = bytearray(_query("mut-%d.test" % rnd.randrange(1 << 20)))
            for _ in range(3):
                m[rnd.randrange(len(m))] = rnd.randrange(256)
            u.sendto(bytes(m), (res.addr, res.port))
    finally:
        u.close()
    # TCP: frames of length 0 and 1, a frame cut short, and clients that leave before their
    # answer (it is owed to a closed connection)
    for payload in (b"\x00\x00", b"\x00\x01\x00", b"\x00\x40" + b"\x00" * 10):
        t = socket.create_connection((res.addr, res.port), timeout=5)
        t.sendall(payload)
        t.close()
    for i in range(20):
        w = _query("gone%d-%d.test" % (i, rnd.randrange(1 << 30)))
        t = socket.create_connection((res.addr, res.port), timeout=5)
        t.sendall(len(w).to_bytes(2, "big") + w)
        t.close()
    # pipelined: three queries in one write, three answers on one connection
    t = socket.create_connection((res.addr, res.port), timeout=5)
    try:
        ids = [101, 102, 103]
        data = b""
        for i in ids:
            w = _query("pipe%d-%d.test" % (i, rnd.randrange(1 << 30)), i)
            data += len(w).to_bytes(2, "big") + w
        t.sendall(data)
        got = []
        buf = b""
        while len(got) < 3:
            chunk = t.recv(65535)
            assert chunk, "connection closed with answers missing"
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
                n = int.from_bytes(buf[:2], "big")
                got.append(dns.message.from_wire(buf[2:2 + n]))
                buf = buf[2 + n:]
        assert sorted(m.id for m in got) == ids
        assert all(m.rcode() == dns.rcode.NOERROR and m.answer for m in got), got
    finally:
        t.close()
    r = res.dig("after-%d.test" % rnd.randrange(1 << 30))
    assert r.rdatas("A") == [ANSWER], r


def test_a_second_resolver_does_not_take_the_control_socket(res, fake):
    p = subprocess.run([str(servers.signpost_bin()), "resolver", "--listen", "127.0.0.1:0",
                        "--root-hints", str(fake.hints), "--control", str(res.ctl)],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and "control socket of a running resolver" in p.stderr, p.stderr
    assert res.control("stats")[0] == 0
