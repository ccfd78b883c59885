#!/usr/bin/python3
"""tests/fuzz/make_corpus.py - writes the seed corpora in tests/fuzz/corpus/ (kept in git).

Run it again after changing the seeds: /usr/bin/python3 tests/fuzz/make_corpus.py
Queries are built with dnspython; hostile packets by hand, from
shared/reference/dns-server-threats.md §1.
"""
import os
import shutil
import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def query(name, qtype, edns=-1, payload=1232, do=False, opts=None, qid=0x1234, rd=False,
          rdclass="IN"):
    m = dns.message.make_query(name, qtype, rdclass, want_dnssec=do)
    if edns >= 0:
        # make_query() ignores the version number it is given; use_edns() honours it.
        m.use_edns(edns, ednsflags=dns.flags.DO if do else 0, payload=payload,
                   options=opts or [])
    m.id = qid
    if not rd:
        m.flags &= ~dns.flags.RD
    return m.to_wire()


def header(qid=0x1234, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


QTAIL = b"\x00\x01\x00\x01"  # QTYPE A, QCLASS IN
WWW = b"\x03www\x07example\x03com\x00"
OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"  # root, OPT, 1232, no options

queries = {
    # answers of every kind from the fixed zone in fuzz_answer.c
    "a_www": query("www.example.com", "A"),
    "a_www_edns": query("www.example.com", "A", edns=0),
    "a_www_do": query("www.example.com", "A", edns=0, do=True),
    "a_www_rd": query("www.example.com", "A", rd=True),
    "aaaa_www": query("www.example.com", "AAAA", edns=0),
    "case_echo": query("WwW.ExAmPlE.CoM", "A"),
    "soa_apex": query("example.com", "SOA"),
    "ns_apex": query("example.com", "NS", edns=0),
    "mx_apex": query("example.com", "MX"),
    "txt_apex": query("example.com", "TXT"),
    "caa_apex": query("example.com", "CAA"),
    "any_apex": query("example.com", "ANY", edns=0),
    "cname": query("alias.example.com", "A"),
    "cname_chain": query("chain1.example.com", "AAAA"),
    "cname_loop": query("loop1.example.com", "A"),
    "cname_out": query("out.example.com", "A"),
    "cname_qtype": query("alias.example.com", "CNAME"),
    "wildcard": query("foo.wild.example.com", "TXT"),
    "wildcard_deep": query("a.b.wild.example.com", "A"),
    "wildcard_nodata": query("x.wild.example.com", "MX"),
    "wildcard_self": query("*.wild.example.com", "A"),
    "wildcard_cname": query("x.wcname.example.com", "A"),
    "ent_nodata": query("c.ent.example.com", "A"),
    "ent_deep": query("a.b.c.ent.example.com", "A"),
    "nxdomain": query("nope.example.com", "A", edns=0),
    "nodata": query("www.example.com", "MX"),
    "referral": query("host.sub.example.com", "A"),
    "referral_cut": query("sub.example.com", "NS"),
    "ds_parent": query("sub.example.com", "DS", edns=0, do=True),
    "glue": query("ns.sub.example.com", "A"),
    "srv": query("_sip._udp.example.com", "SRV"),
    "ptr": query("ptr.example.com", "PTR"),
    "naptr": query("naptr.example.com", "NAPTR"),
    "sshfp": query("sshfp.example.com", "SSHFP"),
    "tlsa": query("_443._tcp.example.com", "TLSA"),
    "svcb": query("svc.example.com", "SVCB"),
    "https": query("https.example.com", "HTTPS"),
    "spf": query("spf.example.com", "SPF"),
    "unknown_type": query("unknown.example.com", "TYPE65534"),
    "qtype_65535": query("www.example.com", "TYPE65535"),
    "big_tcp_trunc": query("big.example.com", "TXT"),
    "big_edns": query("big.example.com", "TXT", edns=0, payload=4096),
    "many_trunc": query("many.example.com", "A"),
    "many_edns_small": query("many.example.com", "A", edns=0, payload=100),
    "other_zone": query("ns2.example.net", "A"),
    "refused": query("www.example.org", "A"),
    "root": query(".", "NS"),
    "axfr": query("example.com", "AXFR"),
    "ixfr": query("example.com", "IXFR"),
    "class_ch": query("version.bind", "TXT", rdclass="CH", rd=True),
    "edns_opts": query("www.example.com", "A", edns=0, opts=[
        dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08"),  # cookie
        dns.edns.GenericOption(65001, b"unknown")]),
    "edns_v1": query("www.example.com", "A", edns=1),
}

hostile = {
    # §1 INPUT: a QNAME that points at itself, and its label-then-pointer variant
    "self_pointer": header() + b"\xc0\x0c" + QTAIL,
    "label_self_pointer": header() + b"\x01a\xc0\x0c" + QTAIL,
    "label_pointer_loop": header() + b"\x01a\xc0\x0e" + QTAIL,
    "pointer_past_end": header() + b"\xc0\xff" + QTAIL,
    "pointer_into_header": header() + b"\xc0\x00" + QTAIL,
    "pointer_into_header_05": header() + b"\x03www\xc0\x05" + QTAIL,
    "forward_pointer": header() + b"\xc0\x0e\x03www\x00" + QTAIL,
    "pointer_loop_two_hops": header() + b"\x01a\xc0\x10\x01b\xc0\x0c" + QTAIL,
    "rdata_pointer_to_itself": header(ar=1) + WWW + QTAIL + b"\x00\x00\x02\x00\x01\x00\x00\x00"
    + b"\x10\x00\x02" + struct.pack(">H", 0xC000 | (12 + len(WWW) + 4 + 11)),
    "name_over_255_via_pointers": header(an=1) + (b"\x3f" + b"a" * 63) * 3 + b"\x00" + QTAIL
    + b"\x3f" + b"b" * 63 + b"\xc0\x0c" + QTAIL + b"\x00\x00\x00\x10\x00\x04\x01\x02\x03\x04",
    "reserved_label_0x40": header() + b"\x41" + b"a" * 1 + b"\x00" + QTAIL,
    "reserved_label_0x80": header() + b"\x81a\x00" + QTAIL,
    "label_64": header() + b"\x40" + b"a" * 64 + b"\x00" + QTAIL,
    "name_256": header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + QTAIL,
    "truncated_header": header()[:7],
    "header_only_qd1": header(),
    "truncated_question": header() + WWW[:6],
    "question_no_type": header() + WWW + b"\x00",
    "qdcount_0": header(qd=0),
    "qdcount_2": header(qd=2) + WWW + QTAIL + WWW + QTAIL,
    "ancount_no_rr": header(an=1) + WWW + QTAIL,
    "arcount_no_rr": header(ar=1) + WWW + QTAIL,
    "two_opt": header(ar=2) + WWW + QTAIL + OPT + OPT,
    "opt_in_answer": header(an=1) + WWW + QTAIL + OPT,
    "opt_not_root": header(ar=1) + WWW + QTAIL + b"\xc0\x0c" + OPT[1:],
    "rdata_past_length": header(ar=1) + WWW + QTAIL + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00"
    + b"\x00\x08\x00\x0a",
    "rr_name_in_rdata_overrun": header(an=1) + WWW + QTAIL + b"\xc0\x0c\x00\x05\x00\x01"
    + b"\x00\x00\x00\x3c\x00\x02\x03www\x00",
    "response_qr1": header(flags=0x8400) + WWW + QTAIL,
    "opcode_7": header(flags=7 << 11) + WWW + QTAIL,
    "opcode_notify": header(flags=4 << 11 | 0x0400) + WWW + b"\x00\x06\x00\x01",
    "opcode_update": header(flags=5 << 11) + WWW + b"\x00\x06\x00\x01",
    "tsig_not_last": header(ar=2) + WWW + QTAIL + b"\x03key\x00\x00\xfa\x00\xff\x00\x00\x00\x00"
    + b"\x00\x00" + OPT,
    "many_labels": header() + b"\x01a" * 127 + b"\x00" + QTAIL,
    "trailing_garbage": query("www.example.com", "A") + b"\xde\xad\xbe\xef",
    "empty": b"",
}

zones = {
    "basic.zone": """$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.53
www A 192.0.2.80
""",
    "every_type.zone": """$ORIGIN example.com.
$TTL 300
@ SOA ns1.example.com. hostmaster.example.com. ( 2024010101 ; serial
      7200 3600 1209600 300 )
@ NS ns1
@ MX 10 mail
@ CAA 0 issue "letsencrypt.org"
@ TXT "v=spf1 -all" "second string"
@ SPF "v=spf1 -all"
ns1 A 192.0.2.53
ns1 AAAA 2001:db8::53
mail A 192.0.2.25
alias CNAME www
www A 192.0.2.80
_sip._udp SRV 10 60 5060 sip.example.com.
naptr NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
ptr PTR www
sshfp SSHFP 4 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_443._tcp TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
svc SVCB 1 www alpn=h2,h3 port=8443 ipv4hint=192.0.2.1
https HTTPS 1 . alpn=h2 ech=AEX+DQBB
sub NS ns.sub
sub DS 12345 13 2 3490A6806D47F17A34C29E2CE80E8A999FFBE4BE3490A6806D47F17A34C29E2C
ns.sub A 192.0.2.99
unknown TYPE65534 \\# 2 abcd
""",
    "escapes.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
@ 60 NS ns1
ns1 60 A 192.0.2.1
a\\.b 60 TXT "dot inside a label"
\\065\\066 60 TXT "decimal escapes" "quote \\" inside"
*.wild 60 A 192.0.2.2
a.b.c.ent 60 A 192.0.2.3
""",
    "relative_ttl.zone": """$TTL 1h
$ORIGIN example.com.
@ SOA ns1 hostmaster 1 1d 2h 4w 1h
  NS ns1
ns1 1w A 192.0.2.1
www 300 IN A 192.0.2.2
www 600 IN A 192.0.2.3
""",
    "err_cname_and_data.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
@ 60 NS ns1
www 60 CNAME other
www 60 A 192.0.2.1
""",
    "err_no_soa.zone": """$ORIGIN example.com.
@ 60 NS ns1
ns1 60 A 192.0.2.1
""",
    "err_no_ns.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
""",
    "err_outside.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
@ 60 NS ns1
www.example.org. 60 A 192.0.2.1
""",
    "err_bad_rdata.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
@ 60 NS ns1
www 60 A 192.0.2.300
""",
    "err_two_soa.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
@ 60 SOA ns2 h 1 2 3 4 5
@ 60 NS ns1
""",
    "err_soa_below_apex.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 5
@ 60 NS ns1
sub 60 SOA ns1 h 1 2 3 4 5
""",
    "err_syntax.zone": """$ORIGIN example.com.
@ 60 SOA ns1 h 1 2 3 4 (
@ 60 NS ns1
""",
    "empty.zone": "",
}


def write(target, items, binary=True):
    d = os.path.join(CORPUS, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in items.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data if binary else data.encode())


if __name__ == "__main__":
    msgs = dict(queries)
    msgs.update(hostile)
    write("fuzz_msg", msgs)
    write("fuzz_answer", msgs)
    write("fuzz_zone", zones, binary=False)
    for t in ("fuzz_msg", "fuzz_answer", "fuzz_zone"):
        print(t, len(os.listdir(os.path.join(CORPUS, t))), "seeds")
