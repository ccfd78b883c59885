"""ChangeResourceRecordSets / GetChange: CREATE, UPSERT and DELETE per type with dig confirming
each change at once, every InvalidChangeBatch message of route53-api.md section 3 (exact text),
all problems of a batch reported together, all-or-nothing batches, the apex SOA/NS rules,
Route 53's name form, the request quotas, and `aws route53 wait resource-record-sets-changed`."""

import botocore.exceptions
import pytest

from r53util import (assert_messages, batch_error, change, expect_error, find,
                     list_rrsets, new_zone, rrset, uniq, values, wait_insync)


def applied(api, r53, resp):
    """A change the API accepted is INSYNC (every DNS worker serves it) — at once here."""
    ci = resp["ChangeInfo"]
    assert ci["Id"].startswith("/change/C"), ci
    assert ci["Status"] in ("PENDING", "INSYNC"), ci
    assert wait_insync(r53, ci["Id"], timeout=2.0) == "INSYNC", ci
    return ci


# Type, values to CREATE, what dig prints for them, values to UPSERT, dig after UPSERT
TYPES = [
    ("A", ["192.0.2.1", "192.0.2.2"], None, ["198.51.100.7"], None),
    ("AAAA", ["2001:db8::1"], None, ["2001:db8:0:0:0:0:0:2"], ["2001:db8::2"]),
    ("CNAME", ["target.example.net."], None, ["other.example.org."], None),
    ("MX", ["10 mail.example.com.", "20 mx2.example.com."], None, ["5 mx.example.org."], None),
    ("TXT", ['"hello world" "second string"', '"v=spf1 -all"'], None,
     ['"Case Preserved"'], None),
    ("SRV", ["10 20 5060 sip.example.com."], None, ["0 5 443 www.example.com."], None),
    ("CAA", ['0 issue "letsencrypt.org"'], None, ['0 issuewild ";"'], None),
    ("PTR", ["host.example.com."], None, ["host2.example.com."], None),
    ("NAPTR", ['100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .'], None,
     ['100 20 "s" "SIP+D2U" "" _sip._udp.example.com.'], None),
    ("SPF", ['"v=spf1 ip4:192.0.2.0/24 -all"'], None, ['"v=spf1 -all"'], None),
    ("DS", ["12345 13 2 " + "AB" * 32], ["12345 13 2 " + "AB" * 32], None, None),
]


@pytest.mark.parametrize("rdtype,vals,dug,upvals,updug", TYPES, ids=[t[0] for t in TYPES])
def test_create_upsert_delete_each_type(api, r53, zone, rdtype, vals, dug, upvals, updug):
    name = "%s.%s" % (uniq("r"), zone["name"])
    if rdtype == "DS":
        name = "sub%s" % name  # DS sits at a delegation point
        change(r53, zone["id"], ("CREATE", rrset(name, "NS", 300, "ns1.example.net.")))
    ci = applied(api, r53, change(r53, zone["id"], ("CREATE", rrset(name, rdtype, 300, *vals)),
                                  comment="create %s" % rdtype))
    assert ci.get("Comment") == "create %s" % rdtype
    rs = find(list_rrsets(r53, zone["id"]), name, rdtype)
    assert rs is not None and rs["TTL"] == 300 and values(rs) == sorted(vals), rs
    d = api.dig(name, rdtype)
    assert d.status == "NOERROR" and "aa" in d.flags, d
    want = sorted(dug or vals)
    if rdtype == "DS":
        got = sorted(" ".join(x.split()[:3] + ["".join(x.split()[3:]).upper()])
                     for x in d.rdatas("DS"))
        assert got == want, d
    else:
        assert d.rdatas(rdtype) == want, d
        assert {r[1] for r in d.answer} == {300}, d
    if upvals:
        applied(api, r53, change(r53, zone["id"], ("UPSERT", rrset(name, rdtype, 120, *upvals))))
        rs = find(list_rrsets(r53, zone["id"]), name, rdtype)
        assert rs["TTL"] == 120 and values(rs) == sorted(upvals), rs
        d = api.dig(name, rdtype)
        assert d.rdatas(rdtype) == sorted(updug or upvals), d
        assert {r[1] for r in d.answer} == {120}, d
        vals = upvals
        ttl = 120
    else:
        ttl = 300
    applied(api, r53, change(r53, zone["id"], ("DELETE", rrset(name, rdtype, ttl, *vals))))
    assert find(list_rrsets(r53, zone["id"]), name, rdtype) is None
    d = api.dig(name, rdtype)
    assert not d.rdatas(rdtype), d
    if rdtype != "DS":
        assert d.status == "NXDOMAIN", d


def test_upsert_creates(api, r53, zone):
    name = "up." + zone["name"]
    applied(api, r53, change(r53, zone["id"], ("UPSERT", rrset(name, "A", 60, "192.0.2.99"))))
    assert api.dig(name).rdatas("A") == ["192.0.2.99"]


def test_wildcard_and_names_stored_lower_case_escaped(api, r53, zone):
    z = zone["name"]
    upper = z.rstrip(".").upper()
    change(r53, zone["id"],
           ("CREATE", rrset("*.WildCard." + upper, "A", 60, "192.0.2.42")),
           ("CREATE", rrset("MiXeD." + upper, "TXT", 60, '"Keep THIS case"')),
           ("CREATE", rrset("_sip._udp." + z, "SRV", 60, "1 1 5060 sip.example.com.")))
    got = {(rs["Name"], rs["Type"]) for rs in list_rrsets(r53, zone["id"])}
    assert ("\\052.wildcard." + z, "A") in got, got
    assert ("mixed." + z, "TXT") in got, got
    assert ("_sip._udp." + z, "SRV") in got, got
    txt = find(list_rrsets(r53, zone["id"]), "mixed." + z, "TXT")
    assert values(txt) == ['"Keep THIS case"']
    d = api.dig("anything.wildcard." + z, "A")
    assert d.status == "NOERROR" and d.answer == [("anything.wildcard." + z, 60, "A",
                                                   "192.0.2.42")], d
    # the escaped form names the same rrset
    applied(api, r53, change(r53, zone["id"],
                             ("DELETE", rrset("\\052.wildcard." + z, "A", 60, "192.0.2.42"))))
    assert api.dig("anything.wildcard." + z, "A").status == "NXDOMAIN"


def test_apex_soa_ns_upsert_allowed_delete_refused(api, r53, zone):
    z = zone["name"]
    rrs = list_rrsets(r53, zone["id"])
    soa = find(rrs, z, "SOA")
    ns = find(rrs, z, "NS")
    f = values(soa)[0].split()
    new_soa = " ".join(f[:2] + ["2", "3600", "600", "604800", "300"])
    applied(api, r53, change(r53, zone["id"], ("UPSERT", rrset(z, "SOA", 600, new_soa))))
    got = find(list_rrsets(r53, zone["id"]), z, "SOA")
    assert values(got) == [new_soa] and got["TTL"] == 600, got
    d = api.dig(z, "SOA")
    assert d.answer and d.answer[0][3].split()[3:] == ["3600", "600", "604800", "300"], d
    new_ns = ["ns-a.example.net.", "ns-b.example.org."]
    applied(api, r53, change(r53, zone["id"], ("UPSERT", rrset(z, "NS", 3600, *new_ns))))
    assert api.dig(z, "NS").rdatas("NS") == new_ns
    before = list_rrsets(r53, zone["id"])
    batch_error(r53, zone["id"], ("DELETE", rrset(z, "SOA", 600, new_soa)))
    batch_error(r53, zone["id"], ("DELETE", rrset(z, "NS", 3600, *new_ns)))
    # a second SOA cannot be created either
    batch_error(r53, zone["id"], ("CREATE", rrset("x." + z, "SOA", 600, new_soa)))
    assert list_rrsets(r53, zone["id"]) == before
    assert api.dig(z, "NS").rdatas("NS") == new_ns
    # put the defaults back (the values of the original rrsets are echoed verbatim)
    applied(api, r53, change(r53, zone["id"], ("UPSERT", soa), ("UPSERT", ns)))
    assert list_rrsets(r53, zone["id"]) == rrs


# -- InvalidChangeBatch: each message of route53-api.md section 3, exact ------------------

def test_create_existing(api, r53, zone):
    n = "www." + zone["name"]
    change(r53, zone["id"], ("CREATE", rrset(n, "A", 60, "192.0.2.1")))
    msg = batch_error(r53, zone["id"], ("CREATE", rrset(n, "A", 60, "192.0.2.2")))
    assert msg == "[Tried to create resource record set [name='%s', type='A'] but it already " \
                  "exists]" % n
    assert api.dig(n).rdatas("A") == ["192.0.2.1"]


def test_delete_not_found(api, r53, zone):
    n = "gone." + zone["name"]
    msg = batch_error(r53, zone["id"], ("DELETE", rrset(n, "A", 60, "192.0.2.1")))
    assert msg == "[Tried to delete resource record set [name='%s', type='A'] but it was not " \
                  "found]" % n


@pytest.mark.parametrize("ttl,vals", [(61, ["192.0.2.1", "192.0.2.2"]), (60, ["192.0.2.1"]),
                                      (60, ["192.0.2.1", "192.0.2.3"])],
                         ids=["ttl", "fewer-values", "other-value"])
def test_delete_values_mismatch(api, r53, zone, ttl, vals):
    n = "m." + zone["name"]
    change(r53, zone["id"], ("CREATE", rrset(n, "A", 60, "192.0.2.1", "192.0.2.2")))
    msg = batch_error(r53, zone["id"], ("DELETE", rrset(n, "A", ttl, *vals)))
    assert msg == "[Tried to delete resource record set [name='%s', type='A'] but the values " \
                  "provided do not match the current values]" % n
    assert api.dig(n).rdatas("A") == ["192.0.2.1", "192.0.2.2"]


@pytest.mark.parametrize("outside", ["foo.example.org.", "x{zone}", "{zone_nodot}x.com."])
def test_name_not_in_zone(api, r53, zone, outside):
    z = zone["name"]
    n = outside.format(zone=z, zone_nodot=z.rstrip("."))
    msg = batch_error(r53, zone["id"], ("CREATE", rrset(n, "A", 60, "192.0.2.1")))
    assert msg == "[RRSet with DNS name %s is not permitted in zone %s]" % (n, z)


def test_cname_conflicts(api, r53, zone):
    z = zone["name"]
    n = "www." + z
    change(r53, zone["id"], ("CREATE", rrset(n, "A", 60, "192.0.2.1")))
    msg = batch_error(r53, zone["id"], ("CREATE", rrset(n, "CNAME", 60, "t.example.net.")))
    assert msg == "[RRSet of type CNAME with DNS name %s is not permitted as it conflicts with " \
                  "other records with the same DNS name in zone %s]" % (n, z)
    c = "c." + z
    change(r53, zone["id"], ("CREATE", rrset(c, "CNAME", 60, "t.example.net.")))
    msg = batch_error(r53, zone["id"], ("CREATE", rrset(c, "A", 60, "192.0.2.1")))
    assert msg == "[RRSet of type A with DNS name %s is not permitted because a conflicting " \
                  "RRSet of type CNAME with the same DNS name already exists in zone %s]" % (c, z)
    d = api.dig(c, "A")
    assert d.rdatas("CNAME") == ["t.example.net."] and not d.rdatas("A"), d


def test_cname_rules(api, r53, zone):
    z = zone["name"]
    batch_error(r53, zone["id"], ("CREATE", rrset(z, "CNAME", 60, "t.example.net.")))
    batch_error(r53, zone["id"], ("CREATE", rrset("two." + z, "CNAME", 60, "a.example.net.",
                                                  "b.example.net.")))


@pytest.mark.parametrize("rdtype,value,code,text", [
    ("A", "192.0.2.256", "ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address"),
    ("A", "not-an-ip", "ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address"),
    ("A", "192.0.2.1 192.0.2.2", "ARRDATANotSingleField", "Value contains spaces"),
    ("TXT", "hello", "InvalidCharacterString", "Value should be enclosed in quotation marks"),
    ("SPF", "v=spf1 -all", "InvalidCharacterString",
     "Value should be enclosed in quotation marks"),
])
def test_bad_value_messages(api, r53, zone, rdtype, value, code, text):
    n = "v." + zone["name"]
    msg = batch_error(r53, zone["id"], ("CREATE", rrset(n, rdtype, 60, value)))
    assert msg == "[Invalid Resource Record: FATAL problem: %s (%s) encountered with '%s']" % (
        code, text, value)
    assert api.dig(n, rdtype).status == "NXDOMAIN"


@pytest.mark.parametrize("rdtype,value", [
    ("AAAA", "2001:db8::zz"), ("AAAA", "192.0.2.1"), ("MX", "mail.example.com."),
    ("MX", "70000 mail.example.com."), ("SRV", "1 2 mail.example.com."),
    ("CAA", '256 issue "x"'),
    ("TXT", '"' + "x" * 256 + '"'),  # one string of 256 characters (255 is the most)
    ("TXT", '"line\nbreak"'), ("TXT", '"nul\x01byte"'),
    ("CNAME", "two words.example.com."),
], ids=["AAAA-hex", "AAAA-v4", "MX-no-pref", "MX-pref-70000", "SRV-3-fields", "CAA-flags-256",
        "TXT-string-256", "TXT-newline", "TXT-control-char", "CNAME-space"])
def test_bad_values_refused(api, r53, zone, rdtype, value):
    n = "bad." + zone["name"]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("CREATE", rrset(n, rdtype, 60, value)))
    err = ei.value.response["Error"]
    assert err["Code"] in ("InvalidChangeBatch", "InvalidInput"), err
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert find(list_rrsets(r53, zone["id"]), n, rdtype) is None
    assert api.dig(n, rdtype).status == "NXDOMAIN"
    # the zone is still served whole
    assert api.dig(zone["name"], "SOA", tcp=True).status == "NOERROR"


def test_all_problems_reported_together(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("exists." + z, "A", 60, "192.0.2.1")))
    expected = [
        "Tried to create resource record set [name='exists.%s', type='A'] but it already "
        "exists" % z,
        "Tried to delete resource record set [name='missing.%s', type='A'] but it was not "
        "found" % z,
        "Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address (Value is not a "
        "valid IPv4 address) encountered with '300.1.1.1'",
        "RRSet with DNS name foo.example.org. is not permitted in zone %s" % z,
    ]
    msg = batch_error(r53, zone["id"],
                      ("CREATE", rrset("good1." + z, "A", 60, "192.0.2.10")),
                      ("CREATE", rrset("exists." + z, "A", 60, "192.0.2.2")),
                      ("DELETE", rrset("missing." + z, "A", 60, "192.0.2.3")),
                      ("CREATE", rrset("badip." + z, "A", 60, "300.1.1.1")),
                      ("CREATE", rrset("foo.example.org.", "A", 60, "192.0.2.4")),
                      ("CREATE", rrset("good2." + z, "TXT", 60, '"fine"')))
    assert_messages(msg, expected)
    names = {rs["Name"] for rs in list_rrsets(r53, zone["id"])}
    assert names == {z, "exists." + z}, names


def test_all_or_nothing(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("keep." + z, "A", 60, "192.0.2.1")),
           ("CREATE", rrset("del." + z, "TXT", 60, '"still here"')))
    before = list_rrsets(r53, zone["id"])
    msg = batch_error(r53, zone["id"],
                      ("UPSERT", rrset("keep." + z, "A", 60, "192.0.2.200")),
                      ("DELETE", rrset("del." + z, "TXT", 60, '"still here"')),
                      ("CREATE", rrset("new1." + z, "A", 60, "192.0.2.201")),
                      ("CREATE", rrset("new2." + z, "MX", 60, "10 mx.example.com.")),
                      ("CREATE", rrset("bad." + z, "A", 60, "192.0.2")))
    assert msg == "[Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address (Value " \
                  "is not a valid IPv4 address) encountered with '192.0.2']"
    assert list_rrsets(r53, zone["id"]) == before
    assert api.dig("keep." + z).rdatas("A") == ["192.0.2.1"]
    assert api.dig("del." + z, "TXT").rdatas("TXT") == ['"still here"']
    for n, t in (("new1." + z, "A"), ("new2." + z, "MX"), ("bad." + z, "A")):
        assert api.dig(n, t).status == "NXDOMAIN"


def test_batch_is_applied_in_order(api, r53, zone):
    """Delete a CNAME and create an A at the same name in one batch (the documented example);
    the same rrset twice in one batch (create then delete, or two deletes) is refused, as AWS
    does ("The request contains an invalid set of changes for a resource record set ...")."""
    z = zone["name"]
    n = "swap." + z
    change(r53, zone["id"], ("CREATE", rrset(n, "CNAME", 60, "t.example.net.")))
    applied(api, r53, change(r53, zone["id"], ("DELETE", rrset(n, "CNAME", 60, "t.example.net.")),
                             ("CREATE", rrset(n, "A", 60, "192.0.2.5"))))
    d = api.dig(n, "A")
    assert d.rdatas("A") == ["192.0.2.5"] and not d.rdatas("CNAME"), d
    batch_error(r53, zone["id"], ("CREATE", rrset("tmp." + z, "A", 60, "192.0.2.6")),
                ("DELETE", rrset("tmp." + z, "A", 60, "192.0.2.6")))
    assert api.dig("tmp." + z).status == "NXDOMAIN"
    batch_error(r53, zone["id"], ("DELETE", rrset(n, "A", 60, "192.0.2.5")),
                ("DELETE", rrset(n, "A", 60, "192.0.2.5")))
    assert api.dig(n, "A").rdatas("A") == ["192.0.2.5"]


def test_invalid_input_structure(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("s." + z, "A", 60, "192.0.2.1")))
    # DELETE without TTL: none of [AliasTarget, TTL+ResourceRecords, TrafficPolicyInstanceId]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("DELETE", {"Name": "s." + z, "Type": "A",
                                            "ResourceRecords": [{"Value": "192.0.2.1"}]}))
    err = ei.value.response["Error"]
    assert err["Code"] == "InvalidInput", err
    assert err["Message"].startswith(
        "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
        "ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with "
        "[Action=DELETE, Name="), err
    assert "Type=A, SetIdentifier=null]" in err["Message"], err
    # both an alias target and records: more than one
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        rs = rrset("s2." + z, "A", 60, "192.0.2.1")
        rs["AliasTarget"] = {"HostedZoneId": zone["id"], "DNSName": "s." + z,
                             "EvaluateTargetHealth": False}
        change(r53, zone["id"], ("CREATE", rs))
    err = ei.value.response["Error"]
    assert err["Code"] == "InvalidInput" and "but found more than one in Change with " \
        "[Action=CREATE, Name=" in err["Message"], err
    # an empty label
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("CREATE", rrset("a.." + z, "A", 60, "192.0.2.1")))
    err = ei.value.response["Error"]
    assert err["Code"] == "InvalidInput", err
    assert "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with '" in \
        err["Message"], err
    # an Action outside the enumeration: a schema error
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("FOO", rrset("f." + z, "A", 60, "192.0.2.1")))
    err = ei.value.response["Error"]
    assert err["Code"] == "InvalidInput", err
    assert err["Message"] == (
        "Invalid XML ; cvc-enumeration-valid: Value 'FOO' is not facet-valid with respect to "
        "enumeration '[CREATE, DELETE, UPSERT]'. It must be a value from the enumeration."), err
    # a TTL out of range
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("CREATE", rrset("t." + z, "A", 2147483648, "192.0.2.1")))
    assert ei.value.response["Error"]["Code"] in ("InvalidInput", "InvalidChangeBatch")
    names = {rs["Name"] for rs in list_rrsets(r53, zone["id"])}
    assert names == {z, "s." + z}, names


def test_unknown_zone_and_change(api, r53):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, "ZNOSUCHZONE0000000000", ("CREATE", rrset("a.example.com.", "A", 60,
                                                              "192.0.2.1")))
    err = ei.value.response["Error"]
    assert err["Code"] == "NoSuchHostedZone", err
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err["Message"] == "No hosted zone found with ID: ZNOSUCHZONE0000000000"
    expect_error(r53.get_change, "NoSuchChange", 404, Id="CNOSUCHCHANGE00000000")


# -- request quotas (route53-api.md 3.1 step 3 and 3.6) -------------------------------------

def _many(z, n, prefix="q"):
    return [rrset("%s%d.%s" % (prefix, i, z), "A", 60, "10.0.%d.%d" % (i // 250, i % 250 + 1))
            for i in range(n)]


def test_quota_1000_records_upsert_counts_double(api, r53):
    z = new_zone(r53)
    applied(api, r53, change(r53, z["id"], *[("CREATE", rs) for rs in _many(z["name"], 1000)]))
    assert api.dig("q999." + z["name"]).rdatas("A") == ["10.0.3.250"]
    batch_error(r53, z["id"], *[("CREATE", rs) for rs in _many(z["name"], 1001, "r")])
    # UPSERT counts twice: 501 UPSERTs are 1,002 records
    batch_error(r53, z["id"], *[("UPSERT", rs) for rs in _many(z["name"], 501, "u")])
    applied(api, r53, change(r53, z["id"], *[("UPSERT", rs) for rs in _many(z["name"], 500,
                                                                             "u")]))
    assert api.dig("r0." + z["name"]).status == "NXDOMAIN"
    assert api.dig("u499." + z["name"]).rdatas("A") == ["10.0.1.250"]


def test_quota_32000_characters(api, r53, zone):
    z = zone["name"]
    big = '"%s"' % ("a" * 250)
    vals = [" ".join([big] * 15)]  # 3,794 characters per value
    assert len(vals[0]) < 4000
    sets = [rrset("c%d.%s" % (i, z), "TXT", 60, *vals) for i in range(9)]  # 34,146 characters
    batch_error(r53, zone["id"], *[("CREATE", rs) for rs in sets])
    batch_error(r53, zone["id"], *[("UPSERT", rs) for rs in sets[:5]])  # 18,970 x 2
    applied(api, r53, change(r53, zone["id"], *[("CREATE", rs) for rs in sets[:5]]))
    d = api.dig("c4." + z, "TXT", tcp=True)
    assert d.status == "NOERROR" and len(d.answer) == 1, d


def test_quota_400_values_per_rrset(api, r53, zone):
    vals = ["10.1.%d.%d" % (i // 200, i % 200 + 1) for i in range(401)]
    batch_error(r53, zone["id"], ("CREATE", rrset("w." + zone["name"], "A", 60, *vals)))
    applied(api, r53, change(r53, zone["id"], ("CREATE", rrset("w." + zone["name"], "A", 60,
                                                               *vals[:400]))))
    d = api.dig("w." + zone["name"], "A", tcp=True)
    assert len(d.rdatas("A")) == 400, d


# -- GetChange and the waiter --------------------------------------------------------------

def test_get_change_insync_and_dig(api, r53, zone):
    z = zone["name"]
    for i in range(20):
        resp = change(r53, zone["id"], ("UPSERT", rrset("g." + z, "A", 60, "192.0.2.%d" % (i + 1))))
        # the DNS answer is there as soon as the API has answered
        assert api.dig("g." + z).rdatas("A") == ["192.0.2.%d" % (i + 1)]
        ci = r53.get_change(Id=resp["ChangeInfo"]["Id"])["ChangeInfo"]
        assert ci["Status"] == "INSYNC", ci
        assert ci["Id"] == resp["ChangeInfo"]["Id"]
    # the bare id works as well
    assert r53.get_change(Id=resp["ChangeInfo"]["Id"].split("/")[-1])["ChangeInfo"]["Status"] \
        == "INSYNC"
    r53.get_waiter("resource_record_sets_changed").wait(Id=resp["ChangeInfo"]["Id"],
                                                        WaiterConfig={"Delay": 1,
                                                                      "MaxAttempts": 5})


def test_cli_changes_and_wait(api, r53, zone, cli):
    z = zone["name"]
    n = "cli%s.%s" % (cli.version, z)
    batch = cli.batch_arg([("CREATE", rrset(n, "A", 300, "192.0.2.77")),
                           ("CREATE", rrset(n, "TXT", 300, '"from the %s cli"' % cli.version))],
                          comment="cli batch")
    out = cli.json("change-resource-record-sets", "--hosted-zone-id", zone["id"],
                   "--change-batch", batch)
    cid = out["ChangeInfo"]["Id"]
    assert out["ChangeInfo"].get("Comment") == "cli batch"
    w = cli.run("wait", "resource-record-sets-changed", "--id", cid, timeout=120)
    assert w.rc == 0, w
    assert cli.json("get-change", "--id", cid)["ChangeInfo"]["Status"] == "INSYNC"
    assert api.dig(n, "A").rdatas("A") == ["192.0.2.77"]
    assert api.dig(n, "TXT").rdatas("TXT") == ['"from the %s cli"' % cli.version]
    # the batch form from a file, as the AWS docs show it
    f = cli.tmp / "batch.json"
    f.write_text(cli.batch_arg([("UPSERT", rrset(n, "A", 300, "192.0.2.78"))]))
    cli.json("change-resource-record-sets", "--hosted-zone-id", zone["id"],
             "--change-batch", "file://%s" % f)
    assert api.dig(n, "A").rdatas("A") == ["192.0.2.78"]
    # an InvalidChangeBatch as the CLI prints it
    r = cli.run("change-resource-record-sets", "--hosted-zone-id", zone["id"],
                "--change-batch", cli.batch_arg([("CREATE", rrset(n, "A", 300, "192.0.2.1"))]))
    assert r.rc != 0
    # (the CLI adds " (reached max retries: 0)" after "operation" as retries are off here)
    assert "An error occurred (InvalidChangeBatch) when calling the ChangeResourceRecordSets " \
        "operation" in r.stderr, r
    assert ": [Tried to create resource record set [name='%s', type='A'] but it " \
        "already exists]" % n in r.stderr, r
    r = cli.run("change-resource-record-sets", "--hosted-zone-id", zone["id"],
                "--change-batch", cli.batch_arg([("DELETE", rrset(n, "A", 300, "192.0.2.78")),
                                                 ("DELETE", rrset(n, "TXT", 300,
                                                                  '"from the %s cli"' %
                                                                  cli.version))]))
    assert r.rc == 0, r
    assert api.dig(n, "A").status == "NXDOMAIN"
    lst = cli.json("list-resource-record-sets", "--hosted-zone-id", zone["id"])
    assert [rs["Type"] for rs in lst["ResourceRecordSets"]] == ["NS", "SOA"]
