"""Fixtures for signpost's end-to-end tests.

- `server`: one running server per kind ("signpost", "nsd", "knot") per test module, serving
  the conformance zones (tests/e2e/zones/) on a free port, UDP+TCP, 127.0.0.1 and ::1.
  Tests that use it run once per kind. NSD and Knot DNS are the reference: every test must
  pass against them too, apart from the differences listed in docs/differences.md.
- `signpost_server`, `nsd_server`, `knot_server`: the same, one kind each.
- `make_server(kind, zones=..., extra_args=...)`: a fresh server for one test.
Every server is stopped with SIGTERM when its scope ends; a non-zero exit status or a
sanitizer report on stderr fails the test.

The signpost binary is $SIGNPOST_BIN (default build/signpost). When SIGNPOST_BIN is set and
the file is missing, the signpost tests fail; when it is unset and build/signpost is missing,
they are skipped (so the suite can be run against the peers alone).
"""

import os
import shutil

import pytest

import servers

ALL_KINDS = ("signpost", "nsd", "knot")
PEER_KINDS = ("nsd", "knot")


def _available(kind):
    """None when `kind` can run here, else the reason it cannot."""
    if kind == "signpost":
        path = servers.signpost_bin()
        if path.exists():
            return None
        if os.environ.get("SIGNPOST_BIN"):
            return "FAIL: SIGNPOST_BIN=%s does not exist" % path
        return "build/signpost does not exist (run make, or set SIGNPOST_BIN)"
    exe = {"nsd": "/usr/sbin/nsd", "knot": "/usr/sbin/knotd"}[kind]
    if not os.access(exe, os.X_OK) and not shutil.which(os.path.basename(exe)):
        return "%s is not installed" % exe
    return None


def require(kind):
    why = _available(kind)
    if why is None:
        return
    if why.startswith("FAIL"):
        pytest.fail(why)
    pytest.skip(why)


def _start(request, kind, **kw):
    require(kind)
    srv = servers.KINDS[kind](**kw)

    def fin():
        problems = srv.stop_and_check()
        srv.cleanup()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    try:
        srv.start()
    except Exception:
        srv.cleanup()
        raise
    request.addfinalizer(fin)
    return srv


@pytest.fixture(scope="module", params=ALL_KINDS)
def server(request):
    """A server of each kind serving the conformance zones (tests run once per kind)."""
    return _start(request, request.param)


@pytest.fixture(scope="module", params=PEER_KINDS)
def peer_server(request):
    return _start(request, request.param)


@pytest.fixture(scope="module")
def signpost_server(request):
    return _start(request, "signpost")


@pytest.fixture(scope="module")
def nsd_server(request):
    return _start(request, "nsd")


@pytest.fixture(scope="module")
def knot_server(request):
    return _start(request, "knot")


@pytest.fixture
def make_server(request):
    """make_server(kind, zones=None, **kw) -> a started server, stopped after the test."""

    def make(kind, **kw):
        return _start(request, kind, **kw)

    return make
