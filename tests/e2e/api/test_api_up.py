"""`signpost up` options as docs/configuration.md describes them: the alias-targets table that
answers aliases to AWS service endpoints, --name-servers, several keys in a config file, and
the banner on stdout (endpoint and credentials)."""

import re
import signal
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from r53util import alias, bare, batch_error, change, find, list_rrsets, new_zone, uniq

S3_USE1 = "Z3AQBSTGFYJSTF"
CLOUDFRONT = "Z2FDTNDATAQYW2"
ALB_USE1 = "Z35SXDOTRQ7X7K"


def test_alias_to_aws_service_endpoints(make_api, tmp_path):
    table = tmp_path / "aliases.txt"
    table.write_text(
        "# zone-id dns-name type value\n"
        "%s s3-website-us-east-1.amazonaws.com. A 192.0.2.80\n"
        "%s d111111abcdef8.cloudfront.net A 192.0.2.81\n"
        "%s d111111abcdef8.cloudfront.net AAAA 2001:db8::81\n"
        "%s my-lb-123.us-east-1.elb.amazonaws.com. A 192.0.2.82\n"
        % (S3_USE1, CLOUDFRONT, CLOUDFRONT, ALB_USE1))
    api = make_api(extra_args=["--alias-targets", str(table)])
    r53 = api.client()
    z = new_zone(r53)
    n = z["name"]
    # the S3 website form: the record name is the bucket name, the target the endpoint
    change(r53, z["id"],
           ("CREATE", alias("www." + n, "A", S3_USE1, "s3-website-us-east-1.amazonaws.com.")),
           ("CREATE", alias(n, "A", CLOUDFRONT, "d111111abcdef8.cloudfront.net.")),
           ("CREATE", alias(n, "AAAA", CLOUDFRONT, "D111111ABCDEF8.cloudfront.net")),
           ("CREATE", alias("lb." + n, "A", ALB_USE1,
                            "dualstack.my-lb-123.us-east-1.elb.amazonaws.com.")))
    assert api.dig("www." + n).rdatas("A", owner="www." + n) == ["192.0.2.80"]
    assert api.dig(n).rdatas("A", owner=n) == ["192.0.2.81"]
    assert api.dig(n, "AAAA").rdatas("AAAA", owner=n) == ["2001:db8::81"]
    assert api.dig("lb." + n).rdatas("A", owner="lb." + n) == ["192.0.2.82"]
    rs = find(list_rrsets(r53, z["id"]), "www." + n, "A")
    assert rs["AliasTarget"]["HostedZoneId"] == S3_USE1, rs
    # an endpoint that is not in the table: refused, nothing changed
    batch_error(r53, z["id"], ("CREATE", alias("x." + n, "A", S3_USE1,
                                               "s3-website-eu-west-1.amazonaws.com.")))
    batch_error(r53, z["id"], ("CREATE", alias("x." + n, "AAAA", S3_USE1,
                                               "s3-website-us-east-1.amazonaws.com.")))
    assert api.dig("x." + n).status == "NXDOMAIN"


def test_name_servers_flag(make_api):
    ns = ["ns1.signpost.example", "ns2.signpost.example", "ns3.signpost.example.net",
          "ns4.signpost.example.org"]
    api = make_api(extra_args=["--name-servers", ",".join(ns)])
    r53 = api.client()
    z = new_zone(r53)
    assert sorted(z["resp"]["DelegationSet"]["NameServers"]) == sorted(ns)
    assert api.dig(z["name"], "NS").rdatas("NS") == sorted(n + "." for n in ns)
    soa = api.dig(z["name"], "SOA").answer[0][3].split()
    assert soa[0] in [n + "." for n in ns]
    ds = r53.create_reusable_delegation_set(CallerReference=uniq("ds-"))["DelegationSet"]
    assert sorted(ds["NameServers"]) == sorted(ns)
    r53.delete_reusable_delegation_set(Id=bare(ds["Id"]))


def test_config_file_keys_and_banner(make_api, tmp_path):
    conf = tmp_path / "signpost.conf"
    conf.write_text("credentials AKIDCONFIGKEY0000001 first-secret-for-ci\n"
                    "credentials AKIDCONFIGKEY0000002 second/secret+for-ci\n")
    api = make_api(extra_args=["--config", str(conf)])
    # the environment's key and both keys of the file work
    assert api.client().get_hosted_zone_count()["HostedZoneCount"] == 0
    c1 = api.client(access_key="AKIDCONFIGKEY0000001", secret_key="first-secret-for-ci")
    c2 = api.client(access_key="AKIDCONFIGKEY0000002", secret_key="second/secret+for-ci")
    new_zone(c1)
    assert c2.get_hosted_zone_count()["HostedZoneCount"] == 1
    bad = api.client(access_key="AKIDCONFIGKEY0000001", secret_key="second/secret+for-ci")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        bad.get_hosted_zone_count()
    assert ei.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    out = api.stdout_path.read_text()
    assert re.search(r"http://127\.0\.0\.1:%d" % api.api_port, out), out
    assert "first-secret-for-ci" not in api.stderr() and api.secret_key not in api.stderr()


def test_throttling(make_api):
    """--api-rate-limit: beyond the burst, 400 Throttling "Rate exceeded" (which the SDKs
    retry); off by default (the other modules make hundreds of calls a second)."""
    api = make_api(extra_args=["--api-rate-limit", "2", "--api-burst", "3"])
    c = api.client()
    time.sleep(2.0)  # the bucket refills after the readiness probe
    codes = []
    for _ in range(10):
        try:
            c.get_hosted_zone_count()
            codes.append("ok")
        except botocore.exceptions.ClientError as e:
            codes.append((e.response["Error"]["Code"], e.response["Error"]["Message"],
                          e.response["ResponseMetadata"]["HTTPStatusCode"]))
    assert codes[:3] == ["ok"] * 3, codes
    assert ("Throttling", "Rate exceeded", 400) in codes, codes
    # boto3 with its standard retries gets through
    s = boto3.session.Session(aws_access_key_id=api.access_key,
                              aws_secret_access_key=api.secret_key, region_name="us-east-1")
    patient = s.client("route53", endpoint_url=api.url,
                       config=botocore.config.Config(retries={"total_max_attempts": 10,
                                                              "mode": "standard"}))
    for _ in range(4):
        assert patient.get_hosted_zone_count()["HostedZoneCount"] == 0


def test_sighup_changes_nothing(make_api):
    api = make_api()
    api.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "SIGHUP: signpost up has nothing to reload" not in api.stderr():
        assert time.monotonic() < deadline, api.stderr()
        time.sleep(0.05)
    assert api.alive()
    api.client().get_hosted_zone_count()  # still serving
    assert api.stop() == 0
