"""What an authoritative answer must look like (issue 2, "Answering" and "Zones").

Every test runs against signpost, NSD and Knot DNS serving tests/e2e/zones/. NSD and Knot are
the reference: a test that fails against them is a wrong test. Where the two peers may
legitimately differ (e.g. NSD adds the apex NS RRset to the authority section of positive
answers, Knot does not) the checks accept both; docs/differences.md lists those cases.
"""

import re
import socket
import struct
import subprocess
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

import dnsq
import servers
from dnsq import qname

SOA_NEG_TTL = 300  # conform.test.: min(SOA TTL 3600, MINIMUM 300)
INNER_NEG_TTL = 60  # inner.conform.test.: min(SOA TTL 60, MINIMUM 600)
APEX_NS = {("conform.test.", "NS", "ns1.conform.test."), ("conform.test.", "NS", "ns2.conform.test.")}


# -- helpers --------------------------------------------------------------------------------

def flags(r):
    return dnsq.flag_set(r)


def assert_authoritative(r, rcode=dns.rcode.NOERROR):
    assert r.rcode() == rcode, "rcode %s, expected %s\n%s" % (
        dns.rcode.to_text(r.rcode()), dns.rcode.to_text(rcode), r)
    assert r.flags & dns.flags.QR
    assert r.flags & dns.flags.AA, "AA not set on an authoritative answer\n%s" % r
    assert not r.flags & dns.flags.TC, r
    assert not r.flags & dns.flags.RA, "RA set by an authoritative-only server\n%s" % r


def assert_positive_authority(r):
    """Authority of a positive answer: empty (Knot) or the apex NS RRset (NSD)."""
    auth = dnsq.rrs(r.authority)
    assert auth <= APEX_NS, "unexpected authority records %s" % auth


def answer_rrs(r):
    return dnsq.rrs(r.answer)


def assert_negative(r, rcode, zone="conform.test.", ttl=SOA_NEG_TTL):
    """NXDOMAIN/NODATA: AA, no answer (unless CNAMEs lead here), SOA of the zone in authority
    with TTL = min(SOA TTL, SOA MINIMUM), nothing else in authority."""
    assert_authoritative(r, rcode)
    soas = [rr for rr in r.authority if rr.rdtype == dns.rdatatype.SOA]
    assert len(soas) == 1, "no SOA in authority\n%s" % r
    soa = soas[0]
    assert soa.name == dns.name.from_text(zone), soa
    assert soa.ttl == ttl, "negative SOA TTL %d, expected %d\n%s" % (soa.ttl, ttl, r)
    assert len(soa) == 1
    assert all(rr.rdtype == dns.rdatatype.SOA for rr in r.authority), r
    return soa


def assert_referral(r, cut, ns, glue):
    """Referral: NOERROR, AA=0, empty answer, the cut's NS RRset in authority, exactly the
    in-bailiwick glue addresses in the additional section."""
    assert r.rcode() == dns.rcode.NOERROR, r
    assert not r.flags & dns.flags.AA, "AA set on a referral\n%s" % r
    assert not r.answer, r
    assert dnsq.rrs(r.authority) == {(qname(cut), "NS", n) for n in ns}, r
    got_glue = dnsq.rrs(r.additional)
    assert got_glue == glue, "glue %s, expected %s\n%s" % (got_glue, glue, r)


# -- exact matches: the zone file is the oracle ------------------------------------------------

def _exact_cases():
    cases = []
    for origin in servers.DEFAULT_ZONES:
        zone = dnsq.load_zone(origin)
        cuts = set()
        for name, node in zone.nodes.items():
            if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) and name != zone.origin:
                cuts.add(name)
        for name, node in sorted(zone.nodes.items()):
            below_cut = any(name.is_subdomain(c) and name != c for c in cuts)
            for rds in node.rdatasets:
                if below_cut:
                    continue  # glue: answered with a referral
                if name in cuts and rds.rdtype != dns.rdatatype.DS:
                    continue  # the cut's NS: a referral
                if name.labels[0] == b"*":
                    continue  # queried literally in test_wildcard_owner_queried_literally
                if name.labels[0] == b"giant":
                    continue  # too big for any message: test_rrset_too_big_for_any_message
                if name.labels[0].startswith(b"mx-") and name.labels[0] not in (b"mx-000", b"mx-999"):
                    continue  # 1000 alike: two will do
                cases.append((origin, name.to_text(), dns.rdatatype.to_text(rds.rdtype)))
    return cases


@pytest.mark.parametrize("origin,name,rdtype", _exact_cases())
def test_exact_match_every_rrset(server, origin, name, rdtype):
    """Every authoritative RRset of the zones comes back exactly (rdata and TTL), with AA=1."""
    zone = dnsq.load_zone(origin)
    want = zone.find_rdataset(name, rdtype)
    r = dnsq.ask(server, name, rdtype, edns=0, payload=4096, tcp=len(want) > 4)
    assert_authoritative(r)
    if want.rdtype == dns.rdatatype.CNAME:
        assert r.answer[0].rdtype == dns.rdatatype.CNAME
    assert len(r.answer) >= 1
    got = r.find_rrset(r.answer, dns.name.from_text(name), dns.rdataclass.IN, want.rdtype)
    assert set(got) == set(want), "rdata differ for %s %s\n%s" % (name, rdtype, r)
    assert got.ttl == want.ttl, "TTL %d, zone file says %d" % (got.ttl, want.ttl)
    if want.rdtype != dns.rdatatype.CNAME:
        assert len(r.answer) == 1, r
    auth = dnsq.rrs(r.authority)
    apex_ns = {(origin, "NS", rd.to_text()) for rd in zone.find_rdataset(origin, "NS")}
    assert auth <= apex_ns, "unexpected authority records %s" % auth


ROUTE53_TYPES = ["A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA",
                 "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "TYPE65534"]


def test_zone_covers_every_route53_type():
    zone = dnsq.load_zone()
    present = {dns.rdatatype.to_text(rds.rdtype) for _, node in zone.nodes.items()
               for rds in node.rdatasets}
    assert set(ROUTE53_TYPES) <= present, set(ROUTE53_TYPES) - present


def test_unknown_type_rfc3597(server):
    r = dnsq.ask(server, "unknown", "TYPE65534")
    assert_authoritative(r)
    assert r.answer[0].rdtype == 65534
    assert r.answer[0][0].to_text().lower() == "\\# 4 deadbeef"


def test_txt_escapes(server):
    r = dnsq.ask(server, "txt", "TXT")
    assert_authoritative(r)
    strings = {tuple(rd.strings) for rd in r.answer[0]}
    assert strings == {(b"hello", b"world"), (b'with "quotes" and \\ backslash',),
                       ("café".encode(),)}


# -- apex ---------------------------------------------------------------------------------

def test_apex_soa(server):
    r = dnsq.ask(server, "@", "SOA")
    assert_authoritative(r)
    assert answer_rrs(r) == {("conform.test.", "SOA",
                              "ns1.conform.test. hostmaster.conform.test. 2024010101 7200 3600 1209600 300")}
    assert r.answer[0].ttl == 3600
    assert_positive_authority(r)


def test_apex_ns_with_addresses(server):
    r = dnsq.ask(server, "@", "NS")
    assert_authoritative(r)
    assert answer_rrs(r) == APEX_NS
    assert not r.authority, r
    assert dnsq.rrs(r.additional) == {
        ("ns1.conform.test.", "A", "192.0.2.53"), ("ns1.conform.test.", "AAAA", "2001:db8::53"),
        ("ns2.conform.test.", "A", "192.0.2.54")}


def test_apex_mx_additional_only_in_zone_targets(server):
    r = dnsq.ask(server, "@", "MX")
    assert_authoritative(r)
    assert answer_rrs(r) == {("conform.test.", "MX", "10 mail.conform.test."),
                             ("conform.test.", "MX", "20 mail2.outside.example.")}
    add = dnsq.rrs(r.additional)
    assert {("mail.conform.test.", "A", "192.0.2.25"),
            ("mail.conform.test.", "AAAA", "2001:db8::25")} <= add
    assert not any(o.endswith("outside.example.") for o, _, _ in add), add
    # nothing but addresses of the MX targets (or, NSD-style, of the apex name servers)
    allowed = {"mail.conform.test.", "ns1.conform.test.", "ns2.conform.test."}
    assert {o for o, _, _ in add} <= allowed, add


def test_srv_additional(server):
    r = dnsq.ask(server, "_sip._tcp", "SRV")
    assert_authoritative(r)
    assert answer_rrs(r) == {("_sip._tcp.conform.test.", "SRV", "0 5 5060 sip.conform.test.")}
    assert ("sip.conform.test.", "A", "192.0.2.60") in dnsq.rrs(r.additional), r
    r = dnsq.ask(server, "_sip._udp", "SRV")
    assert_authoritative(r)
    assert not any(o.endswith("outside.example.") for o, _, _ in dnsq.rrs(r.additional))


def test_apex_address_types(server):
    for t, want in (("A", "192.0.2.1"), ("AAAA", "2001:db8::1"), ("TXT", '"v=spf1 -all"'),
                    ("CAA", '0 issue "ca.example.net"')):
        r = dnsq.ask(server, "@", t)
        assert_authoritative(r)
        assert answer_rrs(r) == {("conform.test.", t, want.lower())}


# -- negative answers -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nx", "deeper.nx", "x.ent", "x.exists.wild", "x.ent.wild",
                                  "nothing.mixed", "x.www"])
def test_nxdomain(server, name):
    r = dnsq.ask(server, name, "A")
    assert_negative(r, dns.rcode.NXDOMAIN)
    assert not r.answer


@pytest.mark.parametrize("name,rdtype", [("www", "MX"), ("@", "SRV"), ("ent", "A"),
                                         ("b.ent", "TXT"), ("_tcp.www", "A"), ("wild", "A"),
                                         ("exists.wild", "TXT"), ("ent.wild", "A"),
                                         ("unknown", "A"), ("txt", "TYPE65533")])
def test_nodata(server, name, rdtype):
    r = dnsq.ask(server, name, rdtype)
    assert_negative(r, dns.rcode.NOERROR)
    assert not r.answer


def test_negative_ttl_is_soa_ttl_when_smaller(server):
    r = dnsq.ask(server, "nx.inner", "A")
    assert_negative(r, dns.rcode.NXDOMAIN, zone="inner.conform.test.", ttl=INNER_NEG_TTL)
    r = dnsq.ask(server, "www.inner", "TXT")
    assert_negative(r, dns.rcode.NOERROR, zone="inner.conform.test.", ttl=INNER_NEG_TTL)


def test_refused_outside_every_zone(server):
    for name in ("www.example.org.", "test.", ".", "conform.test.example.", "xconform.test."):
        r = dnsq.ask(server, name, "A")
        assert r.rcode() == dns.rcode.REFUSED, r
        assert not r.flags & dns.flags.AA, r
        assert not r.answer and not r.authority, r
        assert r.question[0].name == dns.name.from_text(name)


# -- CNAME --------------------------------------------------------------------------------

def test_cname_in_zone(server):
    r = dnsq.ask(server, "cname", "A")
    assert_authoritative(r)
    assert [rr.rdtype for rr in r.answer][0] == dns.rdatatype.CNAME, "CNAME must come first"
    assert answer_rrs(r) == {("cname.conform.test.", "CNAME", "www.conform.test."),
                             ("www.conform.test.", "A", "192.0.2.80")}
    ttl = {rr.name.to_text(): rr.ttl for rr in r.answer}
    assert ttl == {"cname.conform.test.": 3600, "www.conform.test.": 600}
    assert_positive_authority(r)


def test_cname_queried_as_cname(server):
    r = dnsq.ask(server, "cname", "CNAME")
    assert_authoritative(r)
    assert answer_rrs(r) == {("cname.conform.test.", "CNAME", "www.conform.test.")}


def test_cname_chain(server):
    r = dnsq.ask(server, "chain1", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("chain1.conform.test.", "CNAME", "chain2.conform.test."),
                             ("chain2.conform.test.", "CNAME", "chain3.conform.test."),
                             ("chain3.conform.test.", "CNAME", "www.conform.test."),
                             ("www.conform.test.", "A", "192.0.2.80")}
    # the chain in order
    assert [rr.name.to_text() for rr in r.answer][:3] == [
        "chain1.conform.test.", "chain2.conform.test.", "chain3.conform.test."]


def test_cname_chain_to_nodata(server):
    r = dnsq.ask(server, "cname", "TXT")
    assert_negative(r, dns.rcode.NOERROR)
    assert answer_rrs(r) == {("cname.conform.test.", "CNAME", "www.conform.test.")}


def test_cname_to_nxdomain_rfc6604(server):
    r = dnsq.ask(server, "dangling", "A")
    assert_negative(r, dns.rcode.NXDOMAIN)
    assert answer_rrs(r) == {("dangling.conform.test.", "CNAME", "nothere.conform.test.")}


@pytest.mark.parametrize("name", ["loop1", "loop2", "selfloop"])
def test_cname_loop_terminates(server, name):
    r = dnsq.ask(server, name, "A")
    # NOERROR with the loop's CNAMEs (NSD and Knot); never a hang or a huge answer
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL), r
    if r.rcode() == dns.rcode.NOERROR:
        assert r.flags & dns.flags.AA
        assert r.answer and r.answer[0].name == dns.name.from_text(qname(name))
        assert all(rr.rdtype == dns.rdatatype.CNAME for rr in r.answer)
        assert len(r.answer) <= 2
    r = dnsq.ask(server, "www", "A")  # still serving
    assert_authoritative(r)


def test_long_cname_chain_bounded(server):
    """long01 -> ... -> long12 -> A. Knot stops after 5 CNAMEs, NSD follows all 11:
    either is fine as long as the chain is a prefix, in order, and the server stays up."""
    r = dnsq.ask(server, "long01", "A")
    assert_authoritative(r)
    owners = [rr.name.to_text() for rr in r.answer]
    expect = ["long%02d.conform.test." % i for i in range(1, 13)]
    assert owners == expect[:len(owners)], owners
    assert len(owners) >= 1


def test_cname_out_of_zone(server):
    r = dnsq.ask(server, "ext", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("ext.conform.test.", "CNAME", "www.outside.example.")}
    assert not any(rr.rdtype == dns.rdatatype.SOA for rr in r.authority)


def test_cname_to_wildcard(server):
    r = dnsq.ask(server, "towild", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("towild.conform.test.", "CNAME", "foo.wild.conform.test."),
                             ("foo.wild.conform.test.", "A", "192.0.2.100")}


def test_cname_into_delegation(server):
    """The CNAME, then a referral to the child (authority NS of the cut, glue)."""
    r = dnsq.ask(server, "tosub", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert answer_rrs(r) == {("tosub.conform.test.", "CNAME", "host.sub.conform.test.")}
    assert dnsq.rrs(r.authority) == {
        ("sub.conform.test.", "NS", "ns1.sub.conform.test."),
        ("sub.conform.test.", "NS", "ns2.sub.conform.test."),
        ("sub.conform.test.", "NS", "ns.outside.example.")}, r


def test_mixed_case_cname_target(server):
    r = dnsq.ask(server, "upper.case", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("upper.case.conform.test.", "CNAME", "www.conform.test."),
                             ("www.conform.test.", "A", "192.0.2.80")}


# -- wildcards (RFC 4592) --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["foo.wild", "a.b.wild", "FOO.Wild", "x-y.wild"])
def test_wildcard_a(server, name):
    r = dnsq.ask(server, name, "A")
    assert_authoritative(r)
    assert len(r.answer) == 1
    rr = r.answer[0]
    # the owner is the query name, never "*"
    assert rr.name.to_text() == qname(name), rr
    assert [rd.to_text() for rd in rr] == ["192.0.2.100"]
    assert rr.ttl == 3600


def test_wildcard_other_type_and_nodata(server):
    r = dnsq.ask(server, "foo.wild", "TXT")
    assert_authoritative(r)
    assert answer_rrs(r) == {("foo.wild.conform.test.", "TXT", '"wildcard txt"')}
    r = dnsq.ask(server, "foo.wild", "AAAA")
    assert_negative(r, dns.rcode.NOERROR)


def test_wildcard_does_not_cover_existing_names(server):
    r = dnsq.ask(server, "exists.wild", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("exists.wild.conform.test.", "A", "192.0.2.101")}
    r = dnsq.ask(server, "exists.wild", "TXT")  # the name exists: NODATA, not the wildcard
    assert_negative(r, dns.rcode.NOERROR)


def test_wildcard_not_below_existing_name(server):
    # closest encloser is exists.wild, which has no '*' child
    assert_negative(dnsq.ask(server, "x.exists.wild", "A"), dns.rcode.NXDOMAIN)


def test_empty_non_terminal_blocks_wildcard(server):
    assert_negative(dnsq.ask(server, "ent.wild", "A"), dns.rcode.NOERROR)
    assert_negative(dnsq.ask(server, "x.ent.wild", "A"), dns.rcode.NXDOMAIN)
    r = dnsq.ask(server, "host.ent.wild", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("host.ent.wild.conform.test.", "A", "192.0.2.102")}


def test_wildcard_owner_queried_literally(server):
    r = dnsq.ask(server, "*.wild", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("*.wild.conform.test.", "A", "192.0.2.100")}
    assert_negative(dnsq.ask(server, "*.wild", "MX"), dns.rcode.NOERROR)


def test_wildcard_cname(server):
    r = dnsq.ask(server, "anything.cnamewild", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("anything.cnamewild.conform.test.", "CNAME", "www.conform.test."),
                             ("www.conform.test.", "A", "192.0.2.80")}
    assert r.answer[0].rdtype == dns.rdatatype.CNAME


def test_wildcard_mx_additional(server):
    r = dnsq.ask(server, "x.mxwild", "MX")
    assert_authoritative(r)
    assert answer_rrs(r) == {("x.mxwild.conform.test.", "MX", "10 mail.conform.test.")}
    assert ("mail.conform.test.", "A", "192.0.2.25") in dnsq.rrs(r.additional)


# -- empty non-terminals ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ent", "b.ent", "_tcp", "_tcp.www"])
def test_empty_non_terminal_nodata(server, name):
    for t in ("A", "ANY"):
        r = dnsq.ask(server, name, t)
        assert_negative(r, dns.rcode.NOERROR)


# -- delegations -------------------------------------------------------------------------------

SUB_NS = ["ns1.sub.conform.test.", "ns2.sub.conform.test.", "ns.outside.example."]
SUB_GLUE = {("ns1.sub.conform.test.", "A", "192.0.2.201"),
            ("ns1.sub.conform.test.", "AAAA", "2001:db8::201"),
            ("ns2.sub.conform.test.", "A", "192.0.2.202")}


@pytest.mark.parametrize("name,rdtype", [("host.sub", "A"), ("deep.host.sub", "AAAA"),
                                         ("sub", "NS"), ("sub", "A"), ("sub", "SOA"),
                                         ("ns1.sub", "A"), ("ns2.sub", "AAAA"),
                                         ("SUB", "MX"), ("x.sub", "DS")])
def test_referral_with_glue(server, name, rdtype):
    r = dnsq.ask(server, name, rdtype)
    assert_referral(r, "sub", SUB_NS, SUB_GLUE)


def test_referral_out_of_zone_ns_has_no_glue(server):
    r = dnsq.ask(server, "www.extdeleg", "A")
    assert_referral(r, "extdeleg", ["ns1.outside.example.", "ns2.outside.example."], set())


def test_referral_sibling_glue(server):
    r = dnsq.ask(server, "www.sibdeleg", "A")
    assert_referral(r, "sibdeleg", ["ns1.conform.test."],
                    {("ns1.conform.test.", "A", "192.0.2.53"),
                     ("ns1.conform.test.", "AAAA", "2001:db8::53")})


def test_ds_at_cut_answered_from_parent(server):
    r = dnsq.ask(server, "sub", "DS")
    assert_authoritative(r)
    assert answer_rrs(r) == {("sub.conform.test.", "DS",
                              "12345 13 2 2bb183af5f22588179a53b0a98631fad1a292118b0cc2dcf5a2b1c2d3e4f5a6b")}


def test_ds_at_cut_to_served_child_answered_from_parent(server):
    """inner.conform.test. is served too, but DS belongs to the parent side (RFC 4035 3.1.4.1)."""
    r = dnsq.ask(server, "inner", "DS")
    assert_authoritative(r)
    assert answer_rrs(r) == {("inner.conform.test.", "DS",
                              "54321 13 2 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9")}


def test_ds_nodata_at_cut_without_ds(server):
    r = dnsq.ask(server, "extdeleg", "DS")
    assert_negative(r, dns.rcode.NOERROR)


def test_longest_match_child_zone(server):
    """Names at and below inner.conform.test. come from the child zone, authoritatively."""
    r = dnsq.ask(server, "www.inner", "A")
    assert_authoritative(r)
    assert answer_rrs(r) == {("www.inner.conform.test.", "A", "192.0.2.211")}
    assert r.answer[0].ttl == 1800
    r = dnsq.ask(server, "inner", "SOA")
    assert_authoritative(r)
    assert answer_rrs(r)  # the child's SOA
    assert r.answer[0][0].serial == 7
    r = dnsq.ask(server, "inner", "NS")
    assert_authoritative(r)
    assert answer_rrs(r) == {("inner.conform.test.", "NS", "ns1.inner.conform.test."),
                             ("inner.conform.test.", "NS", "ns.deleg.inner.conform.test.")}
    assert r.answer[0].ttl == 1800  # the child's NS, not the parent's delegation
    # both name servers' addresses, the one below the child's own cut (glue) included
    glue = {(rr.name.to_text(), rd.address) for rr in r.additional for rd in rr
            if rr.rdtype == dns.rdatatype.A}
    assert glue == {("ns1.inner.conform.test.", "192.0.2.210"),
                    ("ns.deleg.inner.conform.test.", "192.0.2.212")}


# -- ANY (RFC 8482) ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["@", "www", "txt", "mail", "foo.wild", "caa"])
def test_any(server, name):
    """Minimal ANY (signpost does as Knot: one RRset). Assert only: AA, NOERROR, non-empty,
    and every RRset returned really is at that name with the zone's data."""
    zone = dnsq.load_zone()
    r = dnsq.ask(server, name, "ANY")
    assert_authoritative(r)
    assert r.answer, r
    lookup = qname(name)
    if name == "foo.wild":
        lookup = "*.wild.conform.test."
    for rrset in r.answer:
        assert rrset.name == dns.name.from_text(qname(name)), rrset
        want = zone.get_rdataset(lookup, rrset.rdtype)
        assert want is not None, "%s has no %s" % (lookup, rrset)
        assert set(rrset) == set(want), rrset
        assert rrset.ttl == want.ttl


# -- header handling ------------------------------------------------------------------------

def test_question_case_echoed(server):
    for name in ("WwW.CoNfOrM.TeSt.", "MIXED.conform.TEST.", "mixed.conform.test.",
                 "Foo.WILD.conform.test.", "NX.conform.test.", "HoSt.SuB.conform.test."):
        q = dnsq.make(name, "A")
        r = server.query(q)
        assert r.question[0].name.to_text() == name, "question case not echoed"
        for rr in r.answer:
            if rr.name == dns.name.from_text(name):
                # owner of a direct answer: same name (compression usually points at the question)
                assert rr.name.to_text().lower() == name.lower()


def test_id_and_rd_echoed_ra_clear(server):
    for rd in (False, True):
        q = dnsq.make("www", "A", rd=rd, id=0xBEEF)
        r = server.query(q)
        assert r.id == 0xBEEF
        assert bool(r.flags & dns.flags.RD) == rd
        assert not r.flags & dns.flags.RA
        assert_authoritative(r)


def _raw_header(resp):
    ident, fl, qd, an, ns, ar = struct.unpack("!HHHHHH", resp[:12])
    return {"id": ident, "qr": fl >> 15, "opcode": (fl >> 11) & 15, "aa": (fl >> 10) & 1,
            "tc": (fl >> 9) & 1, "rcode": fl & 15, "qd": qd, "an": an, "ns": ns, "ar": ar}


@pytest.mark.parametrize("opcode", [1, 2, 3, 6, 7, 15])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_notimp_for_other_opcodes(server, opcode, tcp):
    q = dnsq.make("www", "A")
    wire = bytearray(q.to_wire())
    wire[2] = (wire[2] & 0x87) | (opcode << 3)
    ex = dnsq.tcp_exchange if tcp else dnsq.udp_exchange
    resp = ex(server, bytes(wire))
    assert resp is not None
    h = _raw_header(resp)
    assert h["id"] == q.id and h["qr"] == 1
    assert h["rcode"] == dns.rcode.NOTIMP, h
    assert h["opcode"] == opcode
    assert h["an"] == 0 and h["ns"] == 0
    assert len(resp) <= len(wire) + 11


def _send_then_probe(server, wire, tcp):
    """Sends `wire`, then a valid probe on the same socket; returns the replies to `wire`."""
    probe = dnsq.make("www", "A", id=0xABCD)
    replies = []
    if tcp:
        with dnsq.tcp_connect(server) as s:
            s.sendall(dnsq.frame(wire))
            try:
                s.sendall(dnsq.frame(probe.to_wire()))
                while True:
                    m = dnsq.tcp_read_msg(s, timeout=10)
                    if m[:2] == b"\xab\xcd":
                        return replies, m
                    replies.append(m)
            except (EOFError, ConnectionError, TimeoutError, OSError):
                pass
        return replies, dnsq.tcp_exchange(server, probe.to_wire(), timeout=10)
    with dnsq.udp_socket(server) as s:
        s.send(wire)
        s.send(probe.to_wire())
        s.settimeout(10)
        while True:
            m = s.recv(65535)
            if m[:2] == b"\xab\xcd":
                return replies, m
            replies.append(m)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_formerr_qdcount_0(server, tcp):
    q = dnsq.make("www", "A", id=0x4242)
    wire = q.to_wire()[:12]
    wire = wire[:4] + b"\x00\x00" + wire[6:]
    replies, probe = _send_then_probe(server, wire, tcp)
    assert probe is not None
    if server.kind == "nsd" and tcp and not replies:
        return  # NSD closes the connection (docs/differences.md)
    assert len(replies) == 1, replies
    h = _raw_header(replies[0])
    assert h["rcode"] == dns.rcode.FORMERR and h["id"] == 0x4242 and h["qr"] == 1
    assert len(replies[0]) == 12


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_formerr_qdcount_2(server, tcp):
    q = dnsq.make("www", "A", id=0x4343)
    body = q.to_wire()[12:]
    wire = struct.pack("!HHHHHH", 0x4343, 0, 2, 0, 0, 0) + body + body
    replies, probe = _send_then_probe(server, wire, tcp)
    assert probe is not None
    if server.kind == "knot" and not replies:
        return  # Knot drops QDCOUNT=2 silently (docs/differences.md)
    assert len(replies) == 1, replies
    h = _raw_header(replies[0])
    assert h["rcode"] == dns.rcode.FORMERR and h["id"] == 0x4343
    assert len(replies[0]) <= len(wire)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_responses_never_answered(server, tcp):
    q = dnsq.make("www", "A", id=0x5151)
    wire = bytearray(q.to_wire())
    wire[2] |= 0x80
    replies, probe = _send_then_probe(server, bytes(wire), tcp)
    assert replies == []
    assert probe is not None


def test_chaos_class_refused(server):
    r = dnsq.ask(server, "www", "A", rdclass="CH")
    assert r.rcode() == dns.rcode.REFUSED
    assert not r.answer


# -- EDNS ------------------------------------------------------------------------------------

def test_edns_echoed(server):
    r, n = dnsq.ask_wire(server, "www", "A", edns=0, payload=1232)
    assert_authoritative(r)
    assert r.edns == 0
    assert 512 <= r.payload <= 4096
    r, n = dnsq.ask_wire(server, "www", "A")
    assert r.edns == -1, "OPT in the answer to a query without EDNS"


def test_edns_do_bit_without_dnssec(server):
    r = dnsq.ask(server, "www", "A", edns=0, do=True)
    assert_authoritative(r)
    assert answer_rrs(r) == {("www.conform.test.", "A", "192.0.2.80")}


def test_edns_unknown_option_ignored(server):
    opt = dns.edns.GenericOption(65001, b"hello")
    r = dnsq.ask(server, "www", "A", edns=0, options=[opt])
    assert_authoritative(r)
    assert answer_rrs(r) == {("www.conform.test.", "A", "192.0.2.80")}


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_edns_badvers(server, tcp):
    q = dnsq.make("www", "A", edns=1)
    r = server.query(q, tcp=tcp)
    assert r.rcode() == dns.rcode.BADVERS, r
    assert r.edns == 0, "BADVERS must carry OPT version 0"
    assert not r.answer


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_edns_two_opt_formerr(server, tcp):
    q = dnsq.make("www", "A", id=0x6161)
    body = q.to_wire()[12:]
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    wire = struct.pack("!HHHHHH", 0x6161, 0, 1, 0, 0, 2) + body + opt + opt
    replies, probe = _send_then_probe(server, wire, tcp)
    assert probe is not None
    assert len(replies) == 1
    h = _raw_header(replies[0])
    assert h["rcode"] == dns.rcode.FORMERR and h["id"] == 0x6161
    assert h["an"] == 0 and h["ns"] == 0
    assert len(replies[0]) <= len(wire)


# -- truncation -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,rdtype,edns,payload,limit", [
    ("medium", "TXT", None, 512, 512),
    ("medium", "TXT", 0, 512, 512),
    ("big", "TXT", 0, 1232, 1232),
    ("big", "TXT", 0, 4096, 4096),
    ("many", "A", None, 512, 512),
    ("many", "A", 0, 1232, 1232),
])
def test_truncation(server, name, rdtype, edns, payload, limit):
    r, n = dnsq.ask_wire(server, name, rdtype, edns=edns, payload=payload)
    assert n <= limit, "UDP response of %d bytes > %d" % (n, limit)
    assert r.flags & dns.flags.TC, "expected TC=1 (%d bytes)" % n
    assert r.flags & dns.flags.AA
    assert r.rcode() == dns.rcode.NOERROR
    assert r.question[0].name == dns.name.from_text(qname(name))
    if edns is not None:
        assert r.edns == 0, "OPT must be kept in a truncated response"
    # RFC 2181 9: never a partial RRset in the answer
    zone = dnsq.load_zone()
    want = zone.find_rdataset(qname(name), rdtype)
    for rr in r.answer:
        assert set(rr) == set(want)
    # the same query over TCP: everything
    rt, nt = dnsq.ask_wire(server, name, rdtype, edns=edns, payload=payload, tcp=True)
    assert not rt.flags & dns.flags.TC
    assert_authoritative(rt)
    got = rt.find_rrset(rt.answer, dns.name.from_text(qname(name)), dns.rdataclass.IN,
                        dns.rdatatype.from_text(rdtype))
    assert set(got) == set(want) and len(got) == len(want)


@pytest.mark.parametrize("name,edns,payload", [("medium", 0, 1232), ("medium", 0, 4096),
                                               ("mid", None, 512), ("mid", 0, 100),
                                               ("mid", 0, 511)])
def test_fits_not_truncated(server, name, edns, payload):
    """Responses that fit are not truncated; an advertised size below 512 counts as 512."""
    r, n = dnsq.ask_wire(server, name, "TXT", edns=edns, payload=payload)
    assert_authoritative(r)
    assert n <= max(512, payload)
    zone = dnsq.load_zone()
    want = zone.find_rdataset(qname(name), "TXT")
    assert set(r.answer[0]) == set(want)


def test_huge_tcp_answer_and_compression(server):
    """A 40+ KB TCP answer: 1000 MX and 1000 addresses. Names past offset 0x4000 cannot be
    compression targets; a server that emits such pointers produces wrong names here."""
    r, n = dnsq.ask_wire(server, "hugemx", "MX", tcp=True)
    assert_authoritative(r)
    assert n > 0x4000
    mx = {rd.exchange.to_text().lower() for rd in r.answer[0]}
    assert len(r.answer) == 1 and len(r.answer[0]) == 1000
    assert mx == {"mx-%03d.hugemx.conform.test." % i for i in range(1000)}
    addrs = {}
    for rrset in r.additional:
        if rrset.rdtype == dns.rdatatype.A and rrset.name.to_text().lower() in mx:
            addrs[rrset.name.to_text().lower()] = {rd.address for rd in rrset}
    for name, got in addrs.items():
        i = int(name[3:6])
        assert got == {"10.1.%d.%d" % (i // 250, i % 250 + 1)}, (name, got)
    assert len(addrs) > 0, "no additional addresses for in-zone MX targets"


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_rrset_too_big_for_any_message(server, tcp):
    """300 TXT of 250 bytes (75 KB) cannot fit a DNS message even over TCP. NSD answers TC=1,
    Knot SERVFAIL; either is fine. What matters: a well-formed reply of at most 65535 bytes
    and a server that keeps serving."""
    r, n = dnsq.ask_wire(server, "giant", "TXT", tcp=tcp, edns=0, payload=4096)
    assert n <= 65535 if tcp else n <= 4096
    assert (r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.TC) or \
        r.rcode() == dns.rcode.SERVFAIL, r
    for rrset in r.answer:  # no partial RRset
        assert len(rrset) == 300
    assert_authoritative(dnsq.ask(server, "www", "A", tcp=tcp))


def _payload_sweep(full):
    ps = set(range(512, 1233, 41)) | {full - 2, full - 1, full, full + 1, 1232}
    return sorted(p for p in ps if 512 <= p <= 1232)


@pytest.mark.parametrize("name,rdtype", [("mxmany", "MX"), ("medium", "TXT"), ("@", "NS")])
def test_udp_size_boundaries(server, name, rdtype):
    """Sweep the advertised UDP size across the response's full size: never larger than
    advertised; TC=0 responses have the whole answer; additional data is whole RRsets of
    the full response, dropped (without TC) when it does not fit, all there when it does."""
    full, full_n = dnsq.ask_wire(server, name, rdtype, tcp=True, edns=0, payload=4096)
    want_answer = dnsq.section_set(full.answer)
    want_add = dnsq.section_set(full.additional)
    for payload in _payload_sweep(full_n):
        r, n = dnsq.ask_wire(server, name, rdtype, edns=0, payload=payload)
        assert n <= payload, "payload %d: %d-byte response" % (payload, n)
        if r.flags & dns.flags.TC:
            assert payload < full_n, "payload %d >= full size %d, yet TC=1" % (payload, full_n)
            continue
        assert dnsq.section_set(r.answer) == want_answer, "payload %d: answer differs" % payload
        got_add = dnsq.section_set(r.additional)
        assert got_add <= want_add, "payload %d: additional not from the full answer" % payload
        if payload >= full_n:
            assert got_add == want_add, "payload %d >= %d: additional incomplete" % (payload, full_n)


def _long_name(total, label_len, suffix="nx.conform.test."):
    """A name of exactly `total` octets in wire form, ending in `suffix`."""
    sfx = dns.name.from_text(suffix)
    room = total - len(sfx.to_wire())
    labels = []
    while room > 0:
        n = min(label_len, room - 1)
        if n < 1:
            break
        labels.append("a" * n if len(labels) % 2 else "B" * n)
        room -= n + 1
    name = dns.name.from_text(".".join(labels) + "." + suffix)
    return name, len(name.to_wire())


@pytest.mark.parametrize("label_len", [63, 1, 7])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_maximum_length_names(server, label_len, tcp):
    """255-octet names (and 127 labels): NXDOMAIN below nx, wildcard answers below wild
    (the synthesized owner is as long as the question), a CNAME below cnamewild."""
    name, n = _long_name(255, label_len)
    assert n == 255
    r = server.query(dnsq.make(name, "A"), tcp=tcp)
    assert_negative(r, dns.rcode.NXDOMAIN)
    assert r.question[0].name.to_text() == name.to_text()
    wname, n = _long_name(255, label_len, "wild.conform.test.")
    assert n == 255
    r = server.query(dnsq.make(wname, "A", edns=0), tcp=tcp)
    assert_authoritative(r)
    assert answer_rrs(r) == {(wname.to_text().lower(), "A", "192.0.2.100")}
    cname, n = _long_name(255, label_len, "cnamewild.conform.test.")
    r = server.query(dnsq.make(cname, "A", edns=0), tcp=tcp)
    assert_authoritative(r)
    assert answer_rrs(r) == {(cname.to_text().lower(), "CNAME", "www.conform.test."),
                             ("www.conform.test.", "A", "192.0.2.80")}


def test_case_folding_is_ascii_only(server):
    """caf\\195\\169 exists; its 'upper case' in ASCII (CAF\\195\\169) matches, but
    \\195\\137 (0xA9 with the 0x20 bit cleared) is another name."""
    for variant in ("caf\\195\\169", "CAF\\195\\169", "CaF\\195\\169"):
        r = dnsq.ask(server, variant, "TXT")
        assert_authoritative(r)
        assert answer_rrs(r) == {("caf\\195\\169.conform.test.", "TXT", '"utf-8 e-acute, lower case"')}
    assert_negative(dnsq.ask(server, "caf\\195\\137", "TXT"), dns.rcode.NXDOMAIN)
    assert_negative(dnsq.ask(server, "\\000nux", "A"), dns.rcode.NXDOMAIN)
    r = dnsq.ask(server, "DOT\\.INSIDE", "TXT")
    assert_authoritative(r)
    assert_negative(dnsq.ask(server, "dot.inside", "TXT"), dns.rcode.NXDOMAIN)
    r = dnsq.ask(server, "\\000NUL", "A")
    assert answer_rrs(r) == {("\\000nul.conform.test.", "A", "192.0.2.33")}


# -- transports ----------------------------------------------------------------------------

@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_ipv6_listener(server, tcp):
    r = dnsq.ask(server, "www", "AAAA", tcp=tcp, host=servers.V6)
    assert_authoritative(r)
    assert answer_rrs(r) == {("www.conform.test.", "AAAA", "2001:db8::80")}


def test_tcp_pipelined(server):
    names = ["www", "mail", "nx", "ns1", "cname", "foo.wild", "host.sub", "txt", "ent",
             "big", "many", "sip", "chain1", "mixed", "caa"]
    types = ["A", "AAAA", "TXT", "MX"]
    queries = {}
    payload = b""
    i = 0
    for rep in range(2):
        for n in names:
            t = types[i % len(types)] if n not in ("big",) else "TXT"
            q = dnsq.make(n, t, id=1000 + i)
            queries[q.id] = q
            payload += dnsq.frame(q.to_wire())
            i += 1
    with dnsq.tcp_connect(server, timeout=15) as s:
        s.sendall(payload)
        seen = set()
        for _ in range(len(queries)):
            m = dns.message.from_wire(dnsq.tcp_read_msg(s, timeout=15))
            assert m.id in queries and m.id not in seen
            assert queries[m.id].is_response(m)
            seen.add(m.id)
        assert seen == set(queries)
        # the connection stays open for more
        q = dnsq.make("www", "A", id=4242)
        s.sendall(dnsq.frame(q.to_wire()))
        m = dns.message.from_wire(dnsq.tcp_read_msg(s, timeout=15))
        assert m.id == 4242


def test_tcp_length_prefix_split(server):
    """The 2-byte length and the message arrive in separate segments."""
    q = dnsq.make("www", "A", id=777)
    w = dnsq.frame(q.to_wire())
    with dnsq.tcp_connect(server) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(w[:1])
        time.sleep(0.05)
        s.sendall(w[1:5])
        time.sleep(0.05)
        s.sendall(w[5:])
        m = dns.message.from_wire(dnsq.tcp_read_msg(s, timeout=10))
        assert m.id == 777 and m.answer


def _assert_serving(server, timeout=5.0):
    """A fresh client gets answers over UDP and TCP, v4 and v6, within a generous deadline."""
    for host in (servers.V4, servers.V6):
        r = server.query(dnsq.make("www", "A"), host=host, timeout=timeout)
        assert_authoritative(r)
        r = server.query(dnsq.make("www", "A"), tcp=True, host=host, timeout=timeout)
        assert_authoritative(r)


def test_silent_and_slow_tcp_clients_do_not_block_others(server):
    silent = []
    stop = threading.Event()
    errors = []

    def slowloris():
        # one byte at a time, never finishing fast
        try:
            with dnsq.tcp_connect(server, timeout=30) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                w = dnsq.frame(dnsq.make("www", "A").to_wire())
                for b in w:
                    if stop.is_set():
                        return
                    s.send(bytes([b]))
                    time.sleep(0.2)
        except OSError:
            pass  # the server may close a slow client: fine
        except Exception as e:  # pragma: no cover
            errors.append(e)

    try:
        for _ in range(20):
            s = dnsq.tcp_connect(server)
            silent.append(s)
        half = dnsq.tcp_connect(server)
        half.sendall(b"\x00\x40" + b"\x12\x34\x00\x00")  # claims 64 bytes, sends 4
        silent.append(half)
        threads = [threading.Thread(target=slowloris, daemon=True) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        for _ in range(3):
            _assert_serving(server)
            time.sleep(0.2)
    finally:
        stop.set()
        for s in silent:
            s.close()
    assert not errors


def test_tcp_client_that_never_reads(server):
    """A client pipelines hundreds of large queries and never reads the answers (so the
    server's socket send buffer fills): other clients must still be served."""
    q = b"".join(dnsq.frame(dnsq.make("big", "TXT", id=i).to_wire()) for i in range(400))
    hog = dnsq.tcp_connect(server)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        hog.settimeout(5)
        try:
            hog.sendall(q)
        except OSError:
            pass  # the server stopped reading (or closed): fine
        time.sleep(0.5)
        for _ in range(3):
            _assert_serving(server)
    finally:
        hog.close()
    _assert_serving(server)


def test_concurrent_clients_get_consistent_answers(server):
    """16 clients at once (UDP and TCP, v4 and v6), each answer equal to the one a lone
    client gets: catches buffers shared between workers or connections."""
    cases = [("www", "A"), ("nx", "A"), ("cname", "A"), ("foo.wild", "TXT"), ("host.sub", "A"),
             ("@", "MX"), ("medium", "TXT"), ("_sip._tcp", "SRV"), ("mixed", "AAAA"),
             ("www.inner", "A"), ("big", "TXT")]
    expect = {}
    for name, t in cases:
        expect[(name, t)] = dnsq.normal_form(server.query(dnsq.make(name, t, edns=0), tcp=True))
    errors = []

    def client(i):
        import random as _r
        rng = _r.Random(i)
        tcp = i % 2 == 1
        host = servers.V6 if i % 4 >= 2 else servers.V4
        for _ in range(40):
            name, t = rng.choice(cases)
            if not tcp and name == "big":
                continue
            try:
                r = server.query(dnsq.make(name, t, edns=0), tcp=tcp, host=host, timeout=10)
            except Exception as e:
                errors.append("%s %s: %r" % (name, t, e))
                continue
            if dnsq.normal_form(r) != expect[(name, t)]:
                errors.append("%s %s tcp=%s differs:\n%s" % (name, t, tcp, r))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, "%d problems, e.g.\n%s" % (len(errors), "\n".join(errors[:5]))


# -- dig ---------------------------------------------------------------------------------

def _dig(server, *args, host="127.0.0.1"):
    cmd = ["dig", "@" + host, "-p", str(server.port), "+norec", "+time=5", "+tries=1"] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _dig_header(out):
    m = re.search(r"opcode: (\w+), status: (\w+), id: \d+\n;; flags: ([a-z ]*);", out)
    assert m, out
    return m.group(2), set(m.group(3).split())


def test_dig_answer(server):
    out = _dig(server, "www.conform.test", "A")
    status, fl = _dig_header(out)
    assert status == "NOERROR" and {"qr", "aa"} <= fl and "ra" not in fl and "rd" not in fl
    assert re.search(r"^www\.conform\.test\.\s+600\s+IN\s+A\s+192\.0\.2\.80$", out, re.M), out


def test_dig_tcp_v6_nxdomain(server):
    out = _dig(server, "+tcp", "nope.conform.test", "A", host="::1")
    status, fl = _dig_header(out)
    assert status == "NXDOMAIN" and "aa" in fl
    assert re.search(r"^conform\.test\.\s+300\s+IN\s+SOA\s+ns1\.conform\.test\. "
                     r"hostmaster\.conform\.test\. 2024010101 7200 3600 1209600 300$", out, re.M), out


def test_dig_referral_and_truncation(server):
    out = _dig(server, "+noedns", "host.sub.conform.test", "A")
    status, fl = _dig_header(out)
    assert status == "NOERROR" and "aa" not in fl
    assert re.search(r"^sub\.conform\.test\.\s+3600\s+IN\s+NS\s+ns1\.sub\.conform\.test\.$", out, re.M)
    assert re.search(r"^ns1\.sub\.conform\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.201$", out, re.M)
    out = _dig(server, "+noedns", "+ignore", "big.conform.test", "TXT")
    status, fl = _dig_header(out)
    assert "tc" in fl
    out = _dig(server, "+tcp", "big.conform.test", "TXT")
    assert len(re.findall(r'^big\.conform\.test\.\s+3600\s+IN\s+TXT\s+"big-record-', out, re.M)) == 40


def test_dig_every_type_presentation(server):
    """dig parses and prints every Route 53 type as the zone file says."""
    out = _dig(server, "+short", "svcb.conform.test", "SVCB")
    assert out.strip() == '1 svc.conform.test. port=8443 ipv6hint=2001:db8::65'
    out = _dig(server, "+short", "naptr.conform.test", "NAPTR")
    assert '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .' in out
    out = _dig(server, "+short", "unknown.conform.test", "TYPE65534")
    assert out.strip().lower() == "\\# 4 deadbeef"
