"""What real tools do, end to end: Terraform's zone create and force_destroy sequence (listed
rrsets echoed verbatim in DELETE batches of 100), the error document's exact shape, GetDNSSEC,
names that need escaping, TTL bounds, concurrent change batches from many clients."""

import concurrent.futures
import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest

from r53util import (NS_URI, alias, bare, batch_error, change, expect_error, find, list_rrsets,
                     new_zone, rrset, send, sign, uniq, values, wait_insync)


def test_terraform_zone_create_and_force_destroy(api, r53):
    # aws_route53_zone: CreateHostedZone -> GetChange until INSYNC -> tags -> Get -> ListTags
    name = "%s.example.com" % uniq("tf")
    resp = r53.create_hosted_zone(Name=name, CallerReference=uniq("terraform-"),
                                  HostedZoneConfig={"Comment": "Managed by Terraform"})
    zid = bare(resp["HostedZone"]["Id"])
    assert wait_insync(r53, resp["ChangeInfo"]["Id"]) == "INSYNC"
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid,
                                 AddTags=[{"Key": "Name", "Value": "tf"}])
    r53.get_hosted_zone(Id=zid)
    r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)
    z = name + "."
    sets = [rrset("h%03d.%s" % (i, z), "A", 60, "10.2.%d.%d" % (i // 200, i % 200 + 1))
            for i in range(250)]
    sets.append(rrset("t." + z, "TXT", 60, '"a"', '"b"'))
    sets.append(rrset("sub." + z, "NS", 60, "ns1.example.net.", "ns2.example.net."))
    change(r53, zid, *[("CREATE", rs) for rs in sets])
    change(r53, zid, ("CREATE", alias("al." + z, "A", zid, "h000." + z)),
           ("CREATE", rrset("*." + z, "MX", 60, "10 mx.example.com.")),
           ("CREATE", rrset("w." + z, "A", 60, "192.0.2.1", SetIdentifier="a", Weight=1)))
    # force_destroy: delete everything but the apex NS/SOA, echoing what was listed
    listed = [rs for rs in list_rrsets(r53, zid)
              if not (rs["Name"] == z and rs["Type"] in ("NS", "SOA"))]
    assert len(listed) == 255
    # aliases must go before their targets: Terraform deletes in list order, and Route 53
    # lets a batch delete an alias and its target together
    for i in range(0, len(listed), 100):
        r = change(r53, zid, *[("DELETE", rs) for rs in listed[i:i + 100]])
        assert wait_insync(r53, r["ChangeInfo"]["Id"]) == "INSYNC"
    assert [(rs["Name"], rs["Type"]) for rs in list_rrsets(r53, zid)] == [(z, "NS"), (z, "SOA")]
    assert api.dig("h000." + z).status == "NXDOMAIN"
    dnssec = r53.get_dnssec(HostedZoneId=zid)
    assert dnssec["Status"]["ServeSignature"] == "NOT_SIGNING", dnssec
    r = r53.delete_hosted_zone(Id=zid)
    assert wait_insync(r53, r["ChangeInfo"]["Id"]) == "INSYNC"
    assert api.dig(z, "SOA").status == "REFUSED"


def test_get_dnssec_private_zone(api, r53):
    resp = r53.create_hosted_zone(Name="%s.corp.example.com" % uniq("p"),
                                  CallerReference=uniq("ref-"),
                                  VPC={"VPCRegion": "eu-west-1", "VPCId": "vpc-12345678"},
                                  HostedZoneConfig={"PrivateZone": True})
    err = expect_error(r53.get_dnssec, "InvalidArgument", 400,
                       HostedZoneId=bare(resp["HostedZone"]["Id"]))
    assert "Operation is unsupported for private" in err["Message"], err


def test_error_document_shape(api):
    m, t, h, b = sign(api, "GET", "/2013-04-01/hostedzone/ZNOSUCHZONE0000000000")
    status, hdrs, body = send(api, m, t, h, b)
    assert status == 404
    assert hdrs.get("content-type", "").startswith("text/xml"), hdrs
    rid = hdrs.get("x-amzn-requestid")
    assert rid, hdrs
    assert body.startswith(b"<?xml"), body
    root = ET.fromstring(body)
    assert root.tag == "{%s}ErrorResponse" % NS_URI, body
    err = root.find("{%s}Error" % NS_URI)
    assert [c.tag.split("}")[1] for c in err] == ["Type", "Code", "Message"], body
    assert err.find("{%s}Type" % NS_URI).text == "Sender"
    assert err.find("{%s}Code" % NS_URI).text == "NoSuchHostedZone"
    assert root.find("{%s}RequestId" % NS_URI).text == rid


def test_escaped_names(api, r53, zone):
    z = zone["name"]
    # classless reverse delegation style "/" and an escaped dot inside a label
    change(r53, zone["id"], ("CREATE", rrset("0/26." + z, "CNAME", 60, "x.example.net.")),
           ("CREATE", rrset("a\\056b." + z, "TXT", 60, '"dot"')),
           ("CREATE", rrset("\\101BC." + z, "TXT", 60, '"abc"')))
    names = {rs["Name"] for rs in list_rrsets(r53, zone["id"])}
    assert "0\\05726." + z in names, names
    assert "a\\056b." + z in names, names
    assert "abc." + z in names, names
    d = api.dig("0/26." + z, "CNAME")
    assert d.rdatas("CNAME") == ["x.example.net."], d
    d = api.dig("ABC." + z, "TXT")
    assert d.rdatas("TXT") == ['"abc"'], d
    # the escaped and the plain spelling are the same rrset
    batch_error(r53, zone["id"], ("CREATE", rrset("0\\05726." + z, "CNAME", 60,
                                                  "x.example.net.")))


def test_ttl_bounds_and_wildcard_rules(api, r53, zone):
    z = zone["name"]
    change(r53, zone["id"], ("CREATE", rrset("t0." + z, "A", 0, "192.0.2.1")),
           ("CREATE", rrset("tmax." + z, "A", 2147483647, "192.0.2.2")))
    assert find(list_rrsets(r53, zone["id"]), "tmax." + z, "A")["TTL"] == 2147483647
    d = api.dig("t0." + z)
    assert d.answer and d.answer[0][1] == 0, d
    # "*" cannot be used with NS
    batch_error(r53, zone["id"], ("CREATE", rrset("*.d." + z, "NS", 60, "ns.example.net.")))
    # a "*" that is not the leftmost label is a literal character
    change(r53, zone["id"], ("CREATE", rrset("a.*.b." + z, "TXT", 60, '"lit"')))
    assert find(list_rrsets(r53, zone["id"]), "a.\\052.b." + z, "TXT") is not None
    assert api.dig("a.*.b." + z, "TXT").rdatas("TXT") == ['"lit"']
    # (the node "*.b" exists, so per RFC 4592 it still synthesises: no TXT from it though)
    assert not api.dig("a.x.b." + z, "TXT").rdatas("TXT")


def test_list_bad_start_name(api, r53, zone):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        r53.list_resource_record_sets(HostedZoneId=zone["id"], StartRecordName="a b." +
                                      zone["name"])
    err = ei.value.response["Error"]
    assert err["Code"] == "InvalidInput", err
    assert "UnsupportedCharacter (Value contains unsupported characters) encountered with ' '" \
        in err["Message"], err


def test_concurrent_batches(api, r53):
    """16 clients, 20 batches each, on 4 zones: every acknowledged change is listed and served."""
    zones = [new_zone(r53) for _ in range(4)]

    def worker(w):
        c = api.client()
        done = []
        for i in range(20):
            z = zones[(w + i) % 4]
            n = "c%d-%d.%s" % (w, i, z["name"])
            r = change(c, z["id"], ("CREATE", rrset(n, "A", 60, "10.3.%d.%d" % (w, i + 1))),
                       ("UPSERT", rrset("shared." + z["name"], "TXT", 60, '"w%d i%d"' % (w, i))))
            done.append((z, n, "10.3.%d.%d" % (w, i + 1), r["ChangeInfo"]["Id"]))
        return done

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        results = [x for f in [ex.submit(worker, w) for w in range(16)] for x in f.result()]
    assert len(results) == 320
    for z, n, ip, cid in results[::7]:
        assert r53.get_change(Id=cid)["ChangeInfo"]["Status"] == "INSYNC"
        assert api.dig(n).rdatas("A") == [ip]
    for z in zones:
        rrs = list_rrsets(r53, z["id"])
        assert len(rrs) == 2 + 1 + 80, len(rrs)
        assert len(values(find(rrs, "shared." + z["name"], "TXT"))) == 1
        assert r53.get_hosted_zone(Id=z["id"])["HostedZone"]["ResourceRecordSetCount"] == 83
