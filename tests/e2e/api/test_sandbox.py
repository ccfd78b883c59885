"""The sandbox internet (issue 4): one `signpost up` plays root servers, TLD servers and the
four hosted name servers, each on its own loopback address (a random 127.X.Y.0/24 block per
run, sandboxutil.Plan), so a resolver walks root → TLD → signpost. Every dig names its server
and port; nothing leaves loopback."""

import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest

import r53util
import sandboxutil
from r53util import dig_at
from sandboxutil import register

@pytest.fixture(scope="module")
def plan(sandbox_plan):
    return sandbox_plan


@pytest.fixture(scope="module")
def sbx(sandbox_api):
    return sandbox_api


def ns_names(rrs):
    return sorted(r[3].lower() for r in rrs if r[2] == "NS")


def a_of(rrs, owner):
    return sorted(r[3] for r in rrs if r[2] == "A" and r[0].lower() == owner.lower())


# -- the hierarchy, hop by hop ------------------------------------------------------------

def test_banner_names_every_server_and_the_root_hints(sbx, plan):
    out = sbx.stdout()
    for addr in plan.root + plan.tld("com") + plan.tld("org") + plan.hosted:
        assert "%s:%d" % (addr, plan.port) in out, out
    m = re.search(r"root hints:\s+(\S+)", out)
    assert m, out
    hints = pathlib.Path(m.group(1))
    if not hints.is_absolute():
        hints = sbx.dir / hints
    text = hints.read_text()
    for n, o in sandboxutil.ROOT:
        assert re.search(r"^\.\s+\d+\s+(IN\s+)?NS\s+%s" % re.escape(n), text, re.M), text
        assert re.search(r"^%s\s+\d+\s+(IN\s+)?A\s+%s$" % (re.escape(n), re.escape(plan.addr(o))),
                         text, re.M), text


def test_root_priming_answer_is_authoritative_with_glue(sbx, plan):
    r = dig_at(plan.root[0], plan.port, ".", "NS")
    assert r.status == "NOERROR" and "aa" in r.flags, r
    assert r.rdatas("NS") == ["a.root-servers.net.", "b.root-servers.net."]
    assert a_of(r.additional, "a.root-servers.net.") == [plan.root[0]], r


def test_root_refers_to_the_tld_and_does_not_answer_for_it(sbx, plan):
    r = dig_at(plan.root[1], plan.port, "www.example.com", "A")
    assert r.status == "NOERROR" and "aa" not in r.flags and not r.answer, r
    assert ns_names(r.authority) == ["a.gtld-servers.net.", "b.gtld-servers.net."], r
    assert a_of(r.additional, "a.gtld-servers.net.") == [plan.tld("com")[0]], r
    # The root's servers serve the root only: com's apex is a referral there too.
    r = dig_at(plan.root[0], plan.port, "com", "SOA")
    assert "aa" not in r.flags and not r.answer, r
    r = dig_at(plan.root[0], plan.port, "org", "NS")
    assert ns_names(r.authority) == ["a.nic.org."] and "aa" not in r.flags, r
    assert a_of(r.additional, "a.nic.org.") == plan.tld("org"), r


def test_each_tld_server_is_authoritative_for_its_own_zone(sbx, plan):
    for tld in ("com", "net", "org", "uk", "internal"):
        r = dig_at(plan.tld(tld)[0], plan.port, tld, "SOA")
        assert r.status == "NOERROR" and "aa" in r.flags, (tld, r)
        assert len(r.rdatas("SOA")) == 1, (tld, r)
    # A TLD server does not serve another TLD's zone (org's server knows nothing of uk).
    r = dig_at(plan.tld("org")[0], plan.port, "uk", "SOA")
    assert r.status == "REFUSED", r


def test_hosted_name_servers_resolve_through_the_hierarchy(sbx, plan):
    # com refers awsdns-01.com to ns-1 with glue; ns-1 answers for its own address.
    r = dig_at(plan.tld("com")[0], plan.port, "ns-1.awsdns-01.com", "A")
    assert "aa" not in r.flags and ns_names(r.authority) == ["ns-1.awsdns-01.com."], r
    assert a_of(r.additional, "ns-1.awsdns-01.com.") == [plan.hosted[0]], r
    r = dig_at(plan.tld("uk")[0], plan.port, "ns-4.awsdns-04.co.uk", "A")
    assert a_of(r.additional, "ns-4.awsdns-04.co.uk.") == [plan.hosted[3]], r
    for i, name in enumerate(sandboxutil.NAME_SERVERS):
        r = dig_at(plan.hosted[i], plan.port, name, "A")
        assert "aa" in r.flags and r.rdatas("A") == [plan.hosted[i]], (name, r)


def test_hosted_zones_are_served_on_the_four_addresses(sbx, plan):
    r53 = sbx.client()
    z = r53util.new_zone(r53)
    r53.change_resource_record_sets(HostedZoneId=z["id"], ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "www." + z["name"], "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": "192.0.2.80"}]}}]})
    for addr in plan.hosted:
        r = dig_at(addr, plan.port, "www." + z["name"], "A")
        assert "aa" in r.flags and r.rdatas("A") == ["192.0.2.80"], (addr, r)
    # The zone is not delegated (not registered): the TLD server says NXDOMAIN.
    r = dig_at(plan.tld("com")[0], plan.port, "www." + z["name"], "A")
    assert r.status == "NXDOMAIN" and "aa" in r.flags, r


def test_tcp_works_on_sandbox_addresses(sbx, plan):
    r = dig_at(plan.root[0], plan.port, "www.example.com", "A", tcp=True)
    assert ns_names(r.authority) == ["a.gtld-servers.net.", "b.gtld-servers.net."], r


# -- registration changes the TLD zone ----------------------------------------------------

def test_registration_delegates_in_the_tld_at_once(sbx, plan):
    dom = sbx.domains_client()
    r53 = sbx.client()
    name = r53util.uniq("reg") + ".com"
    r = dig_at(plan.tld("com")[0], plan.port, "www." + name, "A")
    assert r.status == "NXDOMAIN", r
    register(dom, name)
    zones = [z for z in r53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
             if z["Name"] == name + "."]
    assert len(zones) == 1, zones
    zone_ns = sorted(n.lower().rstrip(".") + "." for n in r53.get_hosted_zone(
        Id=zones[0]["Id"])["DelegationSet"]["NameServers"])
    r = dig_at(plan.tld("com")[0], plan.port, "www." + name, "A")
    assert r.status == "NOERROR" and "aa" not in r.flags, r
    assert ns_names(r.authority) == zone_ns, r
    # sibling glue for the .com name server only
    assert a_of(r.additional, "ns-1.awsdns-01.com.") == [plan.hosted[0]], r
    assert not a_of(r.additional, "ns-2.awsdns-02.net."), r
    # the second com/net server has the same zone
    r2 = dig_at(plan.tld("com")[1], plan.port, "www." + name, "A")
    assert ns_names(r2.authority) == zone_ns, r2

    dom.delete_domain(DomainName=name)
    deadline = time.monotonic() + 20
    while True:
        r = dig_at(plan.tld("com")[0], plan.port, "www." + name, "A")
        if r.status == "NXDOMAIN":
            break
        assert time.monotonic() < deadline, r
        time.sleep(0.05)


def test_registered_domain_in_the_private_tld(sbx, plan):
    dom = sbx.domains_client()
    name = r53util.uniq("app") + ".internal"
    register(dom, name)
    r = dig_at(plan.tld("internal")[0], plan.port, name, "SOA")
    assert len(ns_names(r.authority)) == 4 and "aa" not in r.flags, r


# -- a real resolver walks it -------------------------------------------------------------

UNBOUND_CONF = """server:
    interface: {addr}@{port}
    port: {port}
    access-control: 127.0.0.0/8 allow
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    use-syslog: no
    logfile: "{dir}/unbound.log"
    verbosity: 1
    num-threads: 1
    do-ip6: no
    root-hints: "{hints}"
    do-not-query-localhost: no
    module-config: "iterator"
    qname-minimisation: yes
remote-control:
    control-enable: no
"""


def test_unbound_resolves_a_registered_domain_through_the_root_hints(sbx, plan, tmp_path):
    unbound = shutil.which("unbound") or "/usr/sbin/unbound"
    if not os.access(unbound, os.X_OK):
        pytest.fail("unbound is not installed (scripts/install-deps installs it)")
    if plan.port != 53:
        pytest.skip("root hints carry no port: the sandbox needs port 53 (run as root)")
    m = re.search(r"root hints:\s+(\S+)", sbx.stdout())
    hints = pathlib.Path(m.group(1))
    if not hints.is_absolute():
        hints = sbx.dir / hints

    dom = sbx.domains_client()
    r53 = sbx.client()
    name = r53util.uniq("shop") + ".com"
    register(dom, name)
    zid = [z["Id"] for z in r53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
           if z["Name"] == name + "."][0]
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "www." + name, "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": "192.0.2.50"}]}}]})

    port = r53util.servers.free_port()
    conf = tmp_path / "unbound.conf"
    conf.write_text(UNBOUND_CONF.format(addr=plan.resolver, port=port, dir=tmp_path,
                                        hints=hints))
    check = subprocess.run(["unbound-checkconf", str(conf)], capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
    assert check.returncode == 0, check.stdout + check.stderr
    proc = subprocess.Popen([unbound, "-d", "-c", str(conf)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.settimeout(0.2)
                s.connect((plan.resolver, port))
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "unbound.log").read_text()
                assert time.monotonic() < deadline, "unbound did not start"
                time.sleep(0.05)
            finally:
                s.close()
        r = dig_at(plan.resolver, port, "www." + name, "A", recurse=True)
        log = (tmp_path / "unbound.log").read_text() if (tmp_path / "unbound.log").exists() \
            else ""
        assert r.status == "NOERROR" and "ra" in r.flags, (r, log)
        assert r.rdatas("A") == ["192.0.2.50"], (r, log)
        # a name the registry never delegated does not exist
        r = dig_at(plan.resolver, port, "www." + r53util.uniq("none") + ".com", "A",
                   recurse=True)
        assert r.status == "NXDOMAIN", r
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- without the sandbox, and on the fallback port ----------------------------------------

def test_no_sandbox_serves_no_sandbox_address(make_api, plan):
    srv = make_api()  # ApiServer without a plan passes --no-sandbox
    assert "sandbox internet" not in srv.stdout()
    assert not os.path.exists(srv.data / "root.hints")


def test_sandbox_falls_back_to_its_port_when_53_is_taken(make_api, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("port 53 is never available without root: the fallback is the default")
    p = sandboxutil.Plan(port=r53util.servers.free_port())
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind((p.root[0], 53))
    try:
        srv = make_api(sandbox=p)
        assert "port 53 is not available" in srv.stderr(), srv.stderr()
        r = dig_at(p.root[0], p.port, "www.example.com", "A")
        assert ns_names(r.authority) == ["a.gtld-servers.net.", "b.gtld-servers.net."], r
    finally:
        blocker.close()


def test_bad_sandbox_line_names_file_and_line(api, tmp_path):
    # (`api` only so that this skips, with the others, while signpost up is not built)
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\nsandbox-tld com a.gtld-servers.net=not-an-address\n")
    p = subprocess.run([str(r53util.servers.signpost_bin()), "up", "--data", str(tmp_path / "d"),
                        "--config", str(conf), "--api", "127.0.0.1:0",
                        "--dns", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "%s:2" % conf in p.stderr, p.stderr


def test_name_servers_outside_the_sandbox_need_no_sandbox(api, tmp_path):
    # (`api` only so that this skips, with the others, while signpost up is not built)
    ns = "ns1.signpost.example,ns2.signpost.example,ns3.signpost.example,ns4.signpost.example"
    p = subprocess.run([str(r53util.servers.signpost_bin()), "up", "--data", str(tmp_path / "d"),
                        "--name-servers", ns, "--api", "127.0.0.1:0", "--dns", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "ns1.signpost.example. of the hosted name servers is not below a TLD" in p.stderr
    assert "--no-sandbox" in p.stderr, p.stderr
