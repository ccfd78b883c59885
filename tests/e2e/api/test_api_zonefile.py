"""`signpost import` and `signpost export` (issue 3, "Zone files"): a BIND zone file goes into a
hosted zone as ONE change batch with the API's validation, and a hosted zone comes out as a
zone file that imports again into a fresh zone with the same record sets.

Both commands work on the --data directory directly, so `signpost up` is stopped (SIGTERM)
around them and started again on the same directory and ports; while it runs they refuse."""

import fcntl
import os
import subprocess
import time

import servers
from r53util import _tcp_open, alias, change, find, list_rrsets, new_zone, rrset, values

# Every line of this file is a record, so line numbers in messages are easy to predict.
ZONE = """\
$TTL 300
@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 2024010101 7200 900 1209600 86400
@ 172800 IN NS ns1.example.net.
@ IN A 192.0.2.10
@ IN MX 10 mail
@ IN TXT "v=spf1 -all"
@ IN CAA 0 issue "letsencrypt.org"
www IN A 192.0.2.1
www IN A 192.0.2.2
www 600 IN AAAA 2001:db8::1
mail IN A 192.0.2.25
alias IN CNAME www
*.wild IN TXT "wild card" "second string"
_sip._tcp IN SRV 10 60 5060 sip
sip IN A 192.0.2.50
ptr IN PTR www.example.org.
sub IN NS ns1.example.net.
sub IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
naptr IN NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
ssh IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567
_443._tcp.www IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
spf IN SPF "v=spf1 -all"
svc IN SVCB 1 svc-target alpn=h2 port=8443
@ IN HTTPS 1 . alpn=h2,h3
"""


def run(*args, timeout=60):
    p = subprocess.run([str(servers.signpost_bin())] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    for m in servers.SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


def restart(api):
    """Starts `signpost up` again on the same directory and ports; returns a fresh client."""
    api.start(keep_ports=True)
    deadline = time.monotonic() + 30
    while not _tcp_open(api.api_port):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return api.client()


def stop(api):
    problems = api.stop_and_check()
    assert not problems, "\n".join(problems)


def comparable(rrsets, skip_apex_soa_ns=False, zone_name=None):
    out = []
    for rs in rrsets:
        if skip_apex_soa_ns and rs["Name"] == zone_name and rs["Type"] in ("SOA", "NS"):
            continue
        if "AliasTarget" in rs:
            continue
        rs = dict(rs)
        rs["ResourceRecords"] = sorted(r["Value"] for r in rs.get("ResourceRecords", []))
        out.append(rs)
    return out


def test_help():
    p = run("--help")
    assert p.returncode == 0 and "import" in p.stdout and "export" in p.stdout
    for cmd in ("import", "export"):
        p = run(cmd, "--help")
        assert p.returncode == 0, p
        assert p.stdout.startswith("Usage: signpost %s" % cmd), p.stdout
        assert "--zone-id" in p.stdout and "--data" in p.stdout
    p = run("import", "--data", "/nonexistent")
    assert p.returncode == 2 and "--zone-id" in p.stderr, p


def test_import_serve_export_roundtrip(make_api, tmp_path):
    api = make_api()
    r53 = api.client()
    z = new_zone(r53)
    name, zid = z["name"], z["id"]
    before = list_rrsets(r53, zid)

    # While the server runs, the store is in use: refused, nothing imported.
    zf = tmp_path / "zone.txt"
    zf.write_text(ZONE)
    p = run("import", "--data", api.data, "--zone-id", zid, zf)
    assert p.returncode == 1, p
    assert "in use by another signpost (pid %d)" % api.proc.pid in p.stderr, p.stderr
    p = run("export", "--data", api.data, "--zone-id", zid)
    assert p.returncode == 1 and "in use" in p.stderr, p
    stop(api)

    # Bad rdata on line 7: FILE:7:, exit 1, nothing imported.
    bad = tmp_path / "bad.zone"
    lines = ZONE.splitlines()
    lines[6] = "bad IN A 192.0.2.999"
    bad.write_text("\n".join(lines) + "\n")
    p = run("import", "--data", api.data, "--zone-id", zid, bad)
    assert p.returncode == 1, p
    assert "%s:7:" % bad in p.stderr, p.stderr

    # A record outside the zone: exit 1, nothing imported.
    outside = tmp_path / "outside.zone"
    outside.write_text(ZONE + "www.example.org. IN A 192.0.2.3\n")
    p = run("import", "--data", api.data, "--zone-id", zid, outside)
    assert p.returncode == 1, p
    assert "%s:25:" % outside in p.stderr and "outside" in p.stderr.lower(), p.stderr

    # A batch the API refuses (CNAME next to other data is caught by the file's own
    # loader; a type Route 53 lacks is refused before the batch): nothing imported.
    hinfo = tmp_path / "hinfo.zone"
    hinfo.write_text(ZONE + 'hw IN HINFO "PC" "Linux"\n')
    p = run("import", "--data", api.data, "--zone-id", zid, hinfo)
    assert p.returncode == 1 and "HINFO" in p.stderr, p

    # An unknown zone.
    p = run("import", "--data", api.data, "--zone-id", "ZNOSUCHZONE0000000000", zf)
    assert p.returncode == 1 and "NoSuchHostedZone" in p.stderr, p

    # The good file.
    p = run("import", "--data", api.data, "--zone-id", zid, zf)
    assert p.returncode == 0, p
    assert "imported 20 record sets (21 records)" in p.stdout, p.stdout
    assert "apex SOA and NS were skipped" in p.stdout

    r53 = restart(api)
    got = list_rrsets(r53, zid)
    assert find(got, name, "SOA") == find(before, name, "SOA")  # the zone kept its own
    assert find(got, name, "NS") == find(before, name, "NS")
    assert values(find(got, "www." + name, "A")) == ["192.0.2.1", "192.0.2.2"]
    assert find(got, "www." + name, "A")["TTL"] == 300
    assert find(got, "www." + name, "AAAA")["TTL"] == 600
    assert values(find(got, "alias." + name, "CNAME")) == ["www." + name]
    assert values(find(got, "\\052.wild." + name, "TXT")) == ['"wild card" "second string"']
    assert values(find(got, name, "MX")) == ["10 mail." + name]
    assert values(find(got, "_sip._tcp." + name, "SRV")) == ["10 60 5060 sip." + name]
    assert values(find(got, name, "CAA")) == ['0 issue "letsencrypt.org"']
    for n, t in (("sub", "DS"), ("naptr", "NAPTR"), ("ssh", "SSHFP"), ("_443._tcp.www", "TLSA"),
                 ("spf", "SPF"), ("svc", "SVCB"), ("ptr", "PTR")):
        assert find(got, n + "." + name, t), (n, t, got)
    assert find(got, name, "HTTPS")
    assert len(got) == len(before) + 20  # and none of the refused files left anything

    # DNS serves them.
    assert api.dig("www." + name).rdatas("A") == ["192.0.2.1", "192.0.2.2"]
    assert api.dig("www." + name, "AAAA").rdatas("AAAA") == ["2001:db8::1"]
    assert api.dig("x.wild." + name, "TXT").rdatas("TXT") == ['"wild card" "second string"']
    assert api.dig(name, "MX").rdatas("MX") == ["10 mail." + name]
    assert api.dig("alias." + name).rdatas("CNAME") == ["www." + name]
    assert api.dig("_sip._tcp." + name, "SRV").rdatas("SRV") == ["10 60 5060 sip." + name]

    # A second import of the same file (CREATE) is refused by the API's validation, whole.
    change(r53, zid, ("CREATE", alias("web." + name, "A", zid, "www." + name)))
    stop(api)
    p = run("import", "--data", api.data, "--zone-id", zid, zf)
    assert p.returncode == 1, p
    assert "already exists" in p.stderr and "nothing imported" in p.stderr, p.stderr

    # Export, then import into a fresh zone of the same name: the same record sets.
    out = tmp_path / "export.zone"
    p = run("export", "--data", api.data, "--zone-id", zid, "-o", out)
    assert p.returncode == 0, p
    text = out.read_text()
    assert text.splitlines()[1] == "$ORIGIN %s" % name, text
    first = [line for line in text.splitlines() if line and not line.startswith(("$", ";"))]
    assert first[0].split()[3] == "SOA", text
    assert "; ALIAS web.%s A -> www.%s" % (name, name) in text, text
    assert "1 alias record set" in p.stderr, p.stderr
    p2 = run("export", "--data", api.data, "--zone-id", zid)  # to standard output
    assert p2.returncode == 0 and p2.stdout == text

    r53 = restart(api)
    b = new_zone(r53, name=name)
    c = new_zone(r53, name=name)
    a_sets = list_rrsets(r53, zid)
    stop(api)
    p = run("import", "--data", api.data, "--zone-id", b["id"], out)
    assert p.returncode == 0, p
    p = run("import", "--data", api.data, "--zone-id", c["id"], out, "--upsert")
    assert p.returncode == 0, p
    r53 = restart(api)
    b_sets = list_rrsets(r53, b["id"])
    c_sets = list_rrsets(r53, c["id"])
    assert comparable(b_sets, True, name) == comparable(a_sets, True, name)
    # --upsert also takes the apex SOA and NS from the file: everything identical.
    assert comparable(c_sets) == comparable(a_sets)
    stop(api)


def test_partial_file_and_upsert(make_api, tmp_path):
    """A file without SOA/NS (records to add) imports; --upsert replaces existing sets."""
    api = make_api()
    r53 = api.client()
    z = new_zone(r53)
    name, zid = z["name"], z["id"]
    change(r53, zid, ("CREATE", rrset("www." + name, "A", 60, "192.0.2.1")))
    stop(api)
    f = tmp_path / "add.zone"
    f.write_text("www 120 IN A 192.0.2.7\nnew IN TXT \"hello\"\n")
    p = run("import", "--data", api.data, "--zone-id", zid, f)
    assert p.returncode == 1 and "already exists" in p.stderr, p
    p = run("import", "--data", api.data, "--zone-id", zid, f, "--upsert")
    assert p.returncode == 0 and "imported 2 record sets" in p.stdout, p
    r53 = restart(api)
    got = list_rrsets(r53, zid)
    assert values(find(got, "www." + name, "A")) == ["192.0.2.7"]
    assert find(got, "www." + name, "A")["TTL"] == 120
    assert values(find(got, "new." + name, "TXT")) == ['"hello"']
    assert api.dig("new." + name, "TXT").rdatas("TXT") == ['"hello"']
    # the zone's SOA and NS are untouched: there were none in the file
    assert "ns-1.awsdns-01.com." in values(find(got, name, "NS"))
    stop(api)


def test_up_refuses_while_a_command_holds_the_store(make_api):
    """The lock works both ways: `signpost up` will not start while DIR/lock is held."""
    api = make_api()
    stop(api)
    fd = os.open(api.data / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.write(fd, b"4242\n")
        api.spawn(keep_ports=True)
        api.proc.wait(timeout=30)
        assert api.proc.returncode == 1
        assert "is in use by another signpost (pid 4242)" in api.stderr()
        api.stop()
    finally:
        os.close(fd)
    restart(api)


def test_export_pages_and_reimports_a_large_zone(make_api, tmp_path):
    """Export reads every page of ListResourceRecordSets (300 per page); 900 sets come back."""
    api = make_api()
    r53 = api.client()
    a = new_zone(r53)
    b = new_zone(r53, name=a["name"])
    stop(api)
    f = tmp_path / "big.zone"
    f.write_text("".join("h%04d 60 IN A 10.0.%d.%d\n" % (i, i // 250, i % 250)
                         for i in range(900)))
    p = run("import", "--data", api.data, "--zone-id", a["id"], f)
    assert p.returncode == 0 and "imported 900 record sets" in p.stdout, p
    out = tmp_path / "big.out"
    p = run("export", "--data", api.data, "--zone-id", a["id"], "-o", out)
    assert p.returncode == 0, p
    assert len([x for x in out.read_text().splitlines() if " IN A " in x]) == 900
    p = run("import", "--data", api.data, "--zone-id", b["id"], out)
    assert p.returncode == 0 and "imported 900 record sets" in p.stdout, p
    r53 = restart(api)
    sa, sb = list_rrsets(r53, a["id"]), list_rrsets(r53, b["id"])
    assert comparable(sa, True, a["name"]) == comparable(sb, True, a["name"])
    assert len(sa) == 902
    assert api.dig("h0899." + a["name"]).rdatas("A") == ["10.0.3.149"]
    stop(api)
