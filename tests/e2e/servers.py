"""Start and stop the DNS servers the end-to-end tests talk to: signpost, NSD and Knot DNS.

Every server listens on UDP and TCP on 127.0.0.1 and ::1 on one free port, is started by a
fixture and stopped by it (SIGTERM; exit status 0 required; sanitizer reports in stderr fail
the test). Nothing here ever talks to a non-loopback address.
"""

import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
ZONES_DIR = HERE / "zones"

# The zone set every server serves unless a test says otherwise.
DEFAULT_ZONES = {
    "conform.test.": ZONES_DIR / "conform.test.zone",
    "inner.conform.test.": ZONES_DIR / "inner.conform.test.zone",
}

V4 = "127.0.0.1"
V6 = "::1"

# Generous: an ASan+UBSan build starts and answers far slower than a release build.
START_TIMEOUT = float(os.environ.get("E2E_START_TIMEOUT", "60"))
STOP_TIMEOUT = float(os.environ.get("E2E_STOP_TIMEOUT", "60"))

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                     "WARNING: ThreadSanitizer", "SUMMARY: UndefinedBehaviorSanitizer")


def signpost_bin():
    """The signpost binary under test, or None when it does not exist (yet)."""
    path = os.environ.get("SIGNPOST_BIN")
    if path:
        return pathlib.Path(path)
    default = REPO / "build" / "signpost"
    return default


def _port_free(port):
    socks = []
    try:
        for fam, addr in ((socket.AF_INET, V4), (socket.AF_INET6, V6)):
            for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(fam, typ)
                socks.append(s)
                if typ == socket.SOCK_STREAM:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port():
    """A port free for UDP and TCP on both 127.0.0.1 and ::1."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind((V6, 0))
        port = s.getsockname()[1]
        s.close()
        if _port_free(port):
            return port
    raise RuntimeError("no free port on loopback")


class Server:
    """One running DNS server process."""

    kind = "?"

    def __init__(self, zones=None, workdir=None):
        self.zones = dict(DEFAULT_ZONES if zones is None else zones)
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="e2e-%s-" % self.kind)
            workdir = self._tmp.name
        self.dir = pathlib.Path(workdir)
        self.port = None
        self.proc = None
        self.stderr_path = self.dir / "stderr.log"
        self.stopped_rc = None

    # -- to override ----------------------------------------------------------------------
    def command(self):
        raise NotImplementedError

    def prepare(self):
        pass

    # -- life cycle -----------------------------------------------------------------------
    def start(self, wait=True, expect_ready=True):
        last = None
        for _attempt in range(5):
            self.port = free_port()
            self.prepare()
            self._stderr = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=self._stderr, stderr=self._stderr,
                                         cwd=str(self.dir))
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except RuntimeError as e:  # lost a port race, or a real failure
                last = e
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                self._stderr.close()
                if "in use" not in self.stderr() and "in use" not in str(e):
                    break
        raise RuntimeError("%s did not start: %s\n--- stderr ---\n%s" %
                           (self.kind, last, self.stderr()[-4000:]))

    def wait_ready(self, timeout=START_TIMEOUT):
        """Waits until the server answers a SOA query over UDP and TCP on both families."""
        deadline = time.monotonic() + timeout
        origin = next(iter(self.zones))
        pending = [(V4, False), (V4, True), (V6, False), (V6, True)]
        refused_since = None
        while pending:
            if self.proc.poll() is not None:
                raise RuntimeError("exited with status %s" % self.proc.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("not answering after %ss on %s" % (timeout, pending))
            host, tcp = pending[0]
            q = dns.message.make_query(origin, "SOA")
            try:
                r = self.query(q, tcp=tcp, host=host, timeout=1.0)
            except (OSError, EOFError, dns.exception.DNSException):
                time.sleep(0.1)
                continue
            if r.rcode() == dns.rcode.NOERROR and r.answer:
                pending.pop(0)
            elif r.rcode() == dns.rcode.REFUSED and time.monotonic() - (
                    refused_since or time.monotonic()) > 15:
                raise RuntimeError("answering, but REFUSED for %s for 15 s: zone not loaded" % origin)
            else:
                if r.rcode() == dns.rcode.REFUSED and refused_since is None:
                    refused_since = time.monotonic()
                # Up but not serving the zone (yet): Knot loads zones in the background.
                time.sleep(0.1)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM, wait, return (exit status, stderr text)."""
        if self.proc is None:
            return None, ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.stopped_rc = "hung on SIGTERM (killed)"
                self._stderr.close()
                return self.stopped_rc, self.stderr()
        self.stopped_rc = self.proc.returncode
        self._stderr.close()
        return self.stopped_rc, self.stderr()

    def stop_and_check(self):
        """Stops the server and returns a list of problems (empty when it shut down cleanly)."""
        rc, err = self.stop()
        problems = []
        if rc != 0:
            problems.append("%s exited with %r on SIGTERM" % (self.kind, rc))
        for m in SANITIZER_MARKERS:
            if m in err:
                problems.append("%s stderr contains %r" % (self.kind, m))
        if problems:
            problems.append("--- stderr (tail) ---\n" + err[-6000:])
        return problems

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- talking to it --------------------------------------------------------------------
    def addr(self, host=V4):
        return (host, self.port)

    def query(self, q, tcp=False, host=V4, timeout=5.0, **kw):
        import dns.query
        if tcp:
            return dns.query.tcp(q, host, port=self.port, timeout=timeout, **kw)
        return dns.query.udp(q, host, port=self.port, timeout=timeout, ignore_trailing=False,
                             raise_on_truncation=False, **kw)

    def __repr__(self):
        return "<%s port=%s>" % (self.kind, self.port)


class Signpost(Server):
    kind = "signpost"

    def __init__(self, zones=None, workdir=None, extra_args=(), workers=2, binary=None,
                 args=None, config_text=None):
        """args: the whole argument list after the binary, replacing the default one;
        "{port}" in it is replaced with the chosen port. `zones` then only tells
        wait_ready() which zone to ask for."""
        super().__init__(zones, workdir)
        self.extra_args = list(extra_args)
        self.workers = workers
        self.binary = pathlib.Path(binary) if binary else signpost_bin()
        self.args = args
        self.config_text = config_text
        self.config_path = self.dir / "signpost.conf"

    def prepare(self):
        if self.config_text is not None:
            self.config_path.write_text(self.config_text.replace("{port}", str(self.port)))

    def command(self):
        if self.args is not None:
            return [str(self.binary)] + [
                a.replace("{port}", str(self.port)).replace("{conf}", str(self.config_path))
                for a in self.args]
        cmd = [str(self.binary), "dns",
               "--listen", "%s:%d" % (V4, self.port),
               "--listen", "[%s]:%d" % (V6, self.port),
               "--workers", str(self.workers)]
        for origin, path in self.zones.items():
            cmd += ["--zone", "%s=%s" % (origin.rstrip(".") or ".", path)]
        return cmd + self.extra_args


class NSD(Server):
    kind = "nsd"

    def prepare(self):
        d = self.dir
        lines = [
            "server:",
            "  ip-address: %s@%d" % (V4, self.port),
            "  ip-address: %s@%d" % (V6, self.port),
            "  port: %d" % self.port,
            "  do-ip4: yes",
            "  do-ip6: yes",
            "  server-count: 1",
            "  zonesdir: \"%s\"" % d,
            "  pidfile: \"%s/nsd.pid\"" % d,
            "  username: \"\"",
            "  chroot: \"\"",
            "  xfrdfile: \"%s/xfrd.state\"" % d,
            "  xfrdir: \"%s\"" % d,
            "  zonelistfile: \"%s/zone.list\"" % d,
            "  database: \"\"",
            "  rrl-ratelimit: 0",
            "  verbosity: 1",
            "  hide-version: yes",
            "remote-control:",
            "  control-enable: no",
        ]
        for origin, path in self.zones.items():
            lines += ["zone:", "  name: \"%s\"" % origin, "  zonefile: \"%s\"" % path]
        (d / "nsd.conf").write_text("\n".join(lines) + "\n")

    def command(self):
        return ["/usr/sbin/nsd", "-d", "-c", str(self.dir / "nsd.conf")]


class Knot(Server):
    kind = "knot"

    def prepare(self):
        d = self.dir
        (d / "storage").mkdir(exist_ok=True)
        lines = [
            "server:",
            "  rundir: \"%s\"" % d,
            "  listen: [ %s@%d, %s@%d ]" % (V4, self.port, V6, self.port),
            "  udp-workers: 1",
            "  tcp-workers: 1",
            "  background-workers: 1",
            "log:",
            "  - target: stderr",
            "    any: info",
            "database:",
            "  storage: \"%s/storage\"" % d,
            "template:",
            "  - id: default",
            "    storage: \"%s/storage\"" % d,
            "    zonefile-sync: -1",
            "    journal-content: none",
            "    zonefile-load: whole",
            "zone:",
        ]
        for origin, path in self.zones.items():
            lines += ["  - domain: \"%s\"" % origin, "    file: \"%s\"" % path]
        (d / "knot.conf").write_text("\n".join(lines) + "\n")

    def command(self):
        return ["/usr/sbin/knotd", "-c", str(self.dir / "knot.conf")]


KINDS = {"signpost": Signpost, "nsd": NSD, "knot": Knot}
