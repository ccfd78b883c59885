"""Helpers for the resolver's end-to-end tests: `signpost resolver` as a process, dig through
it (from a chosen source address), its trace lines, and domain registration."""

import json
import pathlib
import re
import signal
import subprocess
import time

import r53util
import sandboxutil
import servers

TRACE = re.compile(r"trace: query (\S+) (\S+) -> (\S+):(\d+) (udp|tcp)")


def dig(server, port, name, rdtype="A", tcp=False, source=None, recurse=True):
    cmd = ["dig", "@%s" % server, "-p", str(port), "+rec" if recurse else "+norec",
           "+time=4", "+tries=1", "+nocmd", "+nostats", name, rdtype]
    if tcp:
        cmd.insert(4, "+tcp")
    if source:
        cmd.insert(4, "-b")
        cmd.insert(5, source)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "dig failed (%d): %s %s" % (p.returncode, p.stdout, p.stderr)
    return r53util.DigResult(p.stdout)


def traces(text):
    """[(qname, qtype, server address, port, transport)] of the trace lines in text."""
    return [(m.group(1).lower(), m.group(2), m.group(3), int(m.group(4)), m.group(5))
            for m in TRACE.finditer(text)]


class LogMark:
    """Reads what a log file gained since the mark."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.pos = self.path.stat().st_size if self.path.exists() else 0

    def new(self, settle=0.2):
        time.sleep(settle)  # the trace line is written before the answer; stderr is unbuffered
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            return f.read().decode(errors="replace")


class Resolver:
    """`signpost resolver` on addr:port with the given root hints. With `config` (a template
    of the --config file, str.format()ted with addr, port, hints, upstream_port and ctl),
    every setting comes from that file (self.conf) and the flags are only `extra` (formatted
    the same way)."""

    def __init__(self, workdir, addr, hints, upstream_port, allow=(), extra=(), config=None):
        self.dir = pathlib.Path(workdir)
        self.addr = addr
        self.hints = hints
        self.upstream_port = upstream_port
        self.allow = list(allow)
        self.extra = list(extra)
        self.config = config
        self.conf = self.dir / "resolver.conf"
        self.port = None
        self.proc = None
        self.ctl = self.dir / "resolver.ctl"
        self.stderr_path = self.dir / "resolver.log"

    def _command(self):
        if self.config is not None:
            fields = dict(addr=self.addr, port=self.port, hints=self.hints,
                          upstream_port=self.upstream_port, ctl=self.ctl)
            self.conf.write_text(self.config.format(**fields))
            return [str(servers.signpost_bin()), "resolver", "--config", str(self.conf)] + \
                [a.format(**fields) for a in self.extra]
        cmd = [str(servers.signpost_bin()), "resolver", "--listen",
               "%s:%d" % (self.addr, self.port), "--root-hints", str(self.hints),
               "--upstream-port", str(self.upstream_port), "--control", str(self.ctl),
               "--trace"] + self.extra
        for a in self.allow:
            cmd += ["--allow", a]
        return cmd

    def start(self):
        for _ in range(5):
            self.port = servers.free_port()
            cmd = self._command()
            self._err = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._err,
                                         stderr=self._err)
            deadline = time.monotonic() + servers.START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if "answering on" in self.log():
                    return self
                time.sleep(0.05)
            self.stop()
            if "in use" not in self.log():
                break
        raise RuntimeError("signpost resolver did not start:\n" + self.log()[-3000:])

    def log(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def mark(self):
        return LogMark(self.stderr_path)

    def dig(self, name, rdtype="A", **kw):
        return dig(self.addr, self.port, name, rdtype, **kw)

    def control(self, *args):
        p = subprocess.run([str(servers.signpost_bin()), "resolver-control", "--control",
                            str(self.ctl)] + list(args), capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout

    def stop(self):
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=servers.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "hung on SIGTERM"
        if rc is None and self.proc is not None:
            rc = self.proc.returncode
        self._err.close()
        return rc

    def stop_and_check(self):
        rc = self.stop()
        problems = []
        if rc != 0:
            problems.append("signpost resolver exited with %r on SIGTERM" % (rc,))
        for m in servers.SANITIZER_MARKERS:
            if m in self.log():
                problems.append("resolver stderr contains %r" % m)
        if problems:
            problems.append("--- stderr (tail) ---\n" + self.log()[-6000:])
        return problems


def register(dom, name):
    """RegisterDomain (boto3) and wait until SUCCESSFUL."""
    sandboxutil.register(dom, name)


def zone_id(r53, name):
    name = name.rstrip(".") + "."
    zs = [z["Id"] for z in r53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
          if z["Name"] == name]
    assert len(zs) == 1, zs
    return r53util.bare(zs[0])


def upsert(r53, zid, name, rdtype, ttl, *values):
    r53util.change(r53, zid, ("UPSERT", r53util.rrset(name, rdtype, ttl, *values)))


def contact_json():
    return json.dumps(sandboxutil.contact())


def launch_up(request, tmp_path_factory, plan, extra_args, env_extra=None):
    """`signpost up` serving the sandbox internet on `plan`, stopped (and checked) at the end
    of the fixture's scope; skipped while the API is not built."""
    return r53util.launch(request, tmp_path_factory, sandbox=plan, extra_args=extra_args,
                          env_extra=env_extra)
