"""ListResourceRecordSets: Route 53's order (reversed labels, trailing dot, then type), the
start position (StartRecordName / StartRecordType), and pagination over a 5,003-rrset zone
with boto3's paginator and the aws CLIs' (every rrset exactly once, in order)."""

import botocore.exceptions
import pytest

from r53util import change, list_rrsets, new_zone, rrset, rrset_key, sort_key

N_BIG = 5001  # + apex NS and SOA = 5,003 rrsets


@pytest.fixture(scope="module")
def big_zone(api, r53):
    z = new_zone(r53)
    sets = []
    for i in range(N_BIG - 1):
        sets.append(rrset("h%05d.%s" % (i, z["name"]), "A", 300,
                          "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256)))
    sets.append(rrset("*.%s" % z["name"], "TXT", 300, '"wild"'))
    for i in range(0, len(sets), 1000):
        change(r53, z["id"], *[("CREATE", rs) for rs in sets[i:i + 1000]])
    z["count"] = N_BIG + 2
    return z


def _check_all(rrsets, z):
    keys = [rrset_key(rs) for rs in rrsets]
    assert len(keys) == z["count"], "got %d rrsets, expected %d" % (len(keys), z["count"])
    assert len(set(keys)) == len(keys), "duplicates: %d" % (len(keys) - len(set(keys)))
    assert keys == sorted(keys), "not in Route 53 order"


def test_order(api, r53, zone):
    z = zone["name"]
    names = ["a." + z, "a-b." + z, "b.a." + z, "*." + z, "0." + z, "_x." + z, "z." + z,
             "www.a." + z, "a.b." + z, "Upper." + z]
    change(r53, zone["id"], *[("CREATE", rrset(n, "TXT", 60, '"x"')) for n in names],
           ("CREATE", rrset("a." + z, "A", 60, "192.0.2.1")),
           ("CREATE", rrset("a." + z, "MX", 60, "10 a.example.com.")),
           ("CREATE", rrset(z, "A", 60, "192.0.2.2")),
           ("CREATE", rrset(z, "TXT", 60, '"apex"')),
           ("CREATE", rrset(z, "MX", 60, "10 mail.example.com.")))
    got = [(rs["Name"], rs["Type"]) for rs in list_rrsets(r53, zone["id"])]
    expected = sorted(got, key=lambda nt: (sort_key(nt[0]), nt[1]))
    assert got == expected
    # spelled out: apex A < MX < NS < SOA < TXT; "\052" and "0" and "_x" by ASCII;
    # a-b (com.example.a-b.) before a (com.example.a.) before a.b / b.a ...
    rel = [(n[:-len(z)] if n != z else "@", t) for n, t in got]
    assert rel[:5] == [("@", "A"), ("@", "MX"), ("@", "NS"), ("@", "SOA"), ("@", "TXT")], rel
    assert rel.index(("a-b.", "TXT")) < rel.index(("a.", "A")) < rel.index(("a.", "MX")) < \
        rel.index(("a.", "TXT")) < rel.index(("b.a.", "TXT")) < rel.index(("www.a.", "TXT")) < \
        rel.index(("a.b.", "TXT")), rel
    assert ("\\052.", "TXT") in rel and ("upper.", "TXT") in rel, rel


def test_start_record_name_and_type(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("m." + z, "A", 60, "192.0.2.1")),
           ("CREATE", rrset("m." + z, "TXT", 60, '"t"')),
           ("CREATE", rrset("n." + z, "A", 60, "192.0.2.2")))
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName="m." + z)
    assert [(rs["Name"], rs["Type"]) for rs in r["ResourceRecordSets"]] == [
        ("m." + z, "A"), ("m." + z, "TXT"), ("n." + z, "A")]
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName="M." + z,
                                      StartRecordType="MX")
    assert [(rs["Name"], rs["Type"]) for rs in r["ResourceRecordSets"]] == [
        ("m." + z, "TXT"), ("n." + z, "A")]
    # a name that does not exist is a position
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName="mm." + z)
    assert [(rs["Name"], rs["Type"]) for rs in r["ResourceRecordSets"]] == [("n." + z, "A")]
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName="m." + z,
                                      StartRecordType="A", MaxItems="1")
    assert r["IsTruncated"] is True and r["MaxItems"] == "1"
    assert r["NextRecordName"] == "m." + z and r["NextRecordType"] == "TXT", r
    assert "NextRecordIdentifier" not in r
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName="n." + z)
    assert r["IsTruncated"] is False
    assert "NextRecordName" not in r and "NextRecordType" not in r, r
    # a type without a name is refused
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordType="A")
    assert ei.value.response["Error"]["Code"] == "InvalidInput"


def test_maxitems_default_and_cap(api, r53, big_zone):
    r = r53.list_resource_record_sets(HostedZoneId=big_zone["id"])
    assert len(r["ResourceRecordSets"]) == 300 and r["IsTruncated"] is True
    assert r["MaxItems"] == "300"
    r = r53.list_resource_record_sets(HostedZoneId=big_zone["id"], MaxItems="1000")
    assert len(r["ResourceRecordSets"]) == 300 and r["IsTruncated"] is True


def test_boto3_paginator_5003(api, r53, big_zone):
    for size in (None, 300, 7):
        cfg = {"PageSize": size} if size else {}
        got = []
        pages = 0
        for page in r53.get_paginator("list_resource_record_sets").paginate(
                HostedZoneId=big_zone["id"], PaginationConfig=cfg):
            got.extend(page["ResourceRecordSets"])
            pages += 1
        _check_all(got, big_zone)
        assert pages >= big_zone["count"] // (size or 300)
    wild = [rs for rs in got if rs["Type"] == "TXT"]
    assert [rs["Name"] for rs in wild] == ["\\052." + big_zone["name"]]


def test_manual_paging_5003(api, r53, big_zone):
    got = []
    kw = {}
    while True:
        r = r53.list_resource_record_sets(HostedZoneId=big_zone["id"], MaxItems="300", **kw)
        got.extend(r["ResourceRecordSets"])
        if not r["IsTruncated"]:
            break
        kw = {"StartRecordName": r["NextRecordName"], "StartRecordType": r["NextRecordType"]}
        # Next* name the first rrset of the next page
        nxt = r53.list_resource_record_sets(HostedZoneId=big_zone["id"], MaxItems="1", **kw)
        first = nxt["ResourceRecordSets"][0]
        assert (first["Name"], first["Type"]) == (r["NextRecordName"], r["NextRecordType"])
    _check_all(got, big_zone)


def test_cli_paginator_5003(api, big_zone, cli):
    out = cli.json("list-resource-record-sets", "--hosted-zone-id", big_zone["id"])
    _check_all(out["ResourceRecordSets"], big_zone)
    out = cli.json("list-resource-record-sets", "--hosted-zone-id", big_zone["id"],
                   "--page-size", "100")
    _check_all(out["ResourceRecordSets"], big_zone)
    # --max-items stops with a NextToken, and --starting-token resumes exactly there
    a = cli.json("list-resource-record-sets", "--hosted-zone-id", big_zone["id"],
                 "--max-items", "2500")
    assert len(a["ResourceRecordSets"]) == 2500 and a.get("NextToken"), list(a)
    b = cli.json("list-resource-record-sets", "--hosted-zone-id", big_zone["id"],
                 "--starting-token", a["NextToken"])
    _check_all(a["ResourceRecordSets"] + b["ResourceRecordSets"], big_zone)


def test_dig_big_zone(api, big_zone):
    z = big_zone["name"]
    assert api.dig("h04999." + z).rdatas("A") == ["10.0.19.135"]
    assert api.dig("h00000." + z).rdatas("A") == ["10.0.0.0"]
    d = api.dig("nope." + z, "TXT")
    assert d.rdatas("TXT") == ['"wild"'], d
