"""The seed walk of issue 5, end to end through `signpost up` and the real aws CLI:

register a domain with `aws route53domains`; its hosted zone appears; create `www` with
`aws route53`; `dig @<resolver> www.<domain>` returns the address; the resolver's trace shows
root → TLD → a signpost name server; a second query is answered from the cache with a smaller
TTL; after the TTL passes the resolver asks again; an HTTP GET to the resolved address (a
small web server this test starts on that loopback address) returns the page.

The resolver is signpost up's own (--resolver on the block's .1, the sandbox's port), the
sandbox a random 127.X.Y.0/24 block. Nothing leaves loopback."""

import http.server
import json
import subprocess
import threading
import time
import urllib.request

import pytest

import r53util
import resolverutil
import sandboxutil
import servers
from resolverutil import traces

TTL = 3
PAGE = b"<h1>hello from the sandbox internet</h1>\n"


@pytest.fixture(scope="module")
def plan():
    return sandboxutil.Plan()


@pytest.fixture(scope="module")
def up(request, tmp_path_factory, _aws_env, plan):
    return resolverutil.launch_up(request, tmp_path_factory, plan,
                                  ["--resolver", plan.resolver, "--resolver-trace"])


@pytest.fixture
def aws(up, tmp_path):
    exe = r53util.aws_cli("v2") or r53util.aws_cli("v1")
    if exe is None:
        pytest.fail("no aws CLI installed (scripts/install-deps installs it)")
    cli = r53util.Cli(exe, "v2", up, tmp_path)

    def run(service, *args):
        cmd = [exe, service] + [str(a) for a in args] + [
            "--endpoint-url", up.url, "--output", "json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL, env=cli.env(), cwd=str(tmp_path))
        assert p.returncode == 0, "aws %s %s -> %s %s" % (service, " ".join(map(str, args)),
                                                          p.stdout, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else {}

    return run


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def test_seed_walk(up, aws, plan):
    res_addr, res_port = plan.resolver, plan.port
    assert "resolver:     %s:%d" % (res_addr, res_port) in up.stdout(), up.stdout()
    web_addr = plan.addr(80)
    httpd = http.server.HTTPServer((web_addr, 0), _Page)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        domain = r53util.uniq("seed") + ".com"
        contact = resolverutil.contact_json()

        # register with the Route 53 Domains API (asynchronous: poll the operation)
        op = aws("route53domains", "register-domain", "--domain-name", domain,
                 "--duration-in-years", "1", "--admin-contact", contact,
                 "--registrant-contact", contact, "--tech-contact", contact)["OperationId"]
        deadline = time.monotonic() + 30
        while True:
            d = aws("route53domains", "get-operation-detail", "--operation-id", op)
            if d["Status"] == "SUCCESSFUL":
                break
            assert d["Status"] not in ("FAILED", "ERROR"), d
            assert time.monotonic() < deadline, d
            time.sleep(0.1)

        # its hosted zone appears
        zones = aws("route53", "list-hosted-zones-by-name", "--dns-name", domain)["HostedZones"]
        zones = [z for z in zones if z["Name"] == domain + "."]
        assert len(zones) == 1, zones
        zid = r53util.bare(zones[0]["Id"])

        # www with `aws route53`, pointing at the web server's loopback address
        batch = {"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "www." + domain, "Type": "A", "TTL": TTL,
            "ResourceRecords": [{"Value": web_addr}]}}]}
        aws("route53", "change-resource-record-sets", "--hosted-zone-id", zid,
            "--change-batch", json.dumps(batch))

        # the resolver walks root -> com -> a signpost name server
        name = "www.%s." % domain
        mark = resolverutil.LogMark(up.stderr_path)
        r = resolverutil.dig(res_addr, res_port, name)
        assert r.status == "NOERROR" and "ra" in r.flags, r
        assert r.rdatas("A") == [web_addr], r
        first_ttl = r.answer[0][1]
        assert first_ttl == TTL, r
        sent = traces(mark.new())
        roles = []
        for _, _, s, port, _ in sent:
            assert port == plan.port, sent
            role = ("root" if s in plan.root else "tld" if s in plan.tld("com") else
                    "hosted" if s in plan.hosted else "other")
            if not roles or roles[-1] != role:
                roles.append(role)
        assert roles[:1] == ["root"] and "tld" in roles and roles[-1] == "hosted", sent
        assert roles.index("tld") < len(roles) - 1, sent
        assert [t for t in sent if t[0] == name and t[2] in plan.hosted], sent

        # a second query comes from the cache with a smaller TTL
        time.sleep(1.2)
        mark = resolverutil.LogMark(up.stderr_path)
        r = resolverutil.dig(res_addr, res_port, name)
        assert r.rdatas("A") == [web_addr], r
        assert r.answer[0][1] < first_ttl, r
        assert not traces(mark.new()), "a cache hit went upstream"

        # after the TTL the resolver asks again (the delegation is still cached: hosted only)
        time.sleep(TTL)
        mark = resolverutil.LogMark(up.stderr_path)
        r = resolverutil.dig(res_addr, res_port, name)
        assert r.rdatas("A") == [web_addr] and r.answer[0][1] == TTL, r
        sent = traces(mark.new())
        assert [t for t in sent if t[0] == name and t[2] in plan.hosted], sent
        assert not [t for t in sent if t[2] in plan.root], sent

        # and the page at the address the resolver gave
        url = "http://%s:%d/" % (r.rdatas("A")[0], httpd.server_address[1])
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200 and resp.read() == PAGE
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_up_resolver_control_socket(up, plan):
    ctl = up.data / "resolver.ctl"
    assert ctl.exists(), up.stderr()
    p = subprocess.run([str(servers.signpost_bin()), "resolver-control", "--control", str(ctl),
                        "stats"], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0 and "client_queries" in p.stdout, p


def test_registration_flushes_the_resolvers_negative_answer(up, plan):
    """A name asked for before it was registered is NXDOMAIN in the resolver's cache for the
    TLD's negative TTL (900 s for com); the registry flushes it, so it resolves at once
    (sandbox-internet.md §4.3 b)."""
    domain = r53util.uniq("late") + ".com"
    name = "www.%s." % domain
    r = resolverutil.dig(plan.resolver, plan.port, name)
    assert r.status == "NXDOMAIN", r
    dom = up.domains_client()
    resolverutil.register(dom, domain)
    r53 = up.client()
    resolverutil.upsert(r53, resolverutil.zone_id(r53, domain), name, "A", 60, "192.0.2.77")
    r = resolverutil.dig(plan.resolver, plan.port, name)
    assert r.status == "NOERROR" and r.rdatas("A") == ["192.0.2.77"], r
    # and a deletion is seen at once too: the delegation is gone from com
    dom.delete_domain(DomainName=domain)
    deadline = time.monotonic() + 20
    while resolverutil.dig(plan.resolver, plan.port, name).status != "NXDOMAIN":
        assert time.monotonic() < deadline, "still resolves after DeleteDomain"
        time.sleep(0.1)
