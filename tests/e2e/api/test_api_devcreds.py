"""README's first command: `signpost up` with no keys configured creates development
credentials once in DATA/credentials (mode 0600, AWS shared-credentials format), the aws CLI
works with AWS_SHARED_CREDENTIALS_FILE pointing at it, and a restart reuses the same keys."""
import configparser
import json
import os
import stat
import subprocess
import time

import pytest

import r53util


class DevCredServer(r53util.ApiServer):
    """An ApiServer started without SIGNPOST_* keys: it must make its own."""

    def env(self):
        env = dict(os.environ)
        env.pop("SIGNPOST_ACCESS_KEY_ID", None)
        env.pop("SIGNPOST_SECRET_ACCESS_KEY", None)
        return env

    @property
    def cred_path(self):
        return self.data / "credentials"

    def read_keys(self):
        cp = configparser.ConfigParser()
        cp.read(self.cred_path)
        return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]

    def start(self, keep_ports=False):
        self.spawn(keep_ports=keep_ports)
        deadline = time.monotonic() + r53util.START_TIMEOUT
        while True:  # the file appears, then its one write() lands
            try:
                self.access_key, self.secret_key = self.read_keys()
                break
            except KeyError:
                assert self.proc.poll() is None, self.stderr()
                assert time.monotonic() < deadline, "no credentials file:\n" + self.stderr()
                time.sleep(0.05)
        self.wait_api()
        return self


@pytest.fixture
def server(request, tmp_path_factory, _aws_env):
    why = r53util.api_unavailable()
    if why is not None:
        (pytest.fail if why.startswith("FAIL") else pytest.skip)(why)
    srv = DevCredServer(tmp_path_factory.mktemp("signpost-devcreds"))

    def fin():
        problems = srv.stop_and_check()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    srv.start()
    request.addfinalizer(fin)
    return srv


def _aws_v2(srv, tmp, *args):
    """The README's way: the aws CLI with AWS_SHARED_CREDENTIALS_FILE and nothing else."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp),
           "AWS_SHARED_CREDENTIALS_FILE": str(srv.cred_path), "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp / "no-config"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_PAGER": ""}
    p = subprocess.run(["/usr/bin/aws", "route53", *args, "--endpoint-url", srv.url,
                        "--output", "json"], capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_dev_credentials_created_private_and_reused(server, tmp_path):
    mode = stat.S_IMODE(os.stat(server.cred_path).st_mode)
    assert mode == 0o600, oct(mode)
    keys = server.read_keys()
    out = server.stdout_path.read_text()
    assert keys[0] in out and server.url in out, out

    name = r53util.uniq("devcreds") + ".example."
    z = _aws_v2(server, tmp_path, "create-hosted-zone", "--name", name,
                "--caller-reference", r53util.uniq("ref"))
    assert z["HostedZone"]["Name"] == name
    d = server.dig(name, "SOA")
    assert d.status == "NOERROR" and d.rdatas("SOA"), d

    # A wrong secret is refused: the generated key is really checked.
    bad = server.client(secret_key="x" * 40)
    with pytest.raises(Exception) as e:
        bad.get_hosted_zone_count()
    assert "SignatureDoesNotMatch" in str(e.value)

    # Restart on the same directory: same keys, same zone.
    assert server.stop() == 0
    server.start(keep_ports=False)
    assert server.read_keys() == keys
    assert _aws_v2(server, tmp_path, "get-hosted-zone-count")["HostedZoneCount"] == 1
