"""The signpost daemon as a user meets it: command line, zone-file errors, SIGHUP reload,
--config FILE, SIGTERM. (signpost only: NSD and Knot have their own command lines.)"""

import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import dns.flags
import dns.rcode
import pytest

import dnsq
import servers
from conftest import require

pytestmark = pytest.mark.usefixtures("_need_signpost")


@pytest.fixture
def _need_signpost():
    require("signpost")


def run(*args, timeout=60):
    return subprocess.run([str(servers.signpost_bin())] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


GOOD_ZONE = """$ORIGIN {origin}
$TTL 300
@	IN SOA ns1 hostmaster {serial} 3600 900 604800 60
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.{serial_low}
{extra}
"""


def write_zone(path, origin, serial, extra=""):
    path.write_text(GOOD_ZONE.format(origin=origin, serial=serial, serial_low=serial % 250 + 1,
                                     extra=extra))


def soa_serial(server, origin, tcp=False):
    r = server.query(dnsq.make(origin, "SOA"), tcp=tcp, timeout=10)
    assert r.rcode() == dns.rcode.NOERROR and r.answer, r
    return r.answer[0][0].serial


# -- command line --------------------------------------------------------------------------

DNS_FLAGS = ["--listen", "--zone", "--workers", "--config", "--log-level", "--help"]


def test_help_lists_commands():
    out = run("--help")
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    assert re.search(r"^\s+dns\s", text, re.M), text
    assert "--help" in text


def test_dns_help_lists_every_flag():
    out = run("dns", "--help")
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for flag in DNS_FLAGS:
        assert flag in text, "%s missing from `signpost dns --help`" % flag
    # and every flag the help names is accepted (not reported as unknown)
    for flag in sorted(set(re.findall(r"(--[a-z][a-z0-9-]+)", text))):
        if flag in ("--help",):
            continue
        r = run("dns", flag, "--help")
        msg = (r.stdout + r.stderr).lower()
        assert "unrecognized" not in msg and "unknown" not in msg, (flag, msg)


def test_help_mentions_signals_and_exit_status():
    text = run("dns", "--help").stdout
    assert "SIGHUP" in text and "SIGTERM" in text


@pytest.mark.parametrize("args", [
    ["dns", "--no-such-flag"],
    ["dns", "--workers", "0", "--listen", "127.0.0.1:1"],
    ["dns", "--workers", "many", "--listen", "127.0.0.1:1"],
    ["dns", "--listen", "not-an-address:53"],
    ["dns", "--listen", "127.0.0.1:99999"],
    ["dns", "--zone", "no-equals-sign"],
    ["dns", "--log-level", "chatty"],
    ["dns", "--config", "/nonexistent/signpost.conf"],
    ["frobnicate"],
])
def test_bad_command_line_fails_with_message(args):
    out = run(*args)
    assert out.returncode != 0, "accepted %s" % args
    assert out.stderr.strip(), "no message on stderr for %s" % args
    assert "AddressSanitizer" not in out.stderr and "runtime error" not in out.stderr


def test_port_in_use_fails(make_server):
    first = make_server("signpost")
    out = run("dns", "--listen", "127.0.0.1:%d" % first.port, "--zone",
              "conform.test=%s" % servers.DEFAULT_ZONES["conform.test."], timeout=60)
    # exit 1 (nothing could be bound), unless SO_REUSEPORT let it share the port
    if out.returncode == 0:
        pytest.skip("second instance shared the port")
    assert out.returncode != 0 and out.stderr.strip()


# -- zone files with errors -------------------------------------------------------------------

BAD_ZONES = {
    # name: (text, line numbers that may be reported, or None for a whole-zone error)
    "bad address": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n"
                    "ns1 A 192.0.2.1\nwww A 300.1.2.3\n", [6]),
    "syntax": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n"
               "ns1 A 192.0.2.1\nwww IN BOGUSTYPE foo\n", [6]),
    "cname and other data": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n"
                             "ns1 A 192.0.2.1\nwww CNAME ns1\nwww A 192.0.2.2\n", [6, 7]),
    "data outside the zone": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n"
                              "ns1 A 192.0.2.1\nwww.elsewhere.example. A 192.0.2.2\n", [6]),
    "no SOA": ("$ORIGIN bad.test.\n$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\n", None),
    "no apex NS": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\nns1 A 192.0.2.1\n", None),
    "two SOA": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ SOA ns1 h 2 2 3 4 5\n"
                "@ NS ns1\n", [3, 4]),
    "unterminated string": ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n"
                            "t TXT \"no end\n", [5, 6]),
    "missing file": (None, None),
}


@pytest.mark.parametrize("case", list(BAD_ZONES))
def test_bad_zone_reported_and_refused_others_served(make_server, tmp_path, case):
    text, lines = BAD_ZONES[case]
    bad = tmp_path / "bad.test.zone"
    if text is not None:
        bad.write_text(text)
    zones = {"conform.test.": servers.DEFAULT_ZONES["conform.test."], "bad.test.": bad}
    srv = make_server("signpost", zones=zones)
    # the good zone is served
    r = dnsq.ask(srv, "www", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # the bad one is not
    for tcp in (False, True):
        r = srv.query(dnsq.make("www.bad.test.", "A"), tcp=tcp)
        assert r.rcode() == dns.rcode.REFUSED, r
        r = srv.query(dnsq.make("bad.test.", "SOA"), tcp=tcp)
        assert r.rcode() == dns.rcode.REFUSED, r
    err = srv.stderr()
    assert str(bad) in err, "stderr does not name %s:\n%s" % (bad, err)
    if lines:
        assert any("%s:%d" % (bad, n) in err for n in lines), \
            "stderr does not say %s:%s\n%s" % (bad, lines, err)


# -- SIGHUP ------------------------------------------------------------------------------

class Hammer:
    """Queries the server from a background thread (UDP and TCP, v4 and v6) until stopped,
    counting queries that got no answer or a wrong one. `name` is www.ZONE: asked for A,
    and ZONE for SOA."""

    def __init__(self, server, name, timeout=10.0):
        self.server, self.name, self.timeout = server, name, timeout
        self.sent = 0
        self.failures = []
        self.serials = set()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self._stop.is_set():
            tcp = i % 4 == 3
            host = servers.V6 if i % 2 else servers.V4
            rdtype = "SOA" if i % 3 == 0 else "A"
            i += 1
            self.sent += 1
            try:
                qn = self.name if rdtype == "A" else self.name.split(".", 1)[1]
                r = self.server.query(dnsq.make(qn, rdtype), tcp=tcp, host=host,
                                      timeout=self.timeout)
            except Exception as e:  # a drop: timeout, reset, ...
                self.failures.append("%s %s tcp=%s: %r" % (host, rdtype, tcp, e))
                continue
            if r.rcode() != dns.rcode.NOERROR or not r.answer or not r.flags & dns.flags.AA:
                self.failures.append("%s %s tcp=%s: %s" % (host, rdtype, tcp, r))
            elif rdtype == "SOA":
                self.serials.add(r.answer[0][0].serial)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(60)


def wait_for(cond, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s" % what)


def test_sighup_reload_without_dropping_queries(make_server, tmp_path):
    zf = tmp_path / "reload.test.zone"
    write_zone(zf, "reload.test.", 1)
    srv = make_server("signpost", zones={"reload.test.": zf})
    assert soa_serial(srv, "reload.test.") == 1
    with Hammer(srv, "www.reload.test.") as h:
        for serial in (2, 3, 4):
            write_zone(zf, "reload.test.", serial, extra="new%d A 192.0.2.%d" % (serial, serial))
            srv.signal(signal.SIGHUP)
            wait_for(lambda: soa_serial(srv, "reload.test.") == serial, what="serial %d" % serial)
            r = srv.query(dnsq.make("new%d.reload.test." % serial, "A"))
            assert r.rcode() == dns.rcode.NOERROR and r.answer, r
            r = srv.query(dnsq.make("www.reload.test.", "A"), tcp=True)
            assert r.answer[0][0].address == "192.0.2.%d" % (serial % 250 + 1)
            if serial > 2:  # records that left the file are gone
                r = srv.query(dnsq.make("new%d.reload.test." % (serial - 1), "A"))
                assert r.rcode() == dns.rcode.NXDOMAIN, r
        time.sleep(0.5)
    assert h.sent > 20, "the background client hardly ran (%d queries)" % h.sent
    assert not h.failures, "%d of %d queries failed during reloads:\n%s" % (
        len(h.failures), h.sent, "\n".join(h.failures[:10]))
    assert h.serials <= {1, 2, 3, 4}
    assert srv.alive()


def test_sighup_with_broken_file_keeps_serving_previous_version(make_server, tmp_path):
    zf = tmp_path / "reload.test.zone"
    write_zone(zf, "reload.test.", 10)
    other = tmp_path / "other.test.zone"
    write_zone(other, "other.test.", 5)
    srv = make_server("signpost", zones={"reload.test.": zf, "other.test.": other})
    with Hammer(srv, "www.reload.test.") as h:
        zf.write_text(zf.read_text() + "broken A 999.1.1.1\n")
        write_zone(other, "other.test.", 6)
        srv.signal(signal.SIGHUP)
        # the good zone reloads ...
        wait_for(lambda: soa_serial(srv, "other.test.") == 6, what="other.test. serial 6")
        # ... the broken one keeps its previous version, and the error names file and line
        wait_for(lambda: re.search(re.escape(str(zf)) + r":\d+", srv.stderr()) is not None,
                 what="an error naming %s:LINE" % zf)
        assert soa_serial(srv, "reload.test.") == 10
        # fixed: picked up by the next SIGHUP
        write_zone(zf, "reload.test.", 11)
        srv.signal(signal.SIGHUP)
        wait_for(lambda: soa_serial(srv, "reload.test.") == 11, what="serial 11")
    assert not h.failures, "\n".join(h.failures[:10])


def test_sighup_adds_zone_that_failed_at_start(make_server, tmp_path):
    good = tmp_path / "good.test.zone"
    write_zone(good, "good.test.", 1)
    late = tmp_path / "late.test.zone"
    late.write_text("this is not a zone file\n")
    srv = make_server("signpost", zones={"good.test.": good, "late.test.": late})
    assert srv.query(dnsq.make("late.test.", "SOA")).rcode() == dns.rcode.REFUSED
    write_zone(late, "late.test.", 3)
    srv.signal(signal.SIGHUP)
    wait_for(lambda: srv.query(dnsq.make("late.test.", "SOA")).rcode() == dns.rcode.NOERROR,
             what="late.test. served after SIGHUP")
    assert soa_serial(srv, "late.test.") == 3


# -- --config FILE ---------------------------------------------------------------------------

def test_config_file(make_server, tmp_path):
    zdir = tmp_path / "zones"
    zdir.mkdir()
    write_zone(zdir / "cfg.test.zone", "cfg.test.", 42)
    text = ("# signpost test configuration\n"
            "listen 127.0.0.1:{port}\n"
            "listen [::1]:{port}   # IPv6 too\n"
            "\n"
            "zone cfg.test zones/cfg.test.zone\n"
            "zone conform.test %s\n"
            "workers 2\n"
            "log-level debug\n" % servers.DEFAULT_ZONES["conform.test."])
    conf_dir = tmp_path
    srv = make_server("signpost", zones={"cfg.test.": None}, workdir=conf_dir,
                      args=["dns", "--config", "{conf}"], config_text=text)
    assert soa_serial(srv, "cfg.test.") == 42
    assert soa_serial(srv, "cfg.test.", tcp=True) == 42
    r = srv.query(dnsq.make("www", "A"), host=servers.V6)
    assert r.answer
    assert "debug" in srv.stderr().lower() or srv.stderr().strip()


def test_config_file_flags_override(make_server, tmp_path):
    write_zone(tmp_path / "a.test.zone", "a.test.", 1)
    write_zone(tmp_path / "a2.test.zone", "a.test.", 2)
    write_zone(tmp_path / "b.test.zone", "b.test.", 7)
    text = ("listen 127.0.0.1:1\n"  # replaced by the --listen flags
            "zone a.test a.test.zone\n"
            "zone b.test b.test.zone\n"
            "workers 1\n")
    srv = make_server("signpost", zones={"a.test.": None}, workdir=tmp_path,
                      config_text=text,
                      args=["dns", "--config", "{conf}", "--listen", "127.0.0.1:{port}",
                            "--listen", "[::1]:{port}",
                            "--zone", "a.test=%s" % (tmp_path / "a2.test.zone"), "--workers", "2"])
    assert soa_serial(srv, "a.test.") == 2  # the flag's zone file wins
    assert soa_serial(srv, "b.test.") == 7  # the file's other zone stays


@pytest.mark.parametrize("text,line", [
    ("listen 127.0.0.1:{port}\nzone a.test\n", 2),
    ("listen 127.0.0.1:{port}\nworkers lots\n", 2),
    ("listen 127.0.0.1:{port}\n\n# ok\nno-such-setting 1\n", 4),
    ("listen 999.0.0.1:{port}\n", 1),
])
def test_config_file_errors_name_the_line(tmp_path, text, line):
    conf = tmp_path / "bad.conf"
    conf.write_text(text.replace("{port}", str(servers.free_port())))
    out = run("dns", "--config", str(conf))
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "%s:%d" % (conf, line) in out.stderr, out.stderr


def test_config_reloaded_on_sighup(make_server, tmp_path):
    write_zone(tmp_path / "a.test.zone", "a.test.", 1)
    write_zone(tmp_path / "b.test.zone", "b.test.", 1)
    text = "listen 127.0.0.1:{port}\nlisten [::1]:{port}\nzone a.test a.test.zone\n"
    srv = make_server("signpost", zones={"a.test.": None}, workdir=tmp_path,
                      config_text=text, args=["dns", "--config", "{conf}"])
    assert srv.query(dnsq.make("b.test.", "SOA")).rcode() == dns.rcode.REFUSED
    srv.config_path.write_text((text + "zone b.test b.test.zone\n").replace("{port}", str(srv.port)))
    srv.signal(signal.SIGHUP)
    wait_for(lambda: srv.query(dnsq.make("b.test.", "SOA")).rcode() == dns.rcode.NOERROR,
             what="b.test. served after SIGHUP")


# -- shutdown ------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_under_load_exits_0(tmp_path, sig):
    srv = servers.Signpost()
    try:
        srv.start()
        with Hammer(srv, "www.conform.test.", timeout=2.0):
            time.sleep(0.5)
            srv.signal(sig)
            srv.proc.wait(timeout=servers.STOP_TIMEOUT)
        assert srv.proc.returncode == 0, srv.stderr()[-3000:]
        for m in servers.SANITIZER_MARKERS:
            assert m not in srv.stderr()
    finally:
        srv.stop()
        srv.cleanup()


def test_log_level_debug_logs_more(make_server):
    quiet = make_server("signpost", extra_args=["--log-level", "error"])
    loud = make_server("signpost", extra_args=["--log-level", "debug"])
    for s in (quiet, loud):
        s.query(dnsq.make("www", "A"))
    assert len(loud.stderr()) >= len(quiet.stderr())
    assert loud.stderr().strip(), "nothing logged at debug level"


# -- TCP limits --------------------------------------------------------------------------

def _closed_by_server(sock, timeout):
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except OSError:  # timeout
        return False


def test_tcp_idle_timeout_closes_connections(make_server):
    srv = make_server("signpost", extra_args=["--tcp-idle-timeout", "1"])
    silent = dnsq.tcp_connect(srv)
    used = dnsq.tcp_connect(srv)
    try:
        used.sendall(dnsq.frame(dnsq.make("www", "A", id=99).to_wire()))
        assert dnsq.tcp_read_msg(used, timeout=10)[:2] == b"\x00\x63"
        # generous bound: the point is that they are closed at all, not how fast
        assert _closed_by_server(silent, 60), "silent connection never closed"
        assert _closed_by_server(used, 60), "idle connection never closed"
    finally:
        silent.close()
        used.close()


def test_tcp_max_connections_new_clients_still_served(make_server):
    srv = make_server("signpost", extra_args=["--tcp-max-connections", "8"])
    held = []
    try:
        for _ in range(40):
            held.append(dnsq.tcp_connect(srv))
        for i in range(5):
            r = srv.query(dnsq.make("www", "A"), tcp=True, timeout=10)
            assert r.answer
            r = srv.query(dnsq.make("www", "A"), timeout=10)
            assert r.answer
    finally:
        for s in held:
            s.close()


# -- resources -----------------------------------------------------------------------------

def _open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_no_fd_leak_after_tcp_churn(make_server):
    """Open and drop hundreds of TCP connections in every way a client can; once they are
    gone, the server holds about as many descriptors as before."""
    srv = make_server("signpost", extra_args=["--tcp-idle-timeout", "1"])
    _ = srv.query(dnsq.make("www", "A"), tcp=True)
    base = _open_fds(srv.proc.pid)
    q = dnsq.frame(dnsq.make("www", "A").to_wire())
    for i in range(300):
        s = dnsq.tcp_connect(srv, host=servers.V4 if i % 2 else servers.V6)
        mode = i % 5
        try:
            if mode == 1:
                s.sendall(q[:5])  # partial query, then hang up
            elif mode == 2:
                s.sendall(q)  # query, hang up without reading
            elif mode == 3:
                s.sendall(q)
                dnsq.tcp_read_msg(s, timeout=10)
            elif mode == 4:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.sendall(q)  # then a reset
        finally:
            s.close()
    r = srv.query(dnsq.make("www", "A"), tcp=True)
    assert r.answer
    wait_for(lambda: _open_fds(srv.proc.pid) <= base + 4, timeout=60,
             what="descriptors back to about %d (now %d)" % (base, _open_fds(srv.proc.pid)))


def test_sighup_storm(make_server, tmp_path):
    zf = tmp_path / "storm.test.zone"
    write_zone(zf, "storm.test.", 1)
    srv = make_server("signpost", zones={"storm.test.": zf})
    with Hammer(srv, "www.storm.test.") as h:
        for serial in range(2, 32):
            write_zone(zf, "storm.test.", serial)
            srv.signal(signal.SIGHUP)
            time.sleep(0.02)
        wait_for(lambda: soa_serial(srv, "storm.test.") == 31, what="serial 31")
    assert srv.alive()
    assert not h.failures, "\n".join(h.failures[:10])


@pytest.mark.parametrize("workers", ["1", "3", "auto"])
def test_worker_counts(make_server, workers):
    srv = make_server("signpost", workers=workers)
    for tcp in (False, True):
        for host in (servers.V4, servers.V6):
            r = srv.query(dnsq.make("www", "A"), tcp=tcp, host=host)
            assert r.answer


def test_reload_answers_never_mix_versions(make_server, tmp_path):
    """Each version k has c CNAME tk and tk TXT "k" (and a negative SOA with serial k).
    A query answered from two versions at once would show a CNAME to tk with another
    version's data, or a dangling CNAME. Many reloads while four clients query."""
    zf = tmp_path / "mix.test.zone"

    def version(k):
        write_zone(zf, "mix.test.", k, extra="c CNAME t%d\nt%d TXT \"%d\"\n" % (k, k, k))

    version(1)
    srv = make_server("signpost", zones={"mix.test.": zf})
    stop = threading.Event()
    bad = []
    counts = []

    def client(tcp):
        n = 0
        while not stop.is_set():
            try:
                r = srv.query(dnsq.make("c.mix.test.", "TXT"), tcp=tcp, timeout=10)
            except Exception as e:
                bad.append("no answer: %r" % e)
                continue
            n += 1
            if r.rcode() != dns.rcode.NOERROR or len(r.answer) != 2:
                bad.append(str(r))
                continue
            target = r.answer[0][0].target.to_text()
            txt = r.answer[1][0].strings[0].decode()
            if target != "t%s.mix.test." % txt or r.answer[1].name.to_text() != target:
                bad.append("mixed versions: %s" % r)
        counts.append(n)

    threads = [threading.Thread(target=client, args=(i % 2 == 1,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for k in range(2, 22):
            version(k)
            srv.signal(signal.SIGHUP)
            wait_for(lambda: soa_serial(srv, "mix.test.") == k, what="serial %d" % k)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert sum(counts) > 50
    assert not bad, "%d bad answers, e.g.\n%s" % (len(bad), "\n".join(bad[:5]))
