"""SigV4 on every request: botocore-signed requests accepted (any region), a wrong secret,
an unknown key, no Authorization, a malformed one, any changed byte of a signed request, and
dates outside the 5-minute window rejected with AWS's errors; signed but hostile XML bodies
(malformed, billion laughs, external entities, deep nesting, oversized) refused with
InvalidInput while the server stays up and changes nothing."""

import datetime
import time

import botocore.exceptions
import pytest

from r53util import (Cli, aws_cli, error_code, expect_error, new_zone, send, sign, uniq,
                     xml_body)

SIG_MISMATCH = ("The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult the "
                "service documentation for details.")
AUTH_CODES = {"SignatureDoesNotMatch", "IncompleteSignature", "InvalidClientTokenId",
              "MissingAuthenticationToken"}


def _create_body(name, ref):
    return xml_body("CreateHostedZone", "<Name>%s</Name><CallerReference>%s</CallerReference>"
                    % (name, ref))


def _zone_exists(r53, name):
    r = r53.list_hosted_zones_by_name(DNSName=name, MaxItems="1")
    return bool(r["HostedZones"]) and r["HostedZones"][0]["Name"] == name


def test_signed_requests_accepted(api, r53):
    m, t, h, b = sign(api, "GET", "/2013-04-01/hostedzonecount")
    status, hdrs, body = send(api, m, t, h, b)
    assert status == 200, body
    assert hdrs.get("x-amzn-requestid"), hdrs
    assert "xml" in hdrs.get("content-type", ""), hdrs
    name = "%s.example.com." % uniq("sig")
    m, t, h, b = sign(api, "POST", "/2013-04-01/hostedzone", _create_body(name, uniq("r")))
    status, hdrs, body = send(api, m, t, h, b)
    assert status == 201, body
    assert _zone_exists(r53, name)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "us-west-2"])
def test_any_region_in_scope(api, region):
    c = api.client(region=region)
    assert c.get_hosted_zone_count()["HostedZoneCount"] >= 0


def test_cli_other_region(api, cli):
    """aws route53 ... --region eu-west-1 signs with that region in the scope: accepted."""
    out = cli.json("list-hosted-zones", "--region", "eu-west-1")
    assert "HostedZones" in out


def test_wrong_secret(api):
    c = api.client(secret_key="X" * 40)
    err = expect_error(c.get_hosted_zone_count, "SignatureDoesNotMatch", 403)
    assert err["Message"] == SIG_MISMATCH, err
    assert err.get("Type") == "Sender"


def test_unknown_key(api):
    c = api.client(access_key="AKIDUNKNOWNKEY000000")
    err = expect_error(c.get_hosted_zone_count, "InvalidClientTokenId", 403)
    assert err["Message"] == "The security token included in the request is invalid.", err


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_cli_bad_credentials(api, tmp_path, version):
    exe = aws_cli(version)
    if exe is None:
        pytest.skip("aws CLI %s is not installed" % version)
    r = Cli(exe, version, api, tmp_path, secret_key="Y" * 40).run("list-hosted-zones")
    assert r.rc != 0
    assert "An error occurred (SignatureDoesNotMatch) when calling the ListHostedZones " \
        "operation" in r.stderr, r
    r = Cli(exe, version, api, tmp_path, access_key="AKIDUNKNOWNKEY000000").run(
        "list-hosted-zones")
    assert r.rc != 0 and "(InvalidClientTokenId)" in r.stderr, r


def test_missing_authentication(api, r53):
    name = "%s.example.com." % uniq("noauth")
    for method, path, body in (("GET", "/2013-04-01/hostedzonecount", b""),
                               ("POST", "/2013-04-01/hostedzone",
                                _create_body(name, uniq("r")))):
        status, hdrs, data = send(api, method, path, {"Host": api.host}, body)
        assert status == 403, (status, data)
        code, msg, typ = error_code(data)
        assert code == "MissingAuthenticationToken", data
        assert msg, data
    assert not _zone_exists(r53, name)


@pytest.mark.parametrize("auth", [
    "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    "AWS4-HMAC-SHA256 Credential={ak}/{d}/us-east-1/route53/aws4_request, Signature=" + "0" * 64,
    "AWS4-HMAC-SHA256 Credential={ak}/{d}/us-east-1/route53/aws4_request, "
    "SignedHeaders=host;x-amz-date",
    "AWS4-HMAC-SHA256 Credential={ak}/{d}/us-east-1/route53/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=zz",
    "AWS4-HMAC-SHA256 Credential={ak}/us-east-1/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
], ids=["no-credential", "no-signedheaders", "no-signature", "bad-signature", "bad-scope"])
def test_incomplete_signature(api, auth):
    m, t, h, b = sign(api, "GET", "/2013-04-01/hostedzonecount")
    h["Authorization"] = auth.format(ak=api.access_key, d=h["X-Amz-Date"][:8])
    status, hdrs, data = send(api, m, t, h, b)
    code, msg, typ = error_code(data)
    assert code == "IncompleteSignature" and status == 400, (status, data)


def _mutations(req, positions):
    """Yields (label, request) with one byte changed at each position of each part."""
    method, target, headers, body = req

    def swap(ch):
        if ch.isdigit():
            return "7" if ch != "7" else "3"
        if ch.isalpha():
            return "q" if ch.lower() != "q" else "z"
        return "x" if ch != "x" else "y"

    for i in positions(len(target)):
        if target[i] in "/?&=":
            continue
        t = target[:i] + swap(target[i]) + target[i + 1:]
        yield "target[%d] %r" % (i, t), (method, t, headers, body)
    for hk in headers:
        if hk.lower() not in ("host", "x-amz-date", "authorization"):
            continue
        v = headers[hk]
        for i in positions(len(v)):
            if hk.lower() == "authorization" and (v[i] in " ,=/;" or i < 17):
                continue
            if hk.lower() == "host" and v[i] in ":.":
                continue
            h = dict(headers)
            h[hk] = v[:i] + swap(v[i]) + v[i + 1:]
            yield "%s[%d] %r" % (hk, i, h[hk]), (method, target, h, body)
    for i in positions(len(body)):
        ch = chr(body[i])
        if ch in "<>/\"= ":
            continue
        b = body[:i] + swap(ch).encode() + body[i + 1:]
        yield "body[%d]" % i, (method, target, headers, b)


def test_every_changed_byte_rejected_post(api, r53):
    """Each byte of the path, the signed headers, the signature and the body, changed."""
    name = "%s.example.com." % uniq("mut")
    ref = uniq("r")
    req = sign(api, "POST", "/2013-04-01/hostedzone", _create_body(name, ref))
    failures = []
    tried = 0
    for label, (m, t, h, b) in _mutations(req, lambda n: range(n)):
        if label.startswith("Host"):
            # a different Host may legitimately not reach us; still send it to this server
            pass
        status, hdrs, data = send(api, m, t, h, b)
        tried += 1
        if status < 400:
            failures.append("%s: accepted with %d" % (label, status))
            continue
        if label.startswith("body"):
            code = error_code(data)[0] if data else None
            if status != 403 or code != "SignatureDoesNotMatch":
                failures.append("%s: %d %s (want 403 SignatureDoesNotMatch)" % (label, status,
                                                                               code))
    assert not failures, "%d of %d mutations:\n%s" % (len(failures), tried,
                                                     "\n".join(failures[:40]))
    assert not _zone_exists(r53, name)
    # and the unchanged request is still good
    status, hdrs, data = send(api, *req)
    assert status == 201, data
    assert _zone_exists(r53, name)


def test_every_changed_byte_rejected_get(api, r53):
    z = new_zone(r53)
    req = sign(api, "GET", "/2013-04-01/hostedzone/%s/rrset" % z["id"],
               query="maxitems=5&name=%s&type=SOA" % z["name"])
    status, hdrs, data = send(api, *req)
    assert status == 200, data
    failures = []
    for label, (m, t, h, b) in _mutations(req, lambda n: range(n)):
        status, hdrs, data = send(api, m, t, h, b)
        code = error_code(data)[0] if data.startswith(b"<") else None
        if status < 400 or code not in AUTH_CODES:
            failures.append("%s: %d %s" % (label, status, code))
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("method", ["DELETE", "POST", "PUT"])
def test_changed_method_rejected(api, r53, method):
    z = new_zone(r53)
    m, t, h, b = sign(api, "GET", "/2013-04-01/hostedzone/%s" % z["id"])
    status, hdrs, data = send(api, method, t, h, b)
    assert status == 403 and error_code(data)[0] == "SignatureDoesNotMatch", (status, data)
    assert r53.get_hosted_zone(Id=z["id"])


def test_added_or_dropped_body(api, r53):
    z = new_zone(r53)
    m, t, h, b = sign(api, "GET", "/2013-04-01/hostedzone/%s" % z["id"])
    status, hdrs, data = send(api, m, t, h, b"<x/>")
    assert status in (400, 403), (status, data)
    name = "%s.example.com." % uniq("drop")
    m, t, h, b = sign(api, "POST", "/2013-04-01/hostedzone", _create_body(name, uniq("r")))
    h = {k: v for k, v in h.items() if k.lower() != "content-length"}
    status, hdrs, data = send(api, m, t, h, b"")
    assert status in (400, 403, 411), (status, data)
    assert not _zone_exists(r53, name)


@pytest.mark.parametrize("minutes,ok", [(-10, False), (10, False), (-6, False), (-4, True),
                                        (4, True)])
def test_clock_skew(api, minutes, ok):
    when = datetime.datetime.utcnow() + datetime.timedelta(minutes=minutes)
    m, t, h, b = sign(api, "GET", "/2013-04-01/hostedzonecount", when=when)
    assert h["X-Amz-Date"] == when.strftime("%Y%m%dT%H%M%SZ")
    status, hdrs, data = send(api, m, t, h, b)
    if ok:
        assert status == 200, (status, data)
        return
    code, msg, _ = error_code(data)
    assert status == 403 and code == "SignatureDoesNotMatch", (status, data)
    if minutes < 0:
        assert msg.startswith("Signature expired: %s is now earlier than " % h["X-Amz-Date"]), \
            msg
        assert msg.endswith(" - 5 min.)"), msg
    else:
        assert msg.startswith("Signature not yet current: %s is still later than " %
                              h["X-Amz-Date"]), msg
        assert msg.endswith(" + 5 min.)"), msg


# -- hostile bodies, validly signed ---------------------------------------------------------

def _post(api, body, path="/2013-04-01/hostedzone"):
    m, t, h, b = sign(api, "POST", path, body)
    t0 = time.monotonic()
    status, hdrs, data = send(api, m, t, h, b, timeout=30)
    return status, data, time.monotonic() - t0


def _alive(api, r53):
    assert api.alive(), api.stderr()[-3000:]
    assert r53.get_hosted_zone_count()["HostedZoneCount"] >= 0


@pytest.mark.parametrize("body", [
    b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>x',
    b"not xml at all",
    b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
    b"<Name>a.example.com.</Nome></CreateHostedZoneRequest>",
    b"<?xml version='1.0'?><a></a><b></b>",
    b"\xff\xfe<\x00x\x00",
], ids=["truncated", "text", "mismatched-tags", "two-roots", "utf16-garbage"])
def test_malformed_xml(api, r53, body):
    status, data, _ = _post(api, body)
    assert status == 400 and error_code(data)[0] == "InvalidInput", (status, data)
    _alive(api, r53)


def test_billion_laughs(api, r53):
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        ents.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    name = "%s.example.com." % uniq("laughs")
    body = ('<?xml version="1.0"?>\n<!DOCTYPE CreateHostedZoneRequest [%s]>\n'
            '<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            "<Name>%s</Name><CallerReference>&lol9;</CallerReference>"
            "</CreateHostedZoneRequest>" % ("".join(ents), name)).encode()
    status, data, secs = _post(api, body)
    assert status == 400 and error_code(data)[0] == "InvalidInput", (status, data)
    assert secs < 5, secs
    assert not _zone_exists(r53, name)
    _alive(api, r53)


def test_quadratic_blowup(api, r53):
    big = "A" * 50000
    name = "%s.example.com." % uniq("quad")
    body = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "%s">]>\n'
            '<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            "<Name>%s</Name><CallerReference>%s</CallerReference>"
            "</CreateHostedZoneRequest>" % (big, name, "&a;" * 20000)).encode()
    status, data, secs = _post(api, body)
    assert 400 <= status < 500, (status, data[:300])
    assert secs < 5, secs
    assert not _zone_exists(r53, name)
    _alive(api, r53)


def test_external_entity(api, r53):
    name = "%s.example.com." % uniq("xxe")
    body = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            '<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            "<Name>%s</Name><CallerReference>&x;</CallerReference>"
            "</CreateHostedZoneRequest>" % name).encode()
    status, data, _ = _post(api, body)
    assert status == 400 and error_code(data)[0] == "InvalidInput", (status, data)
    assert b"root:" not in data
    assert not _zone_exists(r53, name)
    assert "root:x:" not in api.stderr()
    _alive(api, r53)


def test_deep_nesting_and_huge_body(api, r53):
    deep = (b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
            b"<a>" * 10000 + b"</a>" * 10000 + b"</CreateHostedZoneRequest>")
    status, data, secs = _post(api, deep)
    assert status == 400 and error_code(data)[0] == "InvalidInput", (status, data[:300])
    _alive(api, r53)
    huge = xml_body("CreateHostedZone", "<Name>a.example.com</Name><CallerReference>%s"
                    "</CallerReference>" % ("x" * (5 << 20)))
    try:
        status, data, secs = _post(api, huge)
        assert status in (400, 413), (status, data[:300])
    except (ConnectionError, OSError):
        pass  # closing the connection on an oversized body is fine too
    _alive(api, r53)


def test_unsigned_body_never_parsed(api, r53):
    """A body with a broken signature gets the signature error, not an XML error."""
    m, t, h, b = sign(api, "POST", "/2013-04-01/hostedzone", b"<<<not xml")
    h["Authorization"] = h["Authorization"][:-4] + "0000"
    status, hdrs, data = send(api, m, t, h, b)
    assert status == 403 and error_code(data)[0] == "SignatureDoesNotMatch", (status, data)
    status, hdrs, data = send(api, "POST", "/2013-04-01/hostedzone", {"Host": api.host},
                              b"<<<not xml")
    assert status == 403 and error_code(data)[0] == "MissingAuthenticationToken", data


def test_boto3_client_errors_surface(api):
    c = api.client(secret_key="Z" * 40)
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        c.list_hosted_zones()
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
