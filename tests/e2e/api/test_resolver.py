"""The caching resolver as a server (issue 5): `signpost resolver` alone, pointed with
--root-hints at the sandbox internet that a `signpost up` serves on a random 127.X.Y.0/24
block, answering dig over UDP and TCP. Every dig names its server and port; nothing leaves
loopback. The resolver's --trace lines show which server it asked for what."""

import subprocess
import time

import pytest

import r53util
import resolverutil
import sandboxutil
import servers
from resolverutil import traces

TXT_COUNT = 24  # 24 strings of 100 octets: far over 1232, so the hosted server truncates UDP


@pytest.fixture(scope="module")
def plan():
    return sandboxutil.Plan()


@pytest.fixture(scope="module")
def sbx(request, tmp_path_factory, _aws_env, plan):
    return resolverutil.launch_up(request, tmp_path_factory, plan, ["--no-resolver"])


def _resolver(request, tmp_path_factory, sbx, plan, addr, allow):
    res = resolverutil.Resolver(tmp_path_factory.mktemp("resolver"), addr,
                                sbx.data / "root.hints", plan.port, allow=allow)
    res.start()

    def fin():
        problems = res.stop_and_check()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
        assert not res.ctl.exists(), "the control socket outlived the resolver"

    request.addfinalizer(fin)
    return res


@pytest.fixture(scope="module")
def res(request, tmp_path_factory, sbx, plan):
    return _resolver(request, tmp_path_factory, sbx, plan, plan.resolver, ["127.0.0.0/8"])


@pytest.fixture(scope="module")
def domain(sbx):
    """A registered .com domain with a few records; returns its name (no final dot)."""
    dom = sbx.domains_client()
    r53 = sbx.client()
    name = r53util.uniq("rsv") + ".com"
    resolverutil.register(dom, name)
    zid = resolverutil.zone_id(r53, name)
    txt = ['"%s"' % (("%02d" % i) * 50) for i in range(TXT_COUNT)]
    r53util.change(r53, zid,
                   ("CREATE", r53util.rrset("app." + name, "A", 300, "192.0.2.7")),
                   ("CREATE", r53util.rrset("www." + name, "CNAME", 300, "app." + name)),
                   ("CREATE", r53util.rrset("out." + name, "CNAME", 300,
                                            "ns-2.awsdns-02.net.")),
                   ("CREATE", r53util.rrset("big." + name, "TXT", 300, *txt)))
    return name


def test_answer_has_ra_and_walks_root_tld_hosted(res, domain, plan):
    mark = res.mark()
    r = res.dig("app." + domain)
    assert r.status == "NOERROR", r
    assert "ra" in r.flags and "rd" in r.flags and "aa" not in r.flags, r
    assert r.rdatas("A") == ["192.0.2.7"], r
    sent = traces(mark.new())
    servers_asked = [s for _, _, s, _, _ in sent]
    assert any(s in plan.root for s in servers_asked), sent
    assert any(s in plan.tld("com") for s in servers_asked), sent
    assert any(s in plan.hosted for s in servers_asked), sent
    assert all(p == plan.port for _, _, _, p, _ in sent), sent
    # in that order: the root before com, com before a hosted server
    first = {}
    for i, (_, _, s, _, _) in enumerate(sent):
        role = "root" if s in plan.root else "tld" if s in plan.tld("com") else \
            "hosted" if s in plan.hosted else "other"
        first.setdefault(role, i)
    assert first["root"] < first["tld"] < first["hosted"], sent


def test_cname_chain_in_one_zone(res, domain):
    r = res.dig("www." + domain)
    assert r.status == "NOERROR" and "ra" in r.flags, r
    assert r.rdatas("CNAME", "www.%s." % domain) == ["app.%s." % domain], r
    assert r.rdatas("A", "app.%s." % domain) == ["192.0.2.7"], r
    # the chain comes in order: the CNAME first
    assert r.answer[0][2] == "CNAME", r


def test_cname_out_of_the_zone_is_chased(res, domain, plan):
    r = res.dig("out." + domain)
    assert r.status == "NOERROR", r
    assert r.rdatas("CNAME") == ["ns-2.awsdns-02.net."], r
    assert r.rdatas("A", "ns-2.awsdns-02.net.") == [plan.hosted[1]], r


def test_nxdomain_carries_the_zone_soa(res, domain):
    r = res.dig("nope." + domain)
    assert r.status == "NXDOMAIN" and "ra" in r.flags, r
    soa = [rr for rr in r.authority if rr[2] == "SOA"]
    assert len(soa) == 1 and soa[0][0].lower() == domain + ".", r
    # and a name the registry never delegated: NXDOMAIN with com's SOA
    r = res.dig(r53util.uniq("none") + ".com")
    assert r.status == "NXDOMAIN", r
    assert [rr[0] for rr in r.authority if rr[2] == "SOA"] == ["com."], r


def test_cache_hit_counts_the_ttl_down(res, domain):
    first = res.dig("app." + domain)
    mark = res.mark()
    time.sleep(1.3)
    second = res.dig("app." + domain)
    assert second.rdatas("A") == ["192.0.2.7"], second
    assert second.answer[0][1] < first.answer[0][1], (first, second)
    assert not [t for t in traces(mark.new()) if t[0] == "app.%s." % domain], \
        "a cache hit went upstream"


def test_tcp_clients(res, domain):
    r = res.dig("www." + domain, tcp=True)
    assert r.status == "NOERROR" and "ra" in r.flags, r
    assert r.rdatas("A") == ["192.0.2.7"], r


def test_truncated_upstream_reply_is_asked_again_over_tcp(res, domain):
    mark = res.mark()
    r = res.dig("big." + domain, "TXT", tcp=True)
    assert r.status == "NOERROR", r
    assert len(r.rdatas("TXT")) == TXT_COUNT, r
    sent = [t for t in traces(mark.new()) if t[0] == "big.%s." % domain]
    assert [t[4] for t in sent][-1:] == ["tcp"] and "udp" in [t[4] for t in sent], sent
    # over UDP the client gets TC=1 (the answer is larger than 1232) and dig retries on TCP
    r = res.dig("big." + domain, "TXT")
    assert len(r.rdatas("TXT")) == TXT_COUNT, r


def test_control_flush_a_name(res, domain):
    name = "app.%s." % domain
    res.dig(name)
    rc, out = res.control("lookup", name, "A")
    assert rc == 0 and out.startswith("ok rrset"), out
    rc, out = res.control("flush", name)
    assert (rc, out) == (0, "ok\n")
    rc, out = res.control("lookup", name, "A")
    assert out == "ok not cached\n", out
    mark = res.mark()
    r = res.dig(name)
    assert r.rdatas("A") == ["192.0.2.7"], r
    assert [t for t in traces(mark.new()) if t[0] == name], "not asked upstream after flush"


def test_control_flush_after_registration(res, sbx):
    """sandbox-internet.md §4.3: NXDOMAIN cached before registration (com's negative TTL, 900
    s) until the name is flushed."""
    name = r53util.uniq("late") + ".com"
    r = res.dig("www." + name)
    assert r.status == "NXDOMAIN", r
    resolverutil.register(sbx.domains_client(), name)
    r53 = sbx.client()
    resolverutil.upsert(r53, resolverutil.zone_id(r53, name), "www." + name, "A", 60,
                        "192.0.2.99")
    r = res.dig("www." + name)
    assert r.status == "NXDOMAIN", "the negative answer should still be cached: %r" % r
    rc, out = res.control("flush-zone", name)
    assert (rc, out) == (0, "ok\n")
    r = res.dig("www." + name)
    assert r.status == "NOERROR" and r.rdatas("A") == ["192.0.2.99"], r


def test_control_flush_all_and_errors(res, domain):
    res.dig("app." + domain)
    assert res.control("flush-all") == (0, "ok\n")
    assert res.control("lookup", "app." + domain)[1] == "ok not cached\n"
    rc, out = res.control("stats")
    assert rc == 0 and "client_queries" in out, out
    rc, out = res.control("frobnicate")
    assert rc == 1 and out.startswith("error: unknown command"), out
    rc, out = res.control("flush")
    assert rc == 1 and out.startswith("error:"), out


def test_access_list_refuses_other_sources(request, tmp_path_factory, sbx, plan, domain):
    acl = _resolver(request, tmp_path_factory, sbx, plan, plan.addr(11), ["127.0.0.2/32"])
    for tcp in (False, True):
        r = resolverutil.dig(acl.addr, acl.port, "app." + domain, tcp=tcp, source="127.0.0.1")
        assert r.status == "REFUSED" and "ra" not in r.flags and not r.answer, r
        r = resolverutil.dig(acl.addr, acl.port, "app." + domain, tcp=tcp, source="127.0.0.2")
        assert r.status == "NOERROR" and r.rdatas("A") == ["192.0.2.7"], r


def test_default_access_list_is_loopback(request, tmp_path_factory, sbx, plan, domain):
    res = _resolver(request, tmp_path_factory, sbx, plan, plan.addr(14), [])
    r = resolverutil.dig(res.addr, res.port, "app." + domain, source="127.0.0.1")
    assert r.status == "NOERROR", r


def test_bad_root_hints_are_reported(tmp_path):
    hints = tmp_path / "root.hints"
    hints.write_text("; nothing here\nexample.com. 300 A 192.0.2.1\n")
    p = subprocess.run([str(servers.signpost_bin()), "resolver", "--listen", "127.0.0.1:0",
                        "--root-hints", str(hints), "--control", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and "no root server" in p.stderr, p.stderr
    p = subprocess.run([str(servers.signpost_bin()), "resolver", "--allow", "10.0.0.0/33"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and "prefix length" in p.stderr, p.stderr
