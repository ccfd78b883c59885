"""Durability under SIGKILL (issue 3, "Durability"; shared/reference/durability.md §3a).

Several client threads send ChangeResourceRecordSets batches to one hosted zone while the
server is killed with SIGKILL at a random moment, over and over, and restarted on the same
--data directory and ports (a new zone each round, created just before the load: one zone
would reach the 10,000 record sets limit). After every restart, for the batches of all rounds:

- every acknowledged batch (HTTP 200) is wholly present, in ListResourceRecordSets and in the
  DNS answers on our port, and GetChange on its change id says INSYNC;
- every unacknowledged batch (an error response or no response) is wholly present or wholly
  absent, never partial, and stays that way in later rounds; DNS agrees with the API;
- the SOA serial never goes back;
- `PRAGMA integrity_check` of the database as the crash left it (copied before the restart,
  so that checking it does not recover the WAL in the server's place) says ok, and so does
  the live database at the end.

Some rounds also kill the server while it is starting up, before the API answers.

Each batch creates TXT records with unique names r<round>-t<thread>-<n>-<k>.<zone> whose value
names the batch, so a record can only belong to its own batch. Most batches have 3 records;
every 8th has 25, so that a kill lands inside a bigger commit now and then.

Nothing here measures time: the delays only decide where the kill lands. The counts per round
are printed (run pytest with -s to see them).
"""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import botocore.exceptions
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.exception

import servers
from r53util import list_rrsets, new_zone

ASAN = "asan" in os.environ.get("SIGNPOST_BIN", "").lower()
ROUNDS = int(os.environ.get("DURABILITY_ROUNDS", "8" if ASAN else "10"))
THREADS = 4
# Where the kill lands: this long after the writers start (seconds, uniform).
KILL_DELAY = (0.2, 1.5) if ASAN else (0.05, 0.8)
MAX_BATCHES_PER_THREAD = 5000  # per round; a bound, never expected to be reached
SMALL, BIG = 3, 25
TTL = 300
WAIT = 60  # bound on every wait for a process or a thread


# -- the writers ---------------------------------------------------------------------------

class Batch:
    def __init__(self, zone, bid, names):
        self.zone = zone
        self.bid = bid
        self.names = names
        self.acked = False
        self.change_id = None
        self.error = None  # why it was not acknowledged
        self.outcome = None  # "present" / "absent", once decided after a restart


def _value(bid):
    return '"%s"' % bid


def _writer(client, zone, rnd, tid, stop, out):
    for n in range(MAX_BATCHES_PER_THREAD):
        if stop.is_set():
            return
        bid = "r%d-t%d-%d" % (rnd, tid, n)
        size = BIG if n % 8 == 7 else SMALL
        names = ["%s-%d.%s" % (bid, k, zone["name"]) for k in range(1, size + 1)]
        b = Batch(zone, bid, names)
        out.append(b)  # "sent" before the call
        changes = [{"Action": "CREATE",
                    "ResourceRecordSet": {"Name": nm, "Type": "TXT", "TTL": TTL,
                                          "ResourceRecords": [{"Value": _value(bid)}]}}
                   for nm in names]
        try:
            resp = client.change_resource_record_sets(
                HostedZoneId=zone["id"], ChangeBatch={"Changes": changes, "Comment": bid})
        except botocore.exceptions.ClientError as e:
            meta = e.response.get("ResponseMetadata", {})
            b.error = "HTTP %s %s" % (meta.get("HTTPStatusCode"),
                                      e.response.get("Error", {}).get("Code"))
            continue
        except Exception as e:  # noqa: BLE001 - connection reset/refused: no answer
            b.error = type(e).__name__
            continue
        if resp["ResponseMetadata"]["HTTPStatusCode"] == 200:
            b.acked = True
            b.change_id = resp["ChangeInfo"]["Id"]
        else:
            b.error = "HTTP %s" % resp["ResponseMetadata"]["HTTPStatusCode"]


# -- the server ----------------------------------------------------------------------------

def _sigkill(api, stop=None):
    """SIGKILL by pid (then tells the writers to stop), waits for it, and releases the log
    files (the fixture's bookkeeping)."""
    pid = api.proc.pid
    os.kill(pid, signal.SIGKILL)
    if stop is not None:
        stop.set()
    rc = api.proc.wait(timeout=WAIT)
    assert rc == -signal.SIGKILL, "signpost pid %d ended with %r, not by SIGKILL" % (pid, rc)
    for f in api._files:
        f.close()
    api._files = []


def _restart(api, kill_during_startup=None):
    """Starts the server again on the same data directory and ports; optionally kills it
    first while it is still starting (kill_during_startup seconds after the spawn)."""
    if kill_during_startup is not None:
        api.spawn(keep_ports=True)
        time.sleep(kill_during_startup)
        if api.alive():
            _sigkill(api)
        else:  # it exited on its own: that is a failure, not something to paper over
            raise AssertionError("signpost up exited with %s while starting:\n%s" % (
                api.proc.returncode, api.stderr()[-4000:]))
    try:
        api.start(keep_ports=True)
    except RuntimeError as e:
        raise AssertionError("signpost up did not restart after SIGKILL: %s" % e) from None


# -- checks --------------------------------------------------------------------------------

def _integrity(path):
    """PRAGMA integrity_check of the database at path, with the sqlite3 CLI when it is there."""
    if shutil.which("sqlite3"):
        p = subprocess.run(["sqlite3", str(path), "PRAGMA integrity_check"],
                           capture_output=True, text=True, timeout=WAIT,
                           stdin=subprocess.DEVNULL)
        return (p.stdout + p.stderr).strip()
    con = sqlite3.connect(str(path))
    try:
        return "\n".join(r[0] for r in con.execute("PRAGMA integrity_check"))
    finally:
        con.close()


def _crash_copy_integrity(api, scratch):
    """integrity_check of a copy of the database files as the SIGKILL left them."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    db = api.data / "signpost.db"
    assert db.exists(), "no %s after the crash" % db
    for suffix in ("", "-wal"):  # -shm is rebuilt from the WAL
        src = api.data / ("signpost.db" + suffix)
        if src.exists():
            shutil.copyfile(src, scratch / src.name)
    return _integrity(scratch / "signpost.db")


def _dns(api, name, rdtype):
    q = dns.message.make_query(name, rdtype)
    q.flags &= ~dns.flags.RD
    last = None
    for _ in range(3):
        try:
            return dns.query.udp(q, servers.V4, port=api.dns_port, timeout=3)
        except dns.exception.Timeout as e:
            last = e
    try:
        return dns.query.tcp(q, servers.V4, port=api.dns_port, timeout=5)
    except Exception as e:  # noqa: BLE001
        raise AssertionError("no DNS answer for %s %s on port %d: %r / %r" % (
            name, rdtype, api.dns_port, last, e)) from None


def _dns_txt(api, name):
    """("NOERROR", [txt values]) or (rcode text, [])."""
    r = _dns(api, name, "TXT")
    rc = dns.rcode.to_text(r.rcode())
    vals = []
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.TXT and rrset.name.to_text().lower() == name.lower():
            vals.extend(b"".join(rd.strings).decode() for rd in rrset)
    return rc, vals


def _soa_serial(api, zone):
    r = _dns(api, zone["name"], "SOA")
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    raise AssertionError("no SOA for %s: %s" % (zone["name"], r))


def _verify(api, r53, zones, batches, dns_batches, problems):
    """Classifies every batch against ListResourceRecordSets (and DNS for dns_batches)."""
    have = {}
    for zone in zones:
        for rs in list_rrsets(r53, zone["id"]):
            if rs["Type"] == "TXT":
                have[rs["Name"].lower()] = (rs.get("TTL"), [r["Value"] for r in
                                                            rs.get("ResourceRecords", [])])
    for b in batches:
        want = (TTL, [_value(b.bid)])
        present = [nm for nm in b.names if nm.lower() in have]
        wrong = [(nm, have[nm.lower()]) for nm in present if have[nm.lower()] != want]
        if wrong:
            problems.append("batch %s: records with other content: %r" % (b.bid, wrong[:3]))
        if present and len(present) != len(b.names):
            problems.append("PARTIAL batch %s (%s): %d of %d records present, missing %r" % (
                b.bid, "acked " + str(b.change_id) if b.acked else "unacked: " + b.error,
                len(present), len(b.names), sorted(set(b.names) - set(present))[:5]))
            continue
        outcome = "present" if present else "absent"
        if b.acked and outcome == "absent":
            problems.append("LOST acknowledged batch %s (change %s): none of its %d records "
                            "is listed" % (b.bid, b.change_id, len(b.names)))
            continue
        if b.outcome is not None and b.outcome != outcome:
            problems.append("batch %s was %s after an earlier restart, now %s" % (
                b.bid, b.outcome, outcome))
        b.outcome = outcome
    for b in dns_batches:
        if b.outcome is None:
            continue  # already reported
        for nm in b.names:
            rc, vals = _dns_txt(api, nm)
            if b.outcome == "present" and (rc != "NOERROR" or vals != [_value(b.bid)[1:-1]]):
                problems.append("DNS: %s TXT -> %s %r, the API lists it (batch %s, %s)" % (
                    nm, rc, vals, b.bid, "acked" if b.acked else "unacked"))
                break
            if b.outcome == "absent" and rc != "NXDOMAIN":
                problems.append("DNS: %s TXT -> %s %r, the API does not list it (batch %s)" %
                                (nm, rc, vals, b.bid))
                break


# -- the test ------------------------------------------------------------------------------

def test_sigkill_during_concurrent_change_batches(make_api, tmp_path):
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    print("\ndurability: seed %d, %d rounds, %d writer threads, bin %s" % (
        seed, ROUNDS, THREADS, servers.signpost_bin()))

    api = make_api()
    zones = []  # one per round: a zone holds at most 10,000 record sets (MAX_RRSETS_BY_ZONE)
    batches = []  # every batch of every round
    serials = {}
    problems = []
    totals = {"acked": 0, "unacked-present": 0, "unacked-absent": 0}

    for rnd in range(ROUNDS):
        zone = new_zone(api.client())
        zones.append(zone)
        serials[zone["id"]] = serial = _soa_serial(api, zone)
        clients = [api.client(timeout=WAIT) for _ in range(THREADS)]
        stop = threading.Event()
        outs = [[] for _ in range(THREADS)]
        threads = [threading.Thread(target=_writer, args=(clients[t], zone, rnd, t, stop,
                                                          outs[t]), daemon=True)
                   for t in range(THREADS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(*KILL_DELAY))
        try:
            serial_seen = _soa_serial(api, zone)  # committed data only, so a lower bound
        except AssertionError:
            serial_seen = serial
        assert api.alive(), "signpost up died under load:\n" + api.stderr()[-4000:]
        _sigkill(api, stop)
        for t in threads:
            t.join(timeout=WAIT)
            assert not t.is_alive(), "a writer thread is stuck after the kill"
        this_round = [b for out in outs for b in out]
        batches.extend(this_round)

        ok = _crash_copy_integrity(api, tmp_path / "crash-copy")
        if ok != "ok":
            problems.append("round %d: integrity_check of the crashed database: %s" % (rnd, ok))

        # every third round, also kill it once while it starts up
        during = rng.uniform(0.0, 0.05) if rnd % 3 == 1 else None
        _restart(api, kill_during_startup=during)
        r53 = api.client(timeout=WAIT)

        _verify(api, r53, zones, batches, this_round, problems)
        for b in this_round:
            if b.error and b.error.startswith("HTTP 4"):
                problems.append("batch %s was refused (%s): the test sends only valid, "
                                "unique CREATEs" % (b.bid, b.error))
                break

        acked = [b for b in this_round if b.acked]
        for b in acked:
            st = r53.get_change(Id=b.change_id)["ChangeInfo"]["Status"]
            if st != "INSYNC":
                problems.append("GetChange(%s) (batch %s) is %s after the restart" % (
                    b.change_id, b.bid, st))
        acked_ids = {id(b) for b in acked}
        earlier = [b for b in batches if b.acked and id(b) not in acked_ids]
        for b in rng.sample(earlier, min(20, len(earlier))):
            st = r53.get_change(Id=b.change_id)["ChangeInfo"]["Status"]
            if st != "INSYNC":
                problems.append("GetChange(%s) (batch %s, earlier round) is %s" % (
                    b.change_id, b.bid, st))

        serials[zone["id"]] = max(serial, serial_seen)
        for z in zones:
            new_serial = _soa_serial(api, z)
            if new_serial < serials[z["id"]]:
                problems.append("round %d: SOA serial of %s went back from %d to %d" % (
                    rnd, z["name"], serials[z["id"]], new_serial))
            serials[z["id"]] = max(serials[z["id"]], new_serial)

        counts = {"acked": len(acked),
                  "unacked-present": sum(1 for b in this_round
                                         if not b.acked and b.outcome == "present"),
                  "unacked-absent": sum(1 for b in this_round
                                        if not b.acked and b.outcome == "absent")}
        errors = {}
        for b in this_round:
            if not b.acked:
                errors[b.error] = errors.get(b.error, 0) + 1
        for k in totals:
            totals[k] += counts[k]
        print("round %d: %d batches: %d acked, %d unacked-present, %d unacked-absent%s; "
              "unacked errors %r; serial %d" % (
                  rnd, len(this_round), counts["acked"], counts["unacked-present"],
                  counts["unacked-absent"],
                  ", killed once during startup" if during is not None else "", errors,
                  new_serial))
        assert not problems, "seed %d, round %d:\n%s" % (seed, rnd, "\n".join(problems[:40]))
        assert counts["acked"] + counts["unacked-present"] + counts["unacked-absent"] == len(
            this_round)

    # At the end: everything once more over DNS, then a clean stop and the live database.
    _verify(api, api.client(timeout=WAIT), zones, batches, batches, problems)
    assert not problems, "seed %d, final check:\n%s" % (seed, "\n".join(problems[:40]))
    stopped = api.stop_and_check()
    assert not stopped, "\n".join(stopped)
    ok = _integrity(api.data / "signpost.db")
    assert ok == "ok", "integrity_check of %s after the final stop: %s" % (api.data, ok)
    print("durability totals over %d rounds: %d batches, %d acked, %d unacked-present, "
          "%d unacked-absent" % (ROUNDS, len(batches), totals["acked"],
                                 totals["unacked-present"], totals["unacked-absent"]))
    assert totals["acked"] > 0, "no batch was ever acknowledged: the test proved nothing"
