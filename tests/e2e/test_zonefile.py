"""Zone-file syntax (RFC 1035 5.1 and the BIND extensions NSD and Knot share): every RRset
that dnspython reads from tests/e2e/zones/syntax.test.zone.in is served exactly, by signpost,
NSD and Knot. The zone also has a wildcard directly below the apex."""

import dns.flags
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

import dnsq
import servers
from conftest import ALL_KINDS, _start

ORIGIN = "syntax.test."
TEMPLATE = servers.ZONES_DIR / "syntax.test.zone.in"
INCLUDED = servers.ZONES_DIR / "syntax.test.included"


@pytest.fixture(scope="module")
def zone_path(tmp_path_factory):
    # $INCLUDE paths are relative to the server's working directory in NSD: use an absolute one
    d = tmp_path_factory.mktemp("syntax")
    p = d / "syntax.test.zone"
    p.write_text(TEMPLATE.read_text().replace("@INCLUDE@", str(INCLUDED)))
    return p


@pytest.fixture(scope="module")
def oracle(zone_path):
    # dnspython 2.3 reads "<class> <TTL> <type>" wrongly (RFC 1035 allows either order)
    text = zone_path.read_text().replace("ns2\tIN\t300\tAAAA", "ns2\t300\tIN\tAAAA")
    text = text.replace("$INCLUDE %s" % INCLUDED, INCLUDED.read_text() + "$ORIGIN " + ORIGIN)
    return dns.zone.from_text(text, origin=ORIGIN, relativize=False)


@pytest.fixture(scope="module", params=ALL_KINDS)
def zserver(request, zone_path):
    return _start(request, request.param, zones={ORIGIN: zone_path})


def _rrsets(oracle):
    cut = dns.name.from_text("deleg." + ORIGIN)
    for name, node in sorted(oracle.nodes.items()):
        if name.is_subdomain(cut):
            continue
        for rds in node.rdatasets:
            yield name, rds


def test_every_rrset_served_exactly(zserver, oracle):
    problems = []
    n = 0
    for name, rds in _rrsets(oracle):
        n += 1
        r = zserver.query(dnsq.make(name, rds.rdtype, edns=0, payload=4096))
        if r.rcode() != dns.rcode.NOERROR or not r.flags & dns.flags.AA:
            problems.append("%s %s: rcode %s flags %s" % (name, dns.rdatatype.to_text(rds.rdtype),
                                                          dns.rcode.to_text(r.rcode()),
                                                          dns.flags.to_text(r.flags)))
            continue
        try:
            got = r.find_rrset(r.answer, name, dns.rdataclass.IN, rds.rdtype)
        except KeyError:
            problems.append("%s %s: not in the answer\n%s" % (name, rds.rdtype, r))
            continue
        if set(got) != set(rds) or got.ttl != rds.ttl:
            problems.append("%s %s: served %s, file says %s" % (name, dns.rdatatype.to_text(rds.rdtype),
                                                                  got, rds))
    assert n > 20
    assert not problems, "\n".join(problems)


def test_ttl_forms(zserver):
    def ttl(name, t="A"):
        return zserver.query(dnsq.make(name + "." + ORIGIN, t)).answer[0].ttl
    assert ttl("ns1") == 5400  # $TTL 1h30m
    assert ttl("ns2") == 300  # TTL before the class
    assert ttl("ns2", "AAAA") == 300  # TTL after the class
    assert ttl("zero") == 0
    assert ttl("maxttl") == 2147483647
    soa = zserver.query(dnsq.make(ORIGIN, "SOA")).answer[0][0]
    assert (soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum) == (42, 7200, 1800, 604800, 300)


def test_apex_wildcard(zserver):
    r = zserver.query(dnsq.make("anything." + ORIGIN, "A"))
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.99"]
    assert r.answer[0].name == dns.name.from_text("anything." + ORIGIN)
    # a wildcard does not reach below a delegation, nor replace existing names' other types
    r = zserver.query(dnsq.make("x.deleg." + ORIGIN, "A"))
    assert not r.flags & dns.flags.AA and not r.answer
    r = zserver.query(dnsq.make("ns1." + ORIGIN, "TXT"))
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    # sub2 exists (it is an empty non-terminal above *.sub2): NODATA, not the apex wildcard
    r = zserver.query(dnsq.make("sub2." + ORIGIN, "A"))
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    r = zserver.query(dnsq.make("x.sub2." + ORIGIN, "TXT"))
    assert [rd.strings for rd in r.answer[0]] == [(b"wild under sub2",)]
    r = zserver.query(dnsq.make("x.sub2." + ORIGIN, "A"))  # *.sub2 has no A: NODATA
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    # NXDOMAIN is impossible below the apex now, except below existing names
    r = zserver.query(dnsq.make("a.ns1." + ORIGIN, "A"))
    assert r.rcode() == dns.rcode.NXDOMAIN


def test_generate_directive_is_reported(make_server, tmp_path):
    """$GENERATE is a BIND extension that none of libzscanner (so neither Knot 3.2 nor
    signpost) and NSD 4.6 reads: the zone is not served and the error names the line."""
    p = tmp_path / "gen.test.zone"
    p.write_text("$ORIGIN gen.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n"
                 "$GENERATE 1-20 host-$ A 198.51.100.$\n")
    srv = make_server("signpost", zones={"conform.test.": servers.DEFAULT_ZONES["conform.test."],
                                         "gen.test.": p})
    assert srv.query(dnsq.make("gen.test.", "SOA")).rcode() == dns.rcode.REFUSED
    assert "%s:6" % p in srv.stderr(), srv.stderr()
