"""Helpers for the Route 53 API end-to-end tests: the `signpost up` process, boto3 clients,
the real aws CLIs, dig, and small builders for record sets and change batches."""

import datetime
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
import uuid

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import pytest

import servers

ACCESS_KEY = "AKIDSIGNPOSTE2ETEST1"
SECRET_KEY = "s1gnp0st/E2E+secretKEY0123456789abcdefgh"
REGION = "us-east-1"
NS_URI = "https://route53.amazonaws.com/doc/2013-04-01/"

AWS_ENV_KEYS = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_REGION",
                "AWS_EC2_METADATA_DISABLED", "AWS_PAGER", "PAGER", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS")

START_TIMEOUT = servers.START_TIMEOUT
STOP_TIMEOUT = servers.STOP_TIMEOUT


def aws_env(d, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION):
    """Environment for boto3 / the aws CLI that never reads this machine's ~/.aws."""
    d = pathlib.Path(d)
    cfg = d / "config"
    creds = d / "credentials"
    if not cfg.exists():
        cfg.write_text("")
        creds.write_text("")
    return {
        "AWS_CONFIG_FILE": str(cfg),
        "AWS_SHARED_CREDENTIALS_FILE": str(creds),
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "PAGER": "",
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "1",
    }


# -- is the API there? ----------------------------------------------------------------------

_unavailable = []


def api_unavailable():
    """None when `signpost up` exists, else why not ("FAIL: ..." when that is an error)."""
    if _unavailable:
        return _unavailable[0]
    path = servers.signpost_bin()
    why = None
    if not path.exists():
        if os.environ.get("SIGNPOST_BIN"):
            why = "FAIL: SIGNPOST_BIN=%s does not exist" % path
        else:
            why = "build/signpost does not exist (run make, or set SIGNPOST_BIN)"
    else:
        try:
            p = subprocess.run([str(path), "up", "--help"], capture_output=True, text=True,
                               timeout=20, stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                why = ("the Route 53 API is not built yet: `%s up --help` exited %d: %s" %
                       (path, p.returncode, (p.stderr or p.stdout).strip()[:200]))
        except (OSError, subprocess.TimeoutExpired) as e:
            why = "`signpost up --help` failed: %s" % e
    _unavailable.append(why)
    return why


# -- the server -----------------------------------------------------------------------------

def _tcp_open(port, timeout=0.2):
    try:
        with socket.create_connection((servers.V4, port), timeout=timeout):
            return True
    except OSError:
        return False


class ApiServer:
    """`signpost up --data DIR --api 127.0.0.1:P --dns 127.0.0.1:Q --workers 2`."""

    def __init__(self, workdir, workers=2, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                 extra_args=(), sandbox=None, env_extra=None):
        """sandbox: None serves no sandbox internet (--no-sandbox); a sandboxutil.Plan serves
        it on the plan's addresses (a config file with its sandbox-* lines)."""
        self.dir = pathlib.Path(workdir)
        self.data = self.dir / "data"
        self.data.mkdir(exist_ok=True)
        self.workers = workers
        self.access_key = access_key
        self.secret_key = secret_key
        self.extra_args = list(extra_args)
        self.sandbox = sandbox
        self.env_extra = dict(env_extra or {})
        self.api_port = None
        self.dns_port = None
        self.proc = None
        self.stderr_path = self.dir / "stderr.log"
        self.stdout_path = self.dir / "stdout.log"
        self._files = []
        self.starts = 0

    @property
    def url(self):
        return "http://%s:%d" % (servers.V4, self.api_port)

    @property
    def host(self):
        return "%s:%d" % (servers.V4, self.api_port)

    def command(self):
        return [str(servers.signpost_bin()), "up", "--data", str(self.data),
                "--api", "%s:%d" % (servers.V4, self.api_port),
                "--dns", "%s:%d" % (servers.V4, self.dns_port),
                "--workers", str(self.workers)] + self._sandbox_args() + self.extra_args

    def _sandbox_args(self):
        if self.sandbox is None:
            return ["--no-sandbox"]
        conf = self.dir / "sandbox.conf"
        conf.write_text(self.sandbox.config_text())
        return ["--config", str(conf)]

    def env(self):
        env = dict(os.environ)
        env.update(self.env_extra)
        env["SIGNPOST_ACCESS_KEY_ID"] = self.access_key
        env["SIGNPOST_SECRET_ACCESS_KEY"] = self.secret_key
        return env

    def spawn(self, keep_ports=False):
        """Starts the process without waiting (same ports when keep_ports)."""
        if not keep_ports or self.api_port is None:
            self.api_port = servers.free_port()
            self.dns_port = servers.free_port()
            while self.dns_port == self.api_port:
                self.dns_port = servers.free_port()
        err = open(self.stderr_path, "ab")
        out = open(self.stdout_path, "ab")
        self._files = [err, out]
        self.starts += 1
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=err, cwd=str(self.dir), env=self.env())
        return self

    def wait_api(self, timeout=START_TIMEOUT):
        """Waits until the API answers a signed GetHostedZoneCount with 200."""
        deadline = time.monotonic() + timeout
        c = self.client(timeout=2)
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("signpost up exited with status %s" % self.proc.returncode)
            if _tcp_open(self.api_port):
                try:
                    c.get_hosted_zone_count()
                    return
                except Exception as e:  # noqa: BLE001 - not ready yet
                    last = e
            time.sleep(0.05)
        raise RuntimeError("API not answering after %ss: %r" % (timeout, last))

    def start(self, keep_ports=False):
        last = None
        for _ in range(4):
            self.spawn(keep_ports=keep_ports)
            try:
                self.wait_api()
                return self
            except RuntimeError as e:
                last = e
                self._kill()
                if "in use" not in self.stderr() or keep_ports:
                    break
        raise RuntimeError("signpost up did not start: %s\n--- stderr ---\n%s" %
                           (last, self.stderr()[-4000:]))

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in self._files:
            f.close()
        self._files = []

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM and wait; returns the exit status (a string if it hung and was killed)."""
        if self.proc is None:
            return None
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "hung on SIGTERM (killed)"
        if rc is None:
            rc = self.proc.returncode
        for f in self._files:
            f.close()
        self._files = []
        self.proc = None
        return rc

    def stop_and_check(self):
        rc = self.stop()
        problems = []
        if rc not in (0, None):
            problems.append("signpost up exited with %r on SIGTERM" % (rc,))
        err = self.stderr()
        for m in servers.SANITIZER_MARKERS:
            if m in err:
                problems.append("signpost stderr contains %r" % m)
        if problems:
            problems.append("--- stderr (tail) ---\n" + err[-6000:])
        return problems

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- clients --------------------------------------------------------------------------
    def client(self, access_key=None, secret_key=None, region=REGION, timeout=30):
        cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                     connect_timeout=5, read_timeout=timeout)
        s = boto3.session.Session(aws_access_key_id=access_key or self.access_key,
                                  aws_secret_access_key=secret_key or self.secret_key,
                                  region_name=region)
        return s.client("route53", endpoint_url=self.url, config=cfg)

    def domains_client(self, access_key=None, secret_key=None, region=REGION, timeout=30):
        """boto3's route53domains client (JSON 1.1), on the same endpoint as Route 53."""
        cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                     connect_timeout=5, read_timeout=timeout)
        s = boto3.session.Session(aws_access_key_id=access_key or self.access_key,
                                  aws_secret_access_key=secret_key or self.secret_key,
                                  region_name=region)
        return s.client("route53domains", endpoint_url=self.url, config=cfg)

    def stdout(self):
        try:
            return self.stdout_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def dig(self, name, rdtype="A", tcp=False):
        return dig(self.dns_port, name, rdtype, tcp=tcp)


def launch(request, tmp_path_factory, cls=None, **kw):
    """Starts a `signpost up` (an ApiServer, or cls) for a test or module, stopped at its end
    with SIGTERM (exit status 0 and no sanitizer report required). Skips while the API is not
    built."""
    why = api_unavailable()
    if why is not None:
        (pytest.fail if why.startswith("FAIL") else pytest.skip)(why)
    srv = (cls or ApiServer)(tmp_path_factory.mktemp("signpost-up"), **kw)

    def fin():
        problems = srv.stop_and_check()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    srv.start()
    request.addfinalizer(fin)
    return srv


# -- dig ------------------------------------------------------------------------------------

class DigResult:
    def __init__(self, text):
        self.text = text
        m = re.search(r"status: ([A-Z]+)", text)
        self.status = m.group(1) if m else None
        m = re.search(r";; flags: ([a-z ]*);", text)
        self.flags = set(m.group(1).split()) if m else set()
        self.answer = self._section("ANSWER")
        self.authority = self._section("AUTHORITY")
        self.additional = self._section("ADDITIONAL")

    def _section(self, name):
        rrs = []
        on = False
        for line in self.text.splitlines():
            if line.startswith(";; %s SECTION:" % name):
                on = True
                continue
            if on:
                if not line.strip() or line.startswith(";"):
                    break
                owner, ttl, _cls, typ, rdata = line.split(None, 4)
                rrs.append((owner, int(ttl), typ, rdata.strip()))
        return rrs

    def rdatas(self, rdtype=None, owner=None):
        return sorted(r[3] for r in self.answer
                      if (rdtype is None or r[2] == rdtype) and
                      (owner is None or r[0].lower() == owner.lower()))

    def __repr__(self):
        return "<dig %s\n%s>" % (self.status, self.text)


def dig(port, name, rdtype="A", tcp=False):
    return dig_at(servers.V4, port, name, rdtype, tcp=tcp)


def dig_at(server, port, name, rdtype="A", tcp=False, recurse=False):
    """dig at an explicit server and port (+norec unless recurse)."""
    cmd = ["dig", "@%s" % server, "-p", str(port), "+rec" if recurse else "+norec",
           "+time=3", "+tries=2", "+nocmd", "+nostats", name, rdtype]
    if tcp:
        cmd.insert(4, "+tcp")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "dig failed (%d): %s %s" % (p.returncode, p.stdout, p.stderr)
    return DigResult(p.stdout)


# -- the aws CLIs ---------------------------------------------------------------------------

_cli_cache = {}

CLI_CANDIDATES = {
    "v1": ["/root/.pyenv/versions/3.11.7/bin/aws", "/root/.pyenv/shims/aws"],
    "v2": ["/usr/bin/aws"],
}


def aws_cli(version):
    """Path of the aws CLI of that major version, or None."""
    if version in _cli_cache:
        return _cli_cache[version]
    found = None
    for exe in CLI_CANDIDATES[version]:
        if not os.access(exe, os.X_OK):
            continue
        try:
            p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL, env=_clean_env())
        except (OSError, subprocess.TimeoutExpired):
            continue
        if (p.stdout + p.stderr).startswith("aws-cli/%s." % version[1]):
            found = exe
            break
    _cli_cache[version] = found
    return found


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


class CliResult:
    def __init__(self, p):
        self.rc = p.returncode
        self.stdout = p.stdout
        self.stderr = p.stderr

    @property
    def json(self):
        assert self.rc == 0, "aws exited %d: %s" % (self.rc, self.stderr)
        return json.loads(self.stdout) if self.stdout.strip() else {}

    def __repr__(self):
        return "<aws rc=%d stdout=%r stderr=%r>" % (self.rc, self.stdout[-2000:],
                                                    self.stderr[-2000:])


class Cli:
    """The real `aws route53 ...` against the server, output parsed with --output json."""

    def __init__(self, exe, version, api, tmpdir, access_key=None, secret_key=None):
        self.exe = exe
        self.version = version
        self.api = api
        self.tmp = pathlib.Path(tmpdir)
        self.access_key = access_key or api.access_key
        self.secret_key = secret_key or api.secret_key

    def env(self):
        env = _clean_env()
        env["HOME"] = str(self.tmp)
        env.update(aws_env(self.tmp, self.access_key, self.secret_key))
        return env

    def run(self, *args, timeout=300):
        cmd = [self.exe, "route53"] + [str(a) for a in args] + [
            "--endpoint-url", self.api.url, "--output", "json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, env=self.env(), cwd=str(self.tmp))
        return CliResult(p)

    def json(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.rc == 0, "aws route53 %s -> %r" % (" ".join(map(str, args)), r)
        return r.json

    def batch_arg(self, changes, comment=None):
        b = {"Changes": [{"Action": a, "ResourceRecordSet": rs} for a, rs in changes]}
        if comment:
            b["Comment"] = comment
        return json.dumps(b)


# -- Route 53 data --------------------------------------------------------------------------

def uniq(prefix="z"):
    return "%s%s" % (prefix, uuid.uuid4().hex[:12])


def bare(zid):
    return zid.rsplit("/", 1)[-1]


def new_zone(r53, name=None, **kw):
    name = name or "%s.example.com." % uniq("t")
    resp = r53.create_hosted_zone(Name=name, CallerReference=uniq("ref-"), **kw)
    hz = resp["HostedZone"]
    return {"id": bare(hz["Id"]), "name": hz["Name"], "resp": resp}


def rrset(name, rdtype, ttl, *values, **extra):
    rs = {"Name": name, "Type": rdtype}
    if ttl is not None:
        rs["TTL"] = ttl
    if values:
        rs["ResourceRecords"] = [{"Value": v} for v in values]
    rs.update(extra)
    return rs


def alias(name, rdtype, target_zone_id, target_name, evaluate=False):
    return {"Name": name, "Type": rdtype,
            "AliasTarget": {"HostedZoneId": target_zone_id, "DNSName": target_name,
                            "EvaluateTargetHealth": evaluate}}


def change(r53, zone_id, *changes, comment=None):
    batch = {"Changes": [{"Action": a, "ResourceRecordSet": rs} for a, rs in changes]}
    if comment is not None:
        batch["Comment"] = comment
    return r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)


def expect_error(fn, code, status=None, **kw):
    """Calls fn(**kw), which must raise ClientError with that code; returns the error dict."""
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        fn(**kw)
    err = ei.value.response["Error"]
    meta = ei.value.response["ResponseMetadata"]
    assert err.get("Code") == code, "expected %s, got %r (HTTP %s)" % (
        code, err, meta.get("HTTPStatusCode"))
    if status is not None:
        assert meta["HTTPStatusCode"] == status, "%s: HTTP %s, expected %s" % (
            code, meta["HTTPStatusCode"], status)
    return err


def batch_error(r53, zone_id, *changes):
    """A change batch that must fail with InvalidChangeBatch (400); returns its Message."""
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone_id, *changes)
    err = ei.value.response["Error"]
    status = ei.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert err.get("Code") == "InvalidChangeBatch" and status == 400, (
        "expected InvalidChangeBatch/400, got %r HTTP %s" % (err, status))
    return err["Message"]


def assert_messages(message, expected):
    """message must be exactly "[m1, m2, ...]" with the expected messages in some order."""
    assert message.startswith("[") and message.endswith("]"), message
    for m in expected:
        assert m in message, "missing %r in %r" % (m, message)
    assert len(message) == sum(map(len, expected)) + 2 * (len(expected) - 1) + 2, (
        "extra text in %r (expected exactly %r)" % (message, expected))


def list_rrsets(r53, zone_id):
    out = []
    for page in r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        out.extend(page["ResourceRecordSets"])
    return out


def find(rrsets, name, rdtype):
    for rs in rrsets:
        if rs["Name"] == name and rs["Type"] == rdtype:
            return rs
    return None


def values(rs):
    return sorted(r["Value"] for r in rs.get("ResourceRecords", []))


def sort_key(name):
    """Route 53's list order key: labels reversed, trailing dot kept (route53-api.md 2.3)."""
    labels = name.rstrip(".").split(".")
    return ".".join(reversed(labels)) + "."


def rrset_key(rs):
    return (sort_key(rs["Name"]), rs["Type"], rs.get("SetIdentifier", ""))


def wait_insync(r53, change_id, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        st = r53.get_change(Id=change_id)["ChangeInfo"]["Status"]
        if st == "INSYNC" or time.monotonic() > deadline:
            return st
        time.sleep(0.01)


# -- hand-signed requests -------------------------------------------------------------------

class _FixedClock:
    """Stands in for botocore.auth's `datetime` module to sign at a chosen time."""

    def __init__(self, when):
        fixed = when

        class _DT(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return fixed

            @classmethod
            def now(cls, tz=None):
                return fixed if tz is None else fixed.replace(tzinfo=tz)

        self.datetime = _DT
        self.timezone = datetime.timezone
        self.timedelta = datetime.timedelta


def sign(api, method, path, body=b"", query="", access_key=None, secret_key=None,
         region=REGION, when=None, headers=None):
    """A botocore-signed request: (method, target, headers dict, body bytes)."""
    url = api.url + path + ("?" + query if query else "")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers=dict(headers or {}))
    creds = botocore.credentials.Credentials(access_key or api.access_key,
                                             secret_key or api.secret_key)
    auth = botocore.auth.SigV4Auth(creds, "route53", region)
    if when is not None:
        saved = botocore.auth.datetime
        botocore.auth.datetime = _FixedClock(when)
        try:
            auth.add_auth(req)
        finally:
            botocore.auth.datetime = saved
    else:
        auth.add_auth(req)
    prepared = req.prepare()
    target = path + ("?" + query if query else "")
    hdrs = {k: v for k, v in prepared.headers.items()}
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return method, target, hdrs, body


def send(api, method, target, headers, body=b"", timeout=30):
    """Sends exactly these bytes' worth of request with http.client; (status, headers, body)."""
    conn = http.client.HTTPConnection(servers.V4, api.api_port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        have_len = False
        for k, v in headers.items():
            conn.putheader(k, v)
            if k.lower() == "content-length":
                have_len = True
        if "host" not in {k.lower() for k in headers}:
            conn.putheader("Host", api.host)
        if body and not have_len:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        r = conn.getresponse()
        data = r.read()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
    finally:
        conn.close()


def error_code(body):
    """(Code, Message, Type) from an ErrorResponse body (namespaced or not)."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)

    def txt(tag):
        for el in root.iter():
            if el.tag.split("}")[-1] == tag:
                return el.text
        return None

    return txt("Code"), txt("Message"), txt("Type")


def xml_body(op, inner):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sRequest xmlns="%s">%s</%sRequest>' %
            (op, NS_URI, inner, op)).encode()
