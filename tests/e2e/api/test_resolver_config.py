"""`signpost resolver --config FILE` and `--pid-file PATH` (resolver spec 15.3): the settings
from the file alone, flags over the file, FILE:LINE errors with exit status 2, and the PID file
of a running resolver (written once bound, removed on SIGTERM, never taken from a live one).
The resolver walks the sandbox internet that a `signpost up` serves, as in test_resolver.py."""

import subprocess

import pytest

import r53util
import resolverutil
import sandboxutil
import servers
from resolverutil import traces

# Every setting from the file; relative paths are taken from the file's directory.
CONFIG = """\
# signpost resolver, settings from the file only
listen {addr}:{port}   # UDP and TCP
root-hints {hints}
upstream-port {upstream_port}
allow 127.0.0.0/8
control {ctl}
cache-size 16
trace yes
qname-minimisation no
allow-loopback-upstreams yes
log-level info
pid-file resolver.pid
"""


@pytest.fixture(scope="module")
def plan():
    return sandboxutil.Plan()


@pytest.fixture(scope="module")
def sbx(request, tmp_path_factory, _aws_env, plan):
    return resolverutil.launch_up(request, tmp_path_factory, plan, ["--no-resolver"])


@pytest.fixture(scope="module")
def domain(sbx):
    """A registered .com domain with app.DOMAIN A 192.0.2.8; returns its name."""
    name = r53util.uniq("rcf") + ".com"
    resolverutil.register(sbx.domains_client(), name)
    r53 = sbx.client()
    resolverutil.upsert(r53, resolverutil.zone_id(r53, name), "app." + name, "A", 300,
                        "192.0.2.8")
    return name


def _start(request, tmp_path_factory, sbx, plan, octet, config, extra=()):
    res = resolverutil.Resolver(tmp_path_factory.mktemp("resolver"), plan.addr(octet),
                                sbx.data / "root.hints", plan.port, extra=extra,
                                config=config)
    res.start()

    def fin():
        problems = res.stop_and_check()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    request.addfinalizer(fin)
    return res


def _pid_file(res):
    return res.dir / "resolver.pid"


def test_config_file_alone(request, tmp_path_factory, sbx, plan, domain):
    res = _start(request, tmp_path_factory, sbx, plan, 21, CONFIG)
    for tcp in (False, True):
        mark = res.mark()
        r = res.dig("app." + domain, tcp=tcp)
        assert r.status == "NOERROR" and "ra" in r.flags, r
        assert r.rdatas("A") == ["192.0.2.8"], r
        if not tcp:  # "trace yes", and the upstream port of the file
            sent = traces(mark.new())
            assert sent and all(p == plan.port for _, _, _, p, _ in sent), sent
    rc, out = res.control("stats")  # the file's control socket
    assert rc == 0 and "client_queries" in out, out
    # the PID file, relative to the file's directory: the pid and a newline
    assert _pid_file(res).read_text() == "%d\n" % res.proc.pid
    assert res.stop() == 0, res.log()[-3000:]
    assert not _pid_file(res).exists(), "the PID file outlived the resolver"
    assert not res.ctl.exists(), "the control socket outlived the resolver"


def test_flags_override_the_file(request, tmp_path_factory, sbx, plan, domain):
    # The file's listen address is not on this host and its access list leaves 127.0.0.1
    # out: the resolver answers 127.0.0.1 only if the flags replace both lists.
    config = CONFIG.replace("listen {addr}:{port}", "listen 192.0.2.1:53") \
        .replace("allow 127.0.0.0/8", "allow 127.0.0.2/32\nallow 10.0.0.0/8") \
        .replace("trace yes", "trace no") \
        .replace("pid-file resolver.pid", "pid-file does-not-exist/resolver.pid")
    flag_pid = "{ctl}.pid"
    res = _start(request, tmp_path_factory, sbx, plan, 22, config,
                 extra=["--listen", "{addr}:{port}", "--allow", "127.0.0.1/32", "--trace",
                        "--pid-file", flag_pid])
    assert "192.0.2.1" not in res.log(), res.log()
    mark = res.mark()
    r = resolverutil.dig(res.addr, res.port, "app." + domain, source="127.0.0.1")
    assert r.status == "NOERROR" and r.rdatas("A") == ["192.0.2.8"], r
    assert traces(mark.new()), "--trace did not override 'trace no'"
    r = resolverutil.dig(res.addr, res.port, "app." + domain, source="127.0.0.2")
    assert r.status == "REFUSED", "--allow should replace the file's list: %r" % r
    assert (res.dir / "resolver.ctl.pid").read_text() == "%d\n" % res.proc.pid


@pytest.mark.parametrize("line,message", [
    ("bogus 1", "unknown setting 'bogus'"),
    ("upstream-port 0", "upstream-port: 1 to 65535"),
    ("cache-size lots", "cache-size: megabytes"),
    ("trace maybe", "trace: expected yes or no"),
    ("listen", "expected: listen VALUE"),
    ("listen 127.0.0.1:53 127.0.0.2:53", "one value per line"),
    ("allow 10.0.0.0/33", "allow: "),
    ("log-level loud", "log-level: error, warning, info or debug"),
])
def test_bad_line_names_file_and_line(tmp_path, line, message):
    conf = tmp_path / "resolver.conf"
    conf.write_text("# a comment\n\nlisten 127.0.0.1:0\n%s\ncontrol %s\n" %
                    (line, tmp_path / "c"))
    p = subprocess.run([str(servers.signpost_bin()), "resolver", "--config", str(conf)],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "%s:4: " % conf in p.stderr and message in p.stderr, p.stderr
    assert not (tmp_path / "c").exists()


def test_missing_config_file(tmp_path):
    p = subprocess.run([str(servers.signpost_bin()), "resolver", "--config",
                        str(tmp_path / "nope.conf")],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and "nope.conf" in p.stderr, p.stderr


def test_live_pid_file_is_refused_and_stale_one_replaced(request, tmp_path_factory, sbx, plan,
                                                         tmp_path):
    first = _start(request, tmp_path_factory, sbx, plan, 23, CONFIG)
    pid_file = _pid_file(first)
    assert pid_file.read_text() == "%d\n" % first.proc.pid
    # a second resolver on other addresses with the same PID file
    conf = tmp_path / "second.conf"
    conf.write_text("listen 127.0.0.1:0\ncontrol %s\npid-file %s\n" %
                    (tmp_path / "second.ctl", pid_file))
    p = subprocess.run([str(servers.signpost_bin()), "resolver", "--config", str(conf)],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and "running" in p.stderr, p.stderr
    assert pid_file.read_text() == "%d\n" % first.proc.pid, "the refused one took the file"
    assert not (tmp_path / "second.ctl").exists()
    r = first.dig("app.invalid")  # the first still answers
    assert r.status in ("NXDOMAIN", "SERVFAIL", "NOERROR"), r
    assert first.stop() == 0

    # stale: the pid of a process that has exited
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file.write_text("%d\n" % dead.pid)
    first.stderr_path.unlink()
    first.start()
    assert pid_file.read_text() == "%d\n" % first.proc.pid
    assert "stale PID file" in first.log(), first.log()
    assert first.stop() == 0
    assert not pid_file.exists()
