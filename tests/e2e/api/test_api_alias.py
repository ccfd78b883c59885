"""Alias record sets: to a record in the same zone (and at the apex), to a record in another
hosted zone served here, answered by dig with the target's data under the alias's own name;
alias loops and dangling aliases refused with Route 53's error."""

import botocore.exceptions
import pytest

from r53util import alias, batch_error, change, find, list_rrsets, new_zone, rrset


def test_alias_same_zone(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("www." + z, "A", 300, "192.0.2.10", "192.0.2.11")),
           ("CREATE", rrset("www." + z, "AAAA", 300, "2001:db8::10")))
    resp = change(r53, zone["id"], ("CREATE", alias("web." + z, "A", zone["id"], "www." + z)),
                  ("CREATE", alias("web." + z, "AAAA", zone["id"], "WWW." + z.upper())))
    d = api.dig("web." + z, "A")
    assert d.status == "NOERROR" and "aa" in d.flags, d
    assert [(r[0], r[2]) for r in d.answer] == [("web." + z, "A")] * 2, d
    assert d.rdatas("A", owner="web." + z) == ["192.0.2.10", "192.0.2.11"], d
    d = api.dig("web." + z, "AAAA")
    assert d.rdatas("AAAA", owner="web." + z) == ["2001:db8::10"], d
    assert r53.get_change(Id=resp["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    rs = find(list_rrsets(r53, zone["id"]), "web." + z, "A")
    assert "TTL" not in rs and "ResourceRecords" not in rs, rs
    assert rs["AliasTarget"]["HostedZoneId"] == zone["id"]
    assert rs["AliasTarget"]["DNSName"] == "www." + z
    assert rs["AliasTarget"]["EvaluateTargetHealth"] is False
    # the answer follows the target when it changes
    change(r53, zone["id"], ("UPSERT", rrset("www." + z, "A", 300, "192.0.2.12")))
    assert api.dig("web." + z).rdatas("A") == ["192.0.2.12"]
    # no record of the type queried: NODATA at the alias name
    d = api.dig("web." + z, "MX")
    assert d.status == "NOERROR" and not d.answer, d
    # delete needs the exact alias target
    change(r53, zone["id"], ("DELETE", alias("web." + z, "AAAA", zone["id"], "www." + z)))
    d = api.dig("web." + z, "AAAA")
    assert not d.answer, d


def test_alias_at_apex(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("origin." + z, "A", 60, "192.0.2.50")))
    change(r53, zone["id"], ("CREATE", alias(z, "A", zone["id"], "origin." + z)))
    d = api.dig(z, "A")
    assert d.status == "NOERROR" and d.rdatas("A", owner=z) == ["192.0.2.50"], d
    # SOA and NS still answered at the apex
    assert api.dig(z, "SOA").status == "NOERROR"
    assert len(api.dig(z, "NS").rdatas("NS")) >= 1
    # an apex alias may not target a CNAME
    change(r53, zone["id"], ("CREATE", rrset("cn." + z, "CNAME", 60, "t.example.net.")))
    batch_error(r53, zone["id"], ("CREATE", alias(z, "CNAME", zone["id"], "cn." + z)))


def test_alias_to_another_zone(api, r53, zone):
    other = new_zone(r53)
    o = other["name"]
    change(r53, other["id"], ("CREATE", rrset("target." + o, "A", 60, "198.51.100.5")))
    change(r53, zone["id"], ("CREATE", alias("x." + zone["name"], "A", other["id"],
                                            "target." + o)))
    d = api.dig("x." + zone["name"], "A")
    assert d.rdatas("A", owner="x." + zone["name"]) == ["198.51.100.5"], d
    change(r53, other["id"], ("UPSERT", rrset("target." + o, "A", 60, "198.51.100.6")))
    assert api.dig("x." + zone["name"], "A").rdatas("A") == ["198.51.100.6"]


def test_dangling_alias_refused(api, r53, zone):
    z = zone["name"]
    msg = batch_error(r53, zone["id"], ("CREATE", alias("d." + z, "A", zone["id"],
                                                        "nothing." + z)))
    assert msg == "[Tried to create an alias that targets nothing.%s, type A in zone %s, but " \
                  "that target was not found]" % (z, zone["id"])
    # the target exists, but not with the alias's type
    change(r53, zone["id"], ("CREATE", rrset("txt." + z, "TXT", 60, '"t"')))
    msg = batch_error(r53, zone["id"], ("CREATE", alias("d." + z, "A", zone["id"],
                                                        "txt." + z)))
    assert msg == "[Tried to create an alias that targets txt.%s, type A in zone %s, but " \
                  "that target was not found]" % (z, zone["id"])
    assert api.dig("d." + z).status == "NXDOMAIN"
    # an unknown hosted zone id as the target
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("CREATE", alias("d." + z, "A", "ZNOSUCHZONE0000000000",
                                                 "a.example.org.")))
    assert ei.value.response["Error"]["Code"] in ("InvalidChangeBatch", "NoSuchHostedZone")
    assert api.dig("d." + z).status == "NXDOMAIN"


def test_alias_loop_refused(api, r53, zone):
    z = zone["name"]
    # two aliases pointing at each other, created in one batch
    batch_error(r53, zone["id"], ("CREATE", alias("l1." + z, "A", zone["id"], "l2." + z)),
                ("CREATE", alias("l2." + z, "A", zone["id"], "l1." + z)))
    # an alias to itself
    batch_error(r53, zone["id"], ("CREATE", alias("self." + z, "A", zone["id"], "self." + z)))
    # closing a loop through an UPSERT of the target
    change(r53, zone["id"], ("CREATE", rrset("t." + z, "A", 60, "192.0.2.1")))
    change(r53, zone["id"], ("CREATE", alias("a1." + z, "A", zone["id"], "t." + z)))
    batch_error(r53, zone["id"], ("UPSERT", alias("t." + z, "A", zone["id"], "a1." + z)))
    assert api.dig("a1." + z).rdatas("A") == ["192.0.2.1"]
    assert api.dig("l1." + z).status == "NXDOMAIN"


def test_cli_alias(api, r53, zone, cli):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("t." + z, "A", 60, "192.0.2.33")))
    cli.json("change-resource-record-sets", "--hosted-zone-id", zone["id"], "--change-batch",
             cli.batch_arg([("CREATE", alias("al." + z, "A", zone["id"], "t." + z))]))
    assert api.dig("al." + z).rdatas("A") == ["192.0.2.33"]
    out = cli.json("list-resource-record-sets", "--hosted-zone-id", zone["id"],
                   "--start-record-name", "al." + z, "--start-record-type", "A",
                   "--max-items", "1")
    rs = out["ResourceRecordSets"][0]
    assert rs["AliasTarget"] == {"HostedZoneId": zone["id"], "DNSName": "t." + z,
                                 "EvaluateTargetHealth": False}, rs
