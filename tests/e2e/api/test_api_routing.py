"""Record sets with a SetIdentifier (weighted routing): stored and echoed, listed in
identifier order, paged with NextRecordIdentifier (without it the CLI paginator fails with
"The same next token was received twice"), Route 53's messages for mixed policies and TTLs."""

import botocore.exceptions
import pytest

from r53util import batch_error, change, list_rrsets, rrset, rrset_key


def weighted(name, ident, weight, ttl, *vals):
    return rrset(name, "A", ttl, *vals, SetIdentifier=ident, Weight=weight)


def test_weighted_sets_listed_and_paged(api, r53, zone, cli):
    z = zone["name"]
    n = "w." + z
    idents = ["id-%02d" % i for i in range(12)]
    change(r53, zone["id"], *[("CREATE", weighted(n, i, k, 60, "192.0.2.%d" % (k + 1)))
                              for k, i in enumerate(idents)],
           ("CREATE", rrset("x." + z, "A", 60, "192.0.2.200")))
    got = [rs for rs in list_rrsets(r53, zone["id"]) if rs["Name"] == n]
    assert [rs["SetIdentifier"] for rs in got] == idents
    assert [rs["Weight"] for rs in got] == list(range(12))
    # one at a time with boto3's paginator and by hand
    pages = list(r53.get_paginator("list_resource_record_sets").paginate(
        HostedZoneId=zone["id"], PaginationConfig={"PageSize": 1}))
    keys = [rrset_key(rs) for p in pages for rs in p["ResourceRecordSets"]]
    assert len(keys) == len(set(keys)) == 15 and keys == sorted(keys)
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName=n,
                                      StartRecordType="A", MaxItems="3")
    assert r["IsTruncated"] and r["NextRecordName"] == n and r["NextRecordType"] == "A"
    assert r["NextRecordIdentifier"] == "id-03", r
    r = r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName=n,
                                      StartRecordType="A", StartRecordIdentifier="id-10")
    assert [rs.get("SetIdentifier") for rs in r["ResourceRecordSets"]][:2] == ["id-10", "id-11"]
    out = cli.json("list-resource-record-sets", "--hosted-zone-id", zone["id"],
                   "--page-size", "1")
    assert [rrset_key(rs) for rs in out["ResourceRecordSets"]] == keys
    # DNS answers with the records of the weighted set (any of them)
    d = api.dig(n)
    assert d.status == "NOERROR" and d.rdatas("A"), d
    assert set(d.rdatas("A")) <= {"192.0.2.%d" % (k + 1) for k in range(12)}
    # delete needs the identifier and the exact values
    change(r53, zone["id"], ("DELETE", weighted(n, "id-00", 0, 60, "192.0.2.1")))
    assert "id-00" not in [rs.get("SetIdentifier") for rs in list_rrsets(r53, zone["id"])]


def test_weighted_rules(api, r53, zone):
    z = zone["name"]
    n = "r." + z
    change(r53, zone["id"], ("CREATE", weighted(n, "one", 10, 60, "192.0.2.1")))
    msg = batch_error(r53, zone["id"], ("CREATE", weighted(n, "two", 10, 300, "192.0.2.2")))
    assert msg == "[RRSet with DNS name %s and type A, SetIdentifier two cannot be created as " \
                  "weighted sets must contain the same TTL.]" % n
    # a simple rrset beside a weighted set
    batch_error(r53, zone["id"], ("CREATE", rrset(n, "A", 60, "192.0.2.3")))
    # a weight without an identifier
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        change(r53, zone["id"], ("CREATE", rrset("s." + z, "A", 60, "192.0.2.4", Weight=1)))
    assert ei.value.response["Error"]["Code"] in ("InvalidInput", "InvalidChangeBatch")
    # the same identifier twice
    batch_error(r53, zone["id"], ("CREATE", weighted(n, "one", 5, 60, "192.0.2.9")))
    assert [rs.get("SetIdentifier") for rs in list_rrsets(r53, zone["id"])
            if rs["Name"] == n] == ["one"]
