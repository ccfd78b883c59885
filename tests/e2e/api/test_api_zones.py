"""Hosted zones through boto3 and both aws CLIs: create / get / list / list by name / count /
update comment / delete, the apex SOA and NS of a new zone, and dig at the DNS port answering
for a zone right after it was created."""

import re

import botocore.exceptions
import pytest
import xml.etree.ElementTree as ET


from r53util import (NS_URI, send, sign, bare, change, expect_error, find, list_rrsets,
                     new_zone, rrset, sort_key, uniq, values)

ZONE_ID = re.compile(r"^/hostedzone/Z[A-Z0-9]{1,31}$")
CHANGE_ID = re.compile(r"^/change/C[A-Z0-9]{1,31}$")


def test_create_hosted_zone_shape(api, r53):
    name = uniq("MiXed") + ".Example.COM"  # no trailing dot, mixed case
    ref = uniq("ref-")
    resp = r53.create_hosted_zone(Name=name, CallerReference=ref,
                                  HostedZoneConfig={"Comment": "first zone",
                                                    "PrivateZone": False})
    meta = resp["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 201
    hz = resp["HostedZone"]
    assert ZONE_ID.match(hz["Id"]), hz["Id"]
    assert meta["HTTPHeaders"].get("location", "").endswith(
        "/2013-04-01/hostedzone/" + bare(hz["Id"])), meta["HTTPHeaders"]
    assert meta["HTTPHeaders"].get("x-amzn-requestid") or meta.get("RequestId")
    assert hz["Name"] == name.lower() + "."
    assert hz["CallerReference"] == ref
    assert hz["Config"] == {"Comment": "first zone", "PrivateZone": False}
    assert hz["ResourceRecordSetCount"] == 2
    ci = resp["ChangeInfo"]
    assert CHANGE_ID.match(ci["Id"]), ci
    assert ci["Status"] in ("PENDING", "INSYNC")
    assert ci["SubmittedAt"].year >= 2024
    ds = resp["DelegationSet"]
    assert "Id" not in ds, "a zone's own delegation set has no Id: %r" % ds
    ns = ds["NameServers"]
    assert len(ns) == 4 and len(set(ns)) == 4, ns
    for n in ns:
        assert not n.endswith("."), "DelegationSet.NameServers carry no trailing dot: %r" % ns
    # GetChange knows the creation's change and reaches INSYNC.
    assert r53.get_change(Id=ci["Id"])["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")


def test_apex_soa_and_ns_records(api, r53, zone):
    ns = zone["resp"]["DelegationSet"]["NameServers"]
    rrsets = list_rrsets(r53, zone["id"])
    assert [(rs["Name"], rs["Type"]) for rs in rrsets] == [
        (zone["name"], "NS"), (zone["name"], "SOA")]
    nsrs = find(rrsets, zone["name"], "NS")
    assert nsrs["TTL"] == 172800
    assert values(nsrs) == sorted(n + "." for n in ns)
    soa = find(rrsets, zone["name"], "SOA")
    assert soa["TTL"] == 900
    f = values(soa)[0].split()
    assert len(f) == 7, soa
    assert f[0] in [n + "." for n in ns], soa
    assert f[1].endswith("."), soa
    assert f[2:] == ["1", "7200", "900", "1209600", "86400"], soa


def test_dig_answers_new_zone_at_once(api, r53):
    z = new_zone(r53)
    ns = sorted(n + "." for n in z["resp"]["DelegationSet"]["NameServers"])
    d = api.dig(z["name"], "SOA")
    assert d.status == "NOERROR" and "aa" in d.flags, d
    assert len(d.answer) == 1 and d.answer[0][2] == "SOA" and d.answer[0][1] == 900, d
    soa = find(list_rrsets(r53, z["id"]), z["name"], "SOA")
    mname, rname = values(soa)[0].split()[:2]
    got = d.answer[0][3].split()
    assert got[0] == mname and got[1] == rname, d
    assert got[3:] == ["7200", "900", "1209600", "86400"], d
    d = api.dig(z["name"], "NS")
    assert d.status == "NOERROR" and "aa" in d.flags, d
    assert d.rdatas("NS") == ns and {r[1] for r in d.answer} == {172800}, d
    d = api.dig("nothing-here." + z["name"], "A", tcp=True)
    assert d.status == "NXDOMAIN" and "aa" in d.flags, d


def test_caller_reference_reuse_and_same_name(api, r53):
    name = "%s.example.com." % uniq("dup")
    ref = uniq("ref-")
    a = r53.create_hosted_zone(Name=name, CallerReference=ref)
    err = expect_error(r53.create_hosted_zone, "HostedZoneAlreadyExists", 409, Name=name,
                       CallerReference=ref)
    assert err["Message"]
    # The reused reference is refused even for a different name.
    expect_error(r53.create_hosted_zone, "HostedZoneAlreadyExists", 409,
                 Name="other-" + name, CallerReference=ref)
    # The same name with a new reference is a second, distinct zone.
    b = r53.create_hosted_zone(Name=name, CallerReference=uniq("ref-"))
    assert b["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert a["HostedZone"]["Id"] != b["HostedZone"]["Id"]
    assert a["HostedZone"]["Name"] == b["HostedZone"]["Name"] == name
    both = r53.list_hosted_zones_by_name(DNSName=name, MaxItems="2")["HostedZones"]
    assert sorted(z["Id"] for z in both) == sorted([a["HostedZone"]["Id"],
                                                    b["HostedZone"]["Id"]])
    # DNS serves one of them (the oldest, by the design notes) for the name.
    d = api.dig(name, "SOA")
    assert d.status == "NOERROR" and d.answer, d


def test_private_zone_with_vpc(api, r53):
    name = "%s.internal.example.com." % uniq("priv")
    resp = r53.create_hosted_zone(Name=name, CallerReference=uniq("ref-"),
                                  VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0a1b2c3d"},
                                  HostedZoneConfig={"Comment": "private", "PrivateZone": True})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["HostedZone"]["Config"]["PrivateZone"] is True
    assert resp.get("VPC") == {"VPCRegion": "us-east-1", "VPCId": "vpc-0a1b2c3d"}, resp
    zid = bare(resp["HostedZone"]["Id"])
    got = r53.get_hosted_zone(Id=zid)
    assert got["HostedZone"]["Config"]["PrivateZone"] is True
    assert got["VPCs"] == [{"VPCRegion": "us-east-1", "VPCId": "vpc-0a1b2c3d"}], got
    # Terraform reads a private zone's name servers from its apex NS rrset.
    ns = r53.list_resource_record_sets(HostedZoneId=zid, StartRecordName=name,
                                       StartRecordType="NS", MaxItems="1")
    assert ns["ResourceRecordSets"][0]["Type"] == "NS"
    assert len(ns["ResourceRecordSets"][0]["ResourceRecords"]) >= 1
    # hostedzonetype=PrivateHostedZone (newer than Debian's botocore: sent by hand)
    status, _, body = send(api, *sign(api, "GET", "/2013-04-01/hostedzone",
                                      query="hostedzonetype=PrivateHostedZone"))
    assert status == 200, body
    root = ET.fromstring(body)
    zones = [z for z in root.iter() if z.tag.endswith("}HostedZone")]
    ids = [z.find("{%s}Id" % NS_URI).text for z in zones]
    privs = [z.find("{%s}Config/{%s}PrivateZone" % (NS_URI, NS_URI)).text for z in zones]
    assert resp["HostedZone"]["Id"] in ids, body
    assert set(privs) == {"true"}, body


def test_invalid_zone_names(api, r53):
    expect_error(r53.create_hosted_zone, "InvalidDomainName", 400, Name="com.",
                 CallerReference=uniq("ref-"))
    expect_error(r53.create_hosted_zone, "InvalidDomainName", 400,
                 Name="*.%s.example.com" % uniq("w"), CallerReference=uniq("ref-"))
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        r53.create_hosted_zone(Name="a..example.com", CallerReference=uniq("ref-"))
    assert ei.value.response["Error"]["Code"] in ("InvalidDomainName", "InvalidInput")
    # a name that is too long (a 64-octet label)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        r53.create_hosted_zone(Name="%s.example.com" % ("a" * 64), CallerReference=uniq("ref-"))
    assert ei.value.response["Error"]["Code"] in ("InvalidDomainName", "InvalidInput")


def test_get_hosted_zone(api, r53, zone):
    got = r53.get_hosted_zone(Id=zone["id"])
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["HostedZone"] == zone["resp"]["HostedZone"]
    assert got["DelegationSet"]["NameServers"] == zone["resp"]["DelegationSet"]["NameServers"]
    # the prefixed form of the id works in the URI too
    got2 = r53.get_hosted_zone(Id="/hostedzone/" + zone["id"])
    assert got2["HostedZone"]["Id"] == got["HostedZone"]["Id"]
    err = expect_error(r53.get_hosted_zone, "NoSuchHostedZone", 404, Id="ZNOSUCHZONE0000000000")
    assert err["Message"] == "No hosted zone found with ID: ZNOSUCHZONE0000000000"
    assert err.get("Type") == "Sender"


def test_update_hosted_zone_comment(api, r53, zone):
    r = r53.update_hosted_zone_comment(Id=zone["id"], Comment="a new comment")
    assert r["HostedZone"]["Config"]["Comment"] == "a new comment"
    assert r53.get_hosted_zone(Id=zone["id"])["HostedZone"]["Config"]["Comment"] == \
        "a new comment"
    r = r53.update_hosted_zone_comment(Id=zone["id"])  # no Comment: clears it
    assert "Comment" not in r["HostedZone"]["Config"], r
    assert "Comment" not in r53.get_hosted_zone(Id=zone["id"])["HostedZone"]["Config"]
    expect_error(r53.update_hosted_zone_comment, "NoSuchHostedZone", 404,
                 Id="ZNOSUCHZONE0000000000", Comment="x")


def test_count_and_delete(api, r53):
    before = r53.get_hosted_zone_count()["HostedZoneCount"]
    z = new_zone(r53)
    assert r53.get_hosted_zone_count()["HostedZoneCount"] == before + 1
    change(r53, z["id"], ("CREATE", rrset("www." + z["name"], "A", 60, "192.0.2.10")))
    err = expect_error(r53.delete_hosted_zone, "HostedZoneNotEmpty", 400, Id=z["id"])
    assert err["Message"] == \
        "The hosted zone contains resource records that are not SOA or NS records."
    assert api.dig("www." + z["name"], "A").rdatas("A") == ["192.0.2.10"]
    # a delegation is not SOA/NS of the apex either
    change(r53, z["id"], ("DELETE", rrset("www." + z["name"], "A", 60, "192.0.2.10")),
           ("CREATE", rrset("sub." + z["name"], "NS", 300, "ns1.example.net.")))
    expect_error(r53.delete_hosted_zone, "HostedZoneNotEmpty", 400, Id=z["id"])
    change(r53, z["id"], ("DELETE", rrset("sub." + z["name"], "NS", 300, "ns1.example.net.")))
    r = r53.delete_hosted_zone(Id=z["id"])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert CHANGE_ID.match(r["ChangeInfo"]["Id"]), r
    assert r["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")
    assert r53.get_change(Id=r["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] in (
        "PENDING", "INSYNC")
    assert r53.get_hosted_zone_count()["HostedZoneCount"] == before
    err = expect_error(r53.get_hosted_zone, "NoSuchHostedZone", 404, Id=z["id"])
    assert err["Message"] == "No hosted zone found with ID: %s" % z["id"]
    expect_error(r53.delete_hosted_zone, "NoSuchHostedZone", 404, Id=z["id"])
    expect_error(r53.list_resource_record_sets, "NoSuchHostedZone", 404, HostedZoneId=z["id"])
    d = api.dig(z["name"], "SOA")
    assert d.status == "REFUSED" and not d.answer, d


def test_list_hosted_zones_paging(api, r53):
    mine = [new_zone(r53)["resp"]["HostedZone"]["Id"] for _ in range(5)]
    total = r53.get_hosted_zone_count()["HostedZoneCount"]
    first = r53.list_hosted_zones(MaxItems="2")
    assert first["MaxItems"] == "2"
    assert "Marker" not in first or first["Marker"] == "", first
    seen = []
    page = first
    pages = 0
    while True:
        pages += 1
        assert len(page["HostedZones"]) <= 2
        seen.extend(z["Id"] for z in page["HostedZones"])
        if not page["IsTruncated"]:
            assert "NextMarker" not in page, page
            break
        nm = page["NextMarker"]
        assert not nm.startswith("/"), "NextMarker is a bare zone id: %r" % nm
        page = r53.list_hosted_zones(MaxItems="2", Marker=nm)
        assert page["Marker"] == nm
        # NextMarker is the id of the first zone of the next page
        assert bare(page["HostedZones"][0]["Id"]) == nm
        assert pages < 1000
    assert len(seen) == len(set(seen)) == total, (len(seen), len(set(seen)), total)
    assert set(mine) <= set(seen)
    # boto3's paginator
    ids = [z["Id"] for p in r53.get_paginator("list_hosted_zones").paginate(
        PaginationConfig={"PageSize": 3}) for z in p["HostedZones"]]
    assert ids == seen


def test_list_hosted_zones_by_name(api, r53):
    u = uniq("byn")
    names = ["%s-b.example.com." % u, "%s-c.example.net." % u, "%s-a.example.org." % u,
             "www.%s-b.example.com." % u]
    ids = {n: new_zone(r53, name=n)["id"] for n in names}
    allz = []
    kw = {}
    while True:
        page = r53.list_hosted_zones_by_name(MaxItems="3", **kw)
        assert page["MaxItems"] == "3"
        allz.extend(page["HostedZones"])
        if not page["IsTruncated"]:
            assert "NextDNSName" not in page and "NextHostedZoneId" not in page
            break
        kw = {"DNSName": page["NextDNSName"], "HostedZoneId": page["NextHostedZoneId"]}
    keys = [(sort_key(z["Name"]), bare(z["Id"])) for z in allz]
    assert keys == sorted(keys), "not in reversed-label order: %r" % [z["Name"] for z in allz]
    assert len({z["Id"] for z in allz}) == len(allz) == \
        r53.get_hosted_zone_count()["HostedZoneCount"]
    ours = [z["Name"] for z in allz if z["Name"] in names]
    assert ours == ["%s-b.example.com." % u, "www.%s-b.example.com." % u,
                    "%s-c.example.net." % u, "%s-a.example.org." % u], ours
    # DNSName is a start position, echoed; a name that is not a zone starts at the next one
    r = r53.list_hosted_zones_by_name(DNSName="%s-c.example.net" % u, MaxItems="1")
    assert r["DNSName"] in ("%s-c.example.net" % u, "%s-c.example.net." % u)
    assert r["HostedZones"][0]["Name"] == "%s-c.example.net." % u
    assert bare(r["HostedZones"][0]["Id"]) == ids["%s-c.example.net." % u]
    # a zone id without a name is refused
    expect_error(r53.list_hosted_zones_by_name, "InvalidInput", 400,
                 HostedZoneId=ids["%s-c.example.net." % u])
    r = r53.list_hosted_zones_by_name(DNSName="%s-bb.example.com." % u, MaxItems="100")
    assert sort_key(r["HostedZones"][0]["Name"]) >= sort_key("%s-bb.example.com." % u)


# -- the same through the aws CLIs ----------------------------------------------------------

def test_cli_zone_lifecycle(api, r53, cli):
    name = "%s.example.com" % uniq("cli" + cli.version)
    out = cli.json("create-hosted-zone", "--name", name, "--caller-reference", uniq("ref-"),
                   "--hosted-zone-config", "Comment=from the cli,PrivateZone=false")
    zid = bare(out["HostedZone"]["Id"])
    assert out["HostedZone"]["Name"] == name + "."
    assert len(out["DelegationSet"]["NameServers"]) == 4
    assert out["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")
    got = cli.json("get-hosted-zone", "--id", zid)
    assert got["HostedZone"]["Config"]["Comment"] == "from the cli"
    cnt = cli.json("get-hosted-zone-count")
    assert cnt["HostedZoneCount"] == r53.get_hosted_zone_count()["HostedZoneCount"]
    byname = cli.json("list-hosted-zones-by-name", "--dns-name", name, "--max-items", "1")
    assert byname["HostedZones"][0]["Name"] == name + "."
    upd = cli.json("update-hosted-zone-comment", "--id", zid, "--comment", "changed")
    assert upd["HostedZone"]["Config"]["Comment"] == "changed"
    upd = cli.json("update-hosted-zone-comment", "--id", zid)  # no --comment: cleared
    assert "Comment" not in upd["HostedZone"]["Config"], upd
    d = api.dig(name + ".", "NS")
    assert d.status == "NOERROR" and len(d.rdatas("NS")) == 4, d
    r = cli.json("delete-hosted-zone", "--id", zid)
    assert r["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")
    r = cli.run("get-hosted-zone", "--id", zid)
    assert r.rc != 0
    assert "NoSuchHostedZone" in r.stderr and "No hosted zone found with ID: %s" % zid in \
        r.stderr, r


def test_cli_list_hosted_zones_paginator(api, r53, cli):
    for _ in range(3):
        new_zone(r53)
    total = r53.get_hosted_zone_count()["HostedZoneCount"]
    for extra in ([], ["--page-size", "2"]):
        out = cli.json("list-hosted-zones", *extra)
        ids = [z["Id"] for z in out["HostedZones"]]
        assert len(ids) == len(set(ids)) == total, (extra, len(ids), len(set(ids)), total)
    out = cli.json("list-hosted-zones-by-name")  # (no paginator: one page of up to 100)
    names = [(sort_key(z["Name"]), bare(z["Id"])) for z in out["HostedZones"]]
    assert names == sorted(names) and len(names) == min(total, 100)


def test_cli_caller_reference_reused(api, cli):
    name = "%s.example.com" % uniq("cliref")
    ref = uniq("ref-")
    cli.json("create-hosted-zone", "--name", name, "--caller-reference", ref)
    r = cli.run("create-hosted-zone", "--name", name, "--caller-reference", ref)
    assert r.rc != 0 and "HostedZoneAlreadyExists" in r.stderr, r
