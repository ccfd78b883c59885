"""Route 53 Domains end to end (issue 4, registration): the real `aws route53domains` CLIs (v1
and v2) and boto3 against `signpost up`, with the sandbox internet on a random loopback /24 of
its own so parallel runs never meet. A registration must create its public hosted zone, give
the domain that zone's four name servers and put the delegation in the TLD zone, which
`dig +norecurse @<TLD server> -p <sandbox port>` then shows; every error of the brief is
checked as a client sees it. The registry's virtual clock is moved with the test hooks
(SIGNPOST_TEST_HOOKS=1, X-Amz-Target SignpostTest.*) to see expiry and auto-renew.
"""

import datetime
import json
import re
import subprocess
import time
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import pytest

import r53util
import sandboxutil
from sandboxutil import contact, contacts, register, wait_op

TARGET = "Route53Domains_v20140515."


# -- the server ------------------------------------------------------------------------------

class DomainsServer(r53util.ApiServer):
    """`signpost up` serving the sandbox internet on a sandboxutil.Plan (a random 127.X.Y.0/24
    block of its own) with the registry's test hooks on."""

    def __init__(self, workdir, plan=None, **kw):
        self.plan = plan or sandboxutil.Plan()
        super().__init__(workdir, sandbox=self.plan, env_extra={"SIGNPOST_TEST_HOOKS": "1"},
                         **kw)
        self.sandbox_port = None
        self.servers = {}  # "com" -> its first server's address, "root", "hosted" -> [...]

    def start(self, keep_ports=False):
        super().start(keep_ports=keep_ports)
        self._read_banner()
        return self

    def _read_banner(self):
        """The sandbox's port and addresses as the banner prints them (they must be the
        plan's)."""
        deadline = time.monotonic() + 30
        text = ""
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text(errors="replace").split("signpost is up.")[-1]
            if "aws route53domains" in text:
                break
            time.sleep(0.05)
        m = re.search(r"The sandbox internet \(each server on its own address, port (\d+)\)",
                      text)
        assert m, "no sandbox in the banner:\n" + text
        self.sandbox_port = int(m.group(1))
        assert self.sandbox_port == self.plan.port, text
        self.servers = {"hosted": []}
        for line in text.splitlines():
            f = line.split()
            if len(f) >= 3 and f[0] == "root":
                self.servers.setdefault("root", f[2].rsplit(":", 1)[0])
            elif len(f) >= 4 and f[0] == "tld":
                self.servers.setdefault(f[1], f[3].rsplit(":", 1)[0])
            elif len(f) >= 3 and f[0] == "hosted":
                self.servers["hosted"].append(f[2].rsplit(":", 1)[0])
        assert self.servers.get("com") == self.plan.tld("com")[0], (self.servers, text)
        assert self.servers["hosted"] == self.plan.hosted, (self.servers, text)

    def tld_server(self, name):
        return self.servers[name.rstrip(".").rsplit(".", 1)[-1]]


def _launch(request, tmp_path_factory, **kw):
    return r53util.launch(request, tmp_path_factory, cls=DomainsServer, **kw)


@pytest.fixture(scope="module")
def dsrv(request, tmp_path_factory, _aws_env):
    return _launch(request, tmp_path_factory)


@pytest.fixture
def fresh(request, tmp_path_factory, _aws_env):
    """A server of this test's own (quota, restarts)."""
    return _launch(request, tmp_path_factory)


@pytest.fixture(scope="module")
def rd(dsrv):
    return dsrv.domains_client()


@pytest.fixture(scope="module")
def r53(dsrv):
    return dsrv.client()


# -- helpers ---------------------------------------------------------------------------------

def uniq(tld="com"):
    return "d%s.%s" % (uuid.uuid4().hex[:10], tld)


def signed(srv, target, body, secret_key=None, service="route53domains"):
    """POST / with X-Amz-Target, signed by botocore for `service`: (status, headers, json)."""
    data = body if isinstance(body, bytes) else body.encode()
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=srv.url + "/", data=data,
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    creds = botocore.credentials.Credentials(srv.access_key, secret_key or srv.secret_key)
    botocore.auth.SigV4Auth(creds, service, r53util.REGION).add_auth(req)
    prepared = req.prepare()
    status, headers, raw = r53util.send(srv, "POST", "/", dict(prepared.headers.items()), data)
    return status, headers, json.loads(raw) if raw else None


def hook(srv, name, **body):
    status, _, out = signed(srv, "SignpostTest." + name, json.dumps(body))
    assert status == 200, out
    return out


def operations(srv, type_=None):
    """Every operation, oldest first, as the server sends them (Debian's botocore 1.29 has an
    older OperationSummary without DomainName, and no Type filter)."""
    out, marker = [], None
    while True:
        body = {"MaxItems": 100}
        if type_:
            body["Type"] = [type_]
        if marker:
            body["Marker"] = marker
        status, _, page = signed(srv, TARGET + "ListOperations", json.dumps(body))
        assert status == 200, page
        out += page["Operations"]
        marker = page.get("NextPageMarker")
        if not marker:
            return out


def zone_of(r53, name):
    """The hosted zones named `name`."""
    hz = r53.list_hosted_zones_by_name(DNSName=name + ".")["HostedZones"]
    return [z for z in hz if z["Name"] == name + "."]


def dig(srv, server, name, rdtype="A"):
    """dig +norecurse at one sandbox server (named, with its port)."""
    return r53util.dig_at(server, srv.sandbox_port, name, rdtype)


def delegation(srv, name):
    """(status, NS targets in the authority section owned by name, glue lines)."""
    r = dig(srv, srv.tld_server(name), "www." + name)
    ns = sorted(rr[3].rstrip(".").lower() for rr in r.authority
                if rr[2] == "NS" and rr[0].rstrip(".").lower() == name)
    return r, ns


def assert_root_refers(srv, name):
    """dig +norecurse at a root server: the referral to the name's TLD, whatever the registry
    did below it."""
    tld = name.rstrip(".").rsplit(".", 1)[-1]
    r = dig(srv, srv.servers["root"], "www." + name)
    owners = {rr[0].rstrip(".").lower() for rr in r.authority if rr[2] == "NS"}
    assert r.status == "NOERROR" and "aa" not in r.flags and owners == {tld}, r


def assert_delegated(srv, name, want):
    r, ns = delegation(srv, name)
    assert r.status == "NOERROR" and "aa" not in r.flags, r
    assert ns == sorted(n.rstrip(".").lower() for n in want), r
    assert_root_refers(srv, name)


def assert_undelegated(srv, name):
    r, ns = delegation(srv, name)
    assert r.status == "NXDOMAIN" and ns == [], r
    assert_root_refers(srv, name)


def client_error(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"], e.value


# -- the aws CLIs ----------------------------------------------------------------------------

class DomainsCli(r53util.Cli):
    def run(self, *args, timeout=300):
        cmd = [self.exe, "route53domains"] + [str(a) for a in args] + [
            "--endpoint-url", self.api.url, "--output", "json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, env=self.env(), cwd=str(self.tmp))
        return r53util.CliResult(p)


@pytest.fixture(params=["v1", "v2"])
def dcli(request, dsrv, tmp_path_factory):
    exe = r53util.aws_cli(request.param)
    if exe is None:
        pytest.skip("aws CLI %s is not installed" % request.param)
    return DomainsCli(exe, request.param, dsrv, tmp_path_factory.mktemp("dcli-" + request.param))


def test_cli_register_and_delegate(dsrv, dcli, r53):
    name = uniq("org")
    r = dcli.json("check-domain-availability", "--domain-name", name)
    assert r["Availability"] == "AVAILABLE"
    args = ["register-domain", "--domain-name", name, "--duration-in-years", "2"]
    for flag, c in (("--admin-contact", contact("Ada")), ("--registrant-contact", contact("Rex")),
                    ("--tech-contact", contact("Tess"))):
        args += [flag, json.dumps(c)]
    op = dcli.json(*args)["OperationId"]
    deadline = time.monotonic() + 30
    while True:
        d = dcli.json("get-operation-detail", "--operation-id", op)
        if d["Status"] in ("SUCCESSFUL", "FAILED"):
            break
        assert time.monotonic() < deadline, d
        time.sleep(0.1)
    assert d["Status"] == "SUCCESSFUL", d
    assert d["Type"] == "REGISTER_DOMAIN" and d["DomainName"] == name
    detail = dcli.json("get-domain-detail", "--domain-name", name)
    zones = zone_of(r53, name)
    assert len(zones) == 1
    assert zones[0]["Config"].get("Comment") == "HostedZone created by Route53 Registrar"
    assert zones[0]["Config"]["PrivateZone"] is False
    ds = r53.get_hosted_zone(Id=zones[0]["Id"])["DelegationSet"]["NameServers"]
    assert [n["Name"] for n in detail["Nameservers"]] == ds
    assert detail["AutoRenew"] is True
    assert detail["AdminContact"]["FirstName"] == "Ada"
    assert_delegated(dsrv, name, ds)
    listed = dcli.json("list-domains")["Domains"]
    assert name in [x["DomainName"] for x in listed]
    assert dcli.json("check-domain-availability", "--domain-name", name)[
        "Availability"] == "UNAVAILABLE"
    # Errors as the CLI prints them.
    bad = dcli.run("check-domain-availability", "--domain-name", "x.notatld")
    assert bad.rc != 0 and "UnsupportedTLD" in bad.stderr, bad
    bad = dcli.run("get-domain-detail", "--domain-name", uniq())
    assert bad.rc != 0 and "InvalidInput" in bad.stderr, bad


def test_cli_every_other_operation(dsrv, dcli, r53):
    """The rest of the brief's operations through each aws CLI, with an error case for each."""
    name = uniq("net")
    register(dsrv.domains_client(), name)

    def wait(op):
        deadline = time.monotonic() + 30
        while True:
            d = dcli.json("get-operation-detail", "--operation-id", op)
            if d["Status"] in ("SUCCESSFUL", "FAILED"):
                assert d["Status"] == "SUCCESSFUL", d
                return d
            assert time.monotonic() < deadline, d
            time.sleep(0.1)

    def fails(code, *args):
        r = dcli.run(*args)
        assert r.rc != 0 and code in r.stderr, (args, r)

    label = name.split(".")[0]
    sugg = dcli.json("get-domain-suggestions", "--domain-name", label + ".com",
                     "--suggestion-count", "5", "--only-available")["SuggestionsList"]
    assert 0 < len(sugg) <= 5 and all(x["Availability"] == "AVAILABLE" for x in sugg), sugg
    fails("UnsupportedTLD", "get-domain-suggestions", "--domain-name", "x.notatld",
          "--suggestion-count", "5", "--only-available")

    prices = dcli.json("list-prices")["Prices"]
    assert {"com", "net", "org", "uk", "internal"} <= {p["Name"] for p in prices}, prices
    fails("UnsupportedTLD", "list-prices", "--tld", "notatld")

    # Vanity name servers with glue, then back to the hosted zone's four.
    ns = [{"Name": "ns1." + name, "GlueIps": ["192.0.2.53"]}, {"Name": "ns.example.org"}]
    wait(dcli.json("update-domain-nameservers", "--domain-name", name,
                   "--nameservers", json.dumps(ns))["OperationId"])
    r, got = delegation(dsrv, name)
    assert got == sorted(["ns1." + name, "ns.example.org"]), r
    assert [x[3] for x in r.additional if x[0].rstrip(".") == "ns1." + name] == ["192.0.2.53"]
    fails("InvalidInput", "update-domain-nameservers", "--domain-name", name,
          "--nameservers", json.dumps([{"Name": "ns2." + name}]))
    zone_ns = r53.get_hosted_zone(Id=zone_of(r53, name)[0]["Id"])["DelegationSet"]["NameServers"]
    wait(dcli.json("update-domain-nameservers", "--domain-name", name, "--nameservers",
                   json.dumps([{"Name": n} for n in zone_ns]))["OperationId"])
    assert_delegated(dsrv, name, zone_ns)

    wait(dcli.json("update-domain-contact", "--domain-name", name, "--tech-contact",
                   json.dumps(contact("Grace")))["OperationId"])
    assert dcli.json("get-domain-detail", "--domain-name", name)["TechContact"][
        "FirstName"] == "Grace"
    fails("InvalidInput", "update-domain-contact", "--domain-name", name, "--tech-contact",
          json.dumps(contact("Grace", PhoneNumber="12345")))

    wait(dcli.json("disable-domain-transfer-lock", "--domain-name", name)["OperationId"])
    assert "clientTransferProhibited" not in dcli.json(
        "get-domain-detail", "--domain-name", name).get("StatusList", [])
    wait(dcli.json("enable-domain-transfer-lock", "--domain-name", name)["OperationId"])
    assert "clientTransferProhibited" in dcli.json(
        "get-domain-detail", "--domain-name", name)["StatusList"]
    fails("InvalidInput", "enable-domain-transfer-lock", "--domain-name", uniq())

    dcli.json("disable-domain-auto-renew", "--domain-name", name)
    assert dcli.json("get-domain-detail", "--domain-name", name)["AutoRenew"] is False
    dcli.json("enable-domain-auto-renew", "--domain-name", name)
    assert dcli.json("get-domain-detail", "--domain-name", name)["AutoRenew"] is True
    fails("InvalidInput", "disable-domain-auto-renew", "--domain-name", uniq())

    expiry = dsrv.domains_client().get_domain_detail(DomainName=name)["ExpirationDate"]
    year = expiry.astimezone(datetime.timezone.utc).year
    fails("InvalidInput", "renew-domain", "--domain-name", name, "--current-expiry-year",
          str(year + 5), "--duration-in-years", "1")
    wait(dcli.json("renew-domain", "--domain-name", name, "--current-expiry-year", str(year),
                   "--duration-in-years", "2")["OperationId"])

    ops = dcli.json("list-operations")["Operations"]
    mine = {o["OperationId"] for o in ops}
    assert len(mine) == len(ops) and len(ops) >= 8, ops
    assert {"UPDATE_NAMESERVER", "UPDATE_DOMAIN_CONTACT", "DOMAIN_LOCK", "RENEW_DOMAIN"} <= {
        o["Type"] for o in ops}, ops

    wait(dcli.json("delete-domain", "--domain-name", name)["OperationId"])
    assert_undelegated(dsrv, name)
    assert len(zone_of(r53, name)) == 1  # the hosted zone stays, as on AWS
    fails("InvalidInput", "delete-domain", "--domain-name", name)


# -- registration and the delegation ---------------------------------------------------------

def test_register_creates_zone_and_delegation(dsrv, rd, r53):
    name = uniq("com")
    assert rd.check_domain_availability(DomainName=name)["Availability"] == "AVAILABLE"
    op = register(rd, name, years=3)
    zones = zone_of(r53, name)
    assert len(zones) == 1
    zone = r53.get_hosted_zone(Id=zones[0]["Id"])
    ns = zone["DelegationSet"]["NameServers"]
    d = rd.get_domain_detail(DomainName=name)
    assert [n["Name"] for n in d["Nameservers"]] == ns
    assert d["ExpirationDate"].year == d["CreationDate"].year + 3
    assert "clientTransferProhibited" in d["StatusList"]
    assert_delegated(dsrv, name, ns)
    # The hosted zone answers at its name servers' addresses (the hosted role).
    apex = dig(dsrv, dsrv.servers["hosted"][0], name, "SOA")
    assert apex.status == "NOERROR" and "aa" in apex.flags, apex
    ops = operations(dsrv, "REGISTER_DOMAIN")
    assert op in [o["OperationId"] for o in ops]


def test_register_errors(dsrv, rd):
    code, msg, _ = client_error(rd.register_domain, DomainName="example.notatld",
                                DurationInYears=1, **contacts())
    assert code == "UnsupportedTLD" and ".notatld" in msg
    code, msg, _ = client_error(rd.register_domain, DomainName="bad-.com", DurationInYears=1,
                                **contacts())
    assert code == "InvalidInput" and "hyphen" in msg
    code, msg, _ = client_error(rd.register_domain, DomainName="a.b.com", DurationInYears=1,
                                **contacts())
    assert code == "InvalidInput"
    code, msg, _ = client_error(rd.register_domain, DomainName=uniq(), DurationInYears=11,
                                **contacts())
    assert code == "InvalidInput" and "durationInYears" in msg
    for member, value in (("PhoneNumber", "555-1234"), ("Email", "nobody"),
                          ("CountryCode", "ZZ"), ("ContactType", "COMPANY")):
        c = contacts()
        c["AdminContact"][member] = value
        code, msg, _ = client_error(rd.register_domain, DomainName=uniq(), DurationInYears=1,
                                    **c)
        assert code == "InvalidInput", (member, code, msg)
        assert "AdminContact." in msg, msg
        assert value not in msg or member == "ContactType", msg  # contacts are never echoed
    code, msg, _ = client_error(rd.register_domain, DomainName="gtld-servers.net",
                                DurationInYears=1, **contacts())
    assert code == "InvalidInput" and "not available" in msg
    taken = uniq()
    register(rd, taken)
    code, msg, _ = client_error(rd.register_domain, DomainName=taken, DurationInYears=1,
                                **contacts())
    assert code == "InvalidInput" and "not available" in msg
    code, msg, _ = client_error(rd.get_domain_detail, DomainName=uniq())
    assert code == "InvalidInput" and "not found" in msg
    code, msg, _ = client_error(rd.get_operation_detail, OperationId="no-such-operation")
    assert code == "InvalidInput"


def test_duplicate_request_and_statuses(dsrv, rd):
    name = uniq("net")
    hook(dsrv, "HoldOperations", Hold=True, At="SUBMITTED")
    try:
        op = rd.register_domain(DomainName=name, DurationInYears=1, **contacts())["OperationId"]
        assert rd.get_operation_detail(OperationId=op)["Status"] == "SUBMITTED"
        code, msg, err = client_error(rd.register_domain, DomainName=name, DurationInYears=1,
                                      **contacts())
        assert code == "DuplicateRequest", (code, msg)
        hook(dsrv, "HoldOperations", Hold=True, At="IN_PROGRESS")
        deadline = time.monotonic() + 10
        while rd.get_operation_detail(OperationId=op)["Status"] != "IN_PROGRESS":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert_undelegated(dsrv, name)
    finally:
        hook(dsrv, "HoldOperations", Hold=False)
    assert wait_op(rd, op)["Status"] == "SUCCESSFUL"
    assert_delegated(dsrv, name, [n["Name"] for n in
                                  rd.get_domain_detail(DomainName=name)["Nameservers"]])


def test_update_nameservers_and_glue(dsrv, rd, r53):
    name = uniq("com")
    register(rd, name)
    code, msg, _ = client_error(rd.update_domain_nameservers, DomainName=name,
                                Nameservers=[{"Name": "ns1." + name}])
    assert code == "InvalidInput" and "GlueIps" in msg
    code, msg, _ = client_error(rd.update_domain_nameservers, DomainName=name,
                                Nameservers=[{"Name": "ns.elsewhere.org",
                                              "GlueIps": ["192.0.2.1"]}])
    assert code == "InvalidInput"
    op = rd.update_domain_nameservers(
        DomainName=name,
        Nameservers=[{"Name": "ns1." + name, "GlueIps": ["192.0.2.53", "2001:db8::53"]},
                     {"Name": "ns.elsewhere.org"}])["OperationId"]
    d = wait_op(rd, op)
    assert d["Status"] == "SUCCESSFUL" and d["Type"] == "UPDATE_NAMESERVER"
    detail = rd.get_domain_detail(DomainName=name)
    assert [n["Name"] for n in detail["Nameservers"]] == ["ns1." + name, "ns.elsewhere.org"]
    r, ns = delegation(dsrv, name)
    assert ns == sorted(["ns1." + name, "ns.elsewhere.org"]), r
    glue = {(rr[0].rstrip("."), rr[2], rr[3]) for rr in r._section("ADDITIONAL")}
    assert ("ns1." + name, "A", "192.0.2.53") in glue, r
    assert ("ns1." + name, "AAAA", "2001:db8::53") in glue, r
    # Back to signpost's own name servers (names in another zone: no glue needed).
    zone_ns = r53.get_hosted_zone(Id=zone_of(r53, name)[0]["Id"])["DelegationSet"]["NameServers"]
    op = rd.update_domain_nameservers(DomainName=name,
                                      Nameservers=[{"Name": n} for n in zone_ns])["OperationId"]
    assert wait_op(rd, op)["Status"] == "SUCCESSFUL"
    assert_delegated(dsrv, name, zone_ns)


def test_delete_keeps_the_zone(dsrv, rd, r53):
    name = uniq("org")
    register(rd, name)
    op = rd.delete_domain(DomainName=name)["OperationId"]
    d = wait_op(rd, op)
    assert d["Status"] == "SUCCESSFUL" and d["Type"] == "DELETE_DOMAIN"
    assert_undelegated(dsrv, name)
    assert len(zone_of(r53, name)) == 1
    code, _, _ = client_error(rd.get_domain_detail, DomainName=name)
    assert code == "InvalidInput"
    assert rd.check_domain_availability(DomainName=name)["Availability"] == "AVAILABLE"


def test_toggles_contacts_and_renew(dsrv, rd):
    name = uniq("com")
    register(rd, name)
    rd.disable_domain_auto_renew(DomainName=name)
    assert rd.get_domain_detail(DomainName=name)["AutoRenew"] is False
    rd.enable_domain_auto_renew(DomainName=name)
    assert rd.get_domain_detail(DomainName=name)["AutoRenew"] is True
    op = rd.disable_domain_transfer_lock(DomainName=name)["OperationId"]
    assert wait_op(rd, op)["Type"] == "DOMAIN_LOCK"
    summary = [x for x in rd.list_domains()["Domains"] if x["DomainName"] == name][0]
    assert summary["TransferLock"] is False
    op = rd.update_domain_contact(DomainName=name, TechContact=contact("Grace"))["OperationId"]
    assert wait_op(rd, op)["Type"] == "UPDATE_DOMAIN_CONTACT"
    assert rd.get_domain_detail(DomainName=name)["TechContact"]["FirstName"] == "Grace"
    year = rd.get_domain_detail(DomainName=name)["ExpirationDate"].year
    code, msg, _ = client_error(rd.renew_domain, DomainName=name, CurrentExpiryYear=year + 1,
                                DurationInYears=1)
    assert code == "InvalidInput" and "CurrentExpiryYear" in msg
    op = rd.renew_domain(DomainName=name, CurrentExpiryYear=year, DurationInYears=2)["OperationId"]
    assert wait_op(rd, op)["Type"] == "RENEW_DOMAIN"
    assert rd.get_domain_detail(DomainName=name)["ExpirationDate"].year == year + 2
    types = {o["Type"] for o in operations(dsrv) if o["DomainName"] == name}
    assert {"ENABLE_AUTORENEW", "DISABLE_AUTORENEW", "DOMAIN_LOCK", "UPDATE_DOMAIN_CONTACT",
            "RENEW_DOMAIN"} <= types


def test_lists_prices_suggestions(dsrv, rd):
    prefix = "l%s" % uuid.uuid4().hex[:6]
    names = ["%s%d.com" % (prefix, i) for i in range(5)]
    for n in names:
        register(rd, n)
    flt = [{"Name": "DomainName", "Operator": "BEGINS_WITH", "Values": [prefix]}]
    got = []
    for page in rd.get_paginator("list_domains").paginate(
            FilterConditions=flt, PaginationConfig={"PageSize": 2}):
        assert len(page["Domains"]) <= 2
        got += [d["DomainName"] for d in page["Domains"]]
    assert got == names
    desc = rd.list_domains(FilterConditions=flt,
                           SortCondition={"Name": "DomainName", "SortOrder": "DESC"})
    assert [d["DomainName"] for d in desc["Domains"]] == names[::-1]
    code, _, _ = client_error(rd.list_domains, MaxItems=101)
    assert code == "InvalidInput"
    ops = []
    for page in rd.get_paginator("list_operations").paginate(PaginationConfig={"PageSize": 3}):
        assert len(page["Operations"]) <= 3
        ops += page["Operations"]
    assert len({o["OperationId"] for o in ops}) == len(ops)
    assert len(ops) == len(operations(dsrv))
    # The model's newer filters, sent by hand (Debian's botocore predates them).
    status, _, out = signed(dsrv, TARGET + "ListOperations",
                            json.dumps({"Type": ["REGISTER_DOMAIN"], "Status": ["SUCCESSFUL"],
                                        "SortBy": "SubmittedDate", "SortOrder": "DESC",
                                        "MaxItems": 5}))
    assert status == 200, out
    assert len(out["Operations"]) == 5 and out["NextPageMarker"]
    assert [o["DomainName"] for o in out["Operations"]] == names[::-1]
    prices = rd.list_prices()["Prices"]
    assert {p["Name"] for p in prices} == {"com", "net", "org", "uk", "internal"}
    com = rd.list_prices(Tld="com")["Prices"][0]
    assert com["RegistrationPrice"]["Currency"] == "USD"
    assert com["RegistrationPrice"]["Price"] > 0
    code, _, _ = client_error(rd.list_prices, Tld="notatld")
    assert code == "UnsupportedTLD"
    s = rd.get_domain_suggestions(DomainName=names[0], SuggestionCount=8, OnlyAvailable=True)
    assert len(s["SuggestionsList"]) == 8
    assert all(x["Availability"] == "AVAILABLE" for x in s["SuggestionsList"])
    assert rd.check_domain_availability(DomainName="www." + names[0])[
        "Availability"] == "INVALID_NAME_FOR_TLD"


def test_protocol_errors(dsrv, rd):
    status, headers, out = signed(dsrv, TARGET + "FlyToTheMoon", "{}")
    assert status == 400 and out["__type"] == "UnknownOperationException", out
    assert "x-amzn-requestid" in headers
    assert headers["content-type"] == "application/x-amz-json-1.1"
    status, _, out = signed(dsrv, TARGET + "ListDomains", "{\"MaxItems\": ")
    assert status == 400 and out["__type"] == "SerializationException", out
    code, msg, _ = client_error(rd.view_billing)
    assert code == "InvalidInput" and "ViewBilling" in msg
    code, msg, _ = client_error(rd.transfer_domain, DomainName=uniq(), DurationInYears=1,
                                **contacts())
    assert code == "InvalidInput" and "TransferDomain" in msg
    # SigV4 is checked before the body is read: a bad signature over bad JSON is a 403.
    status, _, out = signed(dsrv, TARGET + "ListDomains", "{not json",
                            secret_key="wrong/secret/wrong/secret/wrong/secret/00")
    assert status == 403 and out["__type"] == "SignatureDoesNotMatch", out
    code, _, _ = client_error(dsrv.domains_client(secret_key="x" * 40).list_domains)
    assert code == "SignatureDoesNotMatch"
    status, _, out = signed(dsrv, TARGET + "ListDomains", "{}", service="route53")
    assert status == 403, out
    status, _, out = r53util.send(dsrv, "POST", "/", {"X-Amz-Target": TARGET + "ListDomains"},
                                  b"{}")
    assert status == 403 and json.loads(out)["__type"] == "MissingAuthenticationToken"
    # The Route 53 API beside it still answers.
    assert dsrv.client().get_hosted_zone_count()["HostedZoneCount"] >= 0


# -- the virtual clock -----------------------------------------------------------------------

def test_expiry_and_auto_renew(dsrv, rd):
    keep, lapse = uniq("com"), uniq("net")
    register(rd, keep)
    register(rd, lapse)
    rd.disable_domain_auto_renew(DomainName=lapse)
    keep_year = rd.get_domain_detail(DomainName=keep)["ExpirationDate"].year
    ns = [n["Name"] for n in rd.get_domain_detail(DomainName=lapse)["Nameservers"]]
    assert_delegated(dsrv, lapse, ns)
    now = hook(dsrv, "AdvanceClock", Seconds=366 * 86400 + 3600)["Now"]
    # Auto-renewed: a year later, still delegated, a RENEW_DOMAIN operation recorded.
    assert rd.get_domain_detail(DomainName=keep)["ExpirationDate"].year == keep_year + 1
    renewals = [o for o in operations(dsrv, "RENEW_DOMAIN") if o["DomainName"] == keep]
    assert renewals and renewals[0]["Status"] == "SUCCESSFUL"
    assert_delegated(dsrv, keep, [n["Name"] for n in
                                  rd.get_domain_detail(DomainName=keep)["Nameservers"]])
    # Expired: no longer resolves, and says so.
    assert_undelegated(dsrv, lapse)
    d = rd.get_domain_detail(DomainName=lapse)
    assert "clientHold" in d["StatusList"]
    assert d["ExpirationDate"].timestamp() < now
    expired = rd.list_domains(FilterConditions=[{"Name": "Expiry", "Operator": "LE",
                                                 "Values": [str(int(now))]}])["Domains"]
    assert lapse in [x["DomainName"] for x in expired]
    assert keep not in [x["DomainName"] for x in expired]
    # Renewing brings it back.
    op = rd.renew_domain(DomainName=lapse, CurrentExpiryYear=d["ExpirationDate"].year,
                         DurationInYears=1)["OperationId"]
    assert wait_op(rd, op)["Status"] == "SUCCESSFUL"
    assert_delegated(dsrv, lapse, ns)


# -- a server of its own ---------------------------------------------------------------------

def test_quota_and_restart(fresh):
    rd = fresh.domains_client()
    names = [uniq(("com", "net", "org")[i % 3]) for i in range(20)]
    for n in names:
        register(rd, n)
    code, msg, _ = client_error(rd.register_domain, DomainName=uniq(), DurationInYears=1,
                                **contacts())
    assert code == "DomainLimitExceeded", msg
    # An acknowledged operation is durable: SIGKILL while it is still SUBMITTED, and the next
    # process carries it out.
    rd.delete_domain(DomainName=names[0])  # frees one slot
    wait_op(rd, operations(fresh, "DELETE_DOMAIN")[0]["OperationId"])
    hook(fresh, "HoldOperations", Hold=True, At="SUBMITTED")
    late = uniq("org")
    op = rd.register_domain(DomainName=late, DurationInYears=1, **contacts())["OperationId"]
    assert rd.get_operation_detail(OperationId=op)["Status"] == "SUBMITTED"
    hook(fresh, "AdvanceClock", Seconds=3600)
    fresh._kill()
    fresh.start(keep_ports=True)
    rd = fresh.domains_client()
    assert wait_op(rd, op)["Status"] == "SUCCESSFUL"
    assert hook(fresh, "GetClock")["Offset"] == 3600
    r53 = fresh.client()
    # Every registration survived and is delegated again by the new process.
    for n in names[1:4] + [late]:
        ns = r53.get_hosted_zone(Id=zone_of(r53, n)[0]["Id"])["DelegationSet"]["NameServers"]
        assert [x["Name"] for x in rd.get_domain_detail(DomainName=n)["Nameservers"]] == ns
        assert_delegated(fresh, n, ns)
    assert_undelegated(fresh, names[0])
    assert len(zone_of(r53, late)) == 1


def test_contacts_never_logged(request, tmp_path_factory, _aws_env):
    """Contacts are sensitive (the model says so): not even debug logging shows them."""
    srv = _launch(request, tmp_path_factory, extra_args=["--log-level", "debug"])
    rd = srv.domains_client()
    secret = "Zq" + uuid.uuid4().hex[:12]
    c = contacts()
    for k in c:
        c[k] = contact(secret, LastName=secret + "L", Email=secret + "@example.net",
                       AddressLine1=secret + " Street")
    name = uniq()
    op = rd.register_domain(DomainName=name, DurationInYears=1, **c)["OperationId"]
    assert wait_op(rd, op)["Status"] == "SUCCESSFUL"
    bad = dict(c)
    bad["TechContact"] = dict(c["TechContact"], PhoneNumber="+1-" + secret)
    code, msg, _ = client_error(rd.register_domain, DomainName=uniq(), DurationInYears=1, **bad)
    assert code == "InvalidInput" and secret not in msg
    op = rd.update_domain_contact(DomainName=name, AdminContact=c["AdminContact"])["OperationId"]
    assert wait_op(rd, op)["Status"] == "SUCCESSFUL"
    rd.get_domain_detail(DomainName=name)
    log = srv.stderr()
    assert "domains" in log  # debug logging was on and saw the calls
    assert secret not in log
