"""Restart: stop `signpost up` (SIGTERM, exit 0), start it again on the same --data directory:
every zone, record set, tag and delegation set comes back, and dig answers them before the
API is reachable (route53-api.md / issue 3: "served before the API says it is ready")."""

import time

from r53util import (_tcp_open, alias, bare, change, list_rrsets, new_zone, rrset, uniq)


def _snapshot(r53):
    zones = []
    for page in r53.get_paginator("list_hosted_zones").paginate():
        zones.extend(page["HostedZones"])
    out = {}
    for z in zones:
        zid = bare(z["Id"])
        out[zid] = {
            "zone": r53.get_hosted_zone(Id=zid),
            "rrsets": list_rrsets(r53, zid),
            "tags": r53.list_tags_for_resource(ResourceType="hostedzone",
                                               ResourceId=zid)["ResourceTagSet"],
        }
        out[zid]["zone"].pop("ResponseMetadata")
    return out


def test_restart_keeps_everything_and_serves_before_api(make_api):
    api = make_api()
    r53 = api.client()
    a = new_zone(r53)
    b = new_zone(r53, HostedZoneConfig={"Comment": "second", "PrivateZone": False})
    za, zb = a["name"], b["name"]
    change(r53, a["id"], ("CREATE", rrset("www." + za, "A", 300, "192.0.2.1", "192.0.2.2")),
           ("CREATE", rrset("*.w." + za, "TXT", 60, '"wild card"')),
           ("CREATE", rrset("mx." + za, "MX", 3600, "10 mail.example.com.")))
    change(r53, a["id"], ("CREATE", alias("web." + za, "A", a["id"], "www." + za)))
    change(r53, b["id"], ("CREATE", rrset("x." + zb, "AAAA", 60, "2001:db8::1")))
    big = [rrset("n%04d.%s" % (i, zb), "A", 60, "10.9.%d.%d" % (i // 200, i % 200))
           for i in range(1000)]
    change(r53, b["id"], *[("CREATE", rs) for rs in big])
    change(r53, b["id"], ("DELETE", big[500]))
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=a["id"],
                                 AddTags=[{"Key": "k", "Value": "v"}])
    ds = r53.create_reusable_delegation_set(CallerReference=uniq("ds-"))["DelegationSet"]
    gone = new_zone(r53)
    r53.delete_hosted_zone(Id=gone["id"])
    before = _snapshot(r53)
    count = r53.get_hosted_zone_count()["HostedZoneCount"]

    checks = [("www." + za, "A", ["192.0.2.1", "192.0.2.2"]),
              ("web." + za, "A", ["192.0.2.1", "192.0.2.2"]),
              ("q.w." + za, "TXT", ['"wild card"']),
              ("x." + zb, "AAAA", ["2001:db8::1"]),
              ("n0999." + zb, "A", ["10.9.4.199"])]

    for _round in range(2):
        problems = api.stop_and_check()
        assert not problems, "\n".join(problems)
        api.spawn(keep_ports=True)
        # Wait for the API to accept connections; DNS must already answer by then.
        deadline = time.monotonic() + 60
        while not _tcp_open(api.api_port):
            assert api.alive(), api.stderr()[-3000:]
            assert time.monotonic() < deadline, "API never came back"
            time.sleep(0.005)
        for name, t, want in checks:
            d = api.dig(name, t)
            assert d.status == "NOERROR" and d.rdatas(t) == want, (name, t, d)
        assert api.dig("n0500." + zb).status == "NXDOMAIN"
        assert api.dig(gone["name"], "SOA").status == "REFUSED"
        api.wait_api()
        r53 = api.client()  # a fresh connection pool for the new process
        assert r53.get_hosted_zone_count()["HostedZoneCount"] == count
        assert _snapshot(r53) == before
        got = r53.get_reusable_delegation_set(Id=bare(ds["Id"]))["DelegationSet"]
        assert got == ds
        # and it keeps working: a change after the restart is served at once
        change(r53, a["id"], ("UPSERT", rrset("after%d.%s" % (_round, za), "A", 60,
                                              "192.0.2.%d" % (100 + _round))))
        assert api.dig("after%d.%s" % (_round, za)).rdatas("A") == ["192.0.2.%d" % (100 + _round)]
        before = _snapshot(r53)
