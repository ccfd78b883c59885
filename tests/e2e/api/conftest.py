"""Fixtures for the Route 53 API end-to-end tests (issue 3).

- `api`: one `signpost up` per test module (API + DNS on one store in a temporary --data
  directory, fixed credentials through SIGNPOST_ACCESS_KEY_ID / SIGNPOST_SECRET_ACCESS_KEY),
  stopped with SIGTERM at the end of the module (exit status 0 required, no sanitizer report).
- `r53`: a boto3 Route 53 client pointed at it (no retries, so every error is seen as sent).
- `zone`: a fresh public hosted zone with a unique name, for one test.
- `cli`: the real `aws` CLI, once as v1 (pip, pyenv) and once as v2 (Debian); absent ones skip.
- `make_api`: a fresh server for one test (restart tests).
- `sandbox_plan`, `sandbox_api`: a server that also serves the sandbox internet (root, TLD and
  hosted name servers) on a random 127.X.Y.0/24 block, with the registry's test hooks on.

The tests skip, with the reason, only while `signpost up --help` fails (the API not built
yet); once it succeeds every test runs. Nothing here talks to a non-loopback address.

Note: pytest imports every conftest.py as the module `conftest`, and the older tests in
tests/e2e do `from conftest import require` — so this file re-exports the names they use.
"""

import importlib.util
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
E2E = HERE.parent
for p in (str(E2E), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

# Re-export what tests/e2e/test_*.py import from "conftest" (see the module docstring).
_spec = importlib.util.spec_from_file_location("_signpost_e2e_parent_conftest",
                                               E2E / "conftest.py")
_parent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_parent)
require = _parent.require
_start = _parent._start
_available = _parent._available
ALL_KINDS = _parent.ALL_KINDS
PEER_KINDS = _parent.PEER_KINDS

import r53util  # noqa: E402
import sandboxutil  # noqa: E402


@pytest.fixture(scope="session")
def _aws_env(tmp_path_factory):
    """Keeps this machine's ~/.aws out of boto3 (the runner process) for the whole session."""
    d = tmp_path_factory.mktemp("awsenv")
    saved = {k: os.environ.get(k) for k in r53util.AWS_ENV_KEYS}
    os.environ.update(r53util.aws_env(d))
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
              "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(k, None)
    yield d
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _launch(request, tmp_path_factory, **kw):
    return r53util.launch(request, tmp_path_factory, **kw)


@pytest.fixture(scope="module")
def api(request, tmp_path_factory, _aws_env):
    return _launch(request, tmp_path_factory)


@pytest.fixture
def make_api(request, tmp_path_factory, _aws_env):
    def make(**kw):
        return _launch(request, tmp_path_factory, **kw)

    return make


@pytest.fixture(scope="module")
def sandbox_plan():
    """The sandbox internet's addresses for one module: a random 127.X.Y.0/24 block."""
    return sandboxutil.Plan()


@pytest.fixture(scope="module")
def sandbox_api(request, tmp_path_factory, _aws_env, sandbox_plan):
    """`signpost up` serving the sandbox internet on sandbox_plan, with the test hooks on
    (SIGNPOST_TEST_HOOKS=1: the registry's clock can be moved)."""
    return _launch(request, tmp_path_factory, sandbox=sandbox_plan,
                   env_extra={"SIGNPOST_TEST_HOOKS": "1"})


@pytest.fixture(scope="module")
def r53(api):
    return api.client()


@pytest.fixture
def zone(api, r53):
    """A fresh public zone: dict with id (bare), name (with the dot) and the create response."""
    return r53util.new_zone(r53)


@pytest.fixture(params=["v1", "v2"])
def cli(request, api, tmp_path_factory):
    exe = r53util.aws_cli(request.param)
    if exe is None:
        pytest.skip("aws CLI %s is not installed" % request.param)
    return r53util.Cli(exe, request.param, api, tmp_path_factory.mktemp("cli-" + request.param))
