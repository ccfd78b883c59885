"""The sandbox internet's address plan for a test run: the reference plan
(../shared/reference/sandbox-internet.md §2) moved into a random 127.X.Y.0/24 block, so runs
side by side never share an address, on port 53 when this process may bind it (root), else on
a free port."""

import os
import random
import socket
import time

import servers

# role → last octet, as in the reference plan
ROOT = (("a.root-servers.net.", 2), ("b.root-servers.net.", 12))
GTLD = (("a.gtld-servers.net.", 3), ("b.gtld-servers.net.", 13))
TLDS = {
    "com": GTLD,
    "net": GTLD,
    "org": (("a.nic.org.", 8),),
    "uk": (("a.nic.uk.", 9),),
    "internal": (("a.nic.internal.", 10),),
}
HOSTED = (4, 5, 6, 7)
NAME_SERVERS = ("ns-1.awsdns-01.com.", "ns-2.awsdns-02.net.", "ns-3.awsdns-03.org.",
                "ns-4.awsdns-04.co.uk.")


def _can_bind(addr, port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


class Plan:
    def __init__(self, port=None):
        rnd = random.SystemRandom()
        while True:
            self.prefix = "127.%d.%d." % (rnd.randrange(64, 250), rnd.randrange(1, 250))
            if all(_can_bind(self.addr(o), 53 if os.geteuid() == 0 else 0)
                   for o in (2, 3, 4, 12)):
                break
        if port is None:
            port = 53 if os.geteuid() == 0 else servers.free_port()
        self.port = port

    def addr(self, octet):
        return self.prefix + str(octet)

    @property
    def root(self):
        return [self.addr(o) for _, o in ROOT]

    def tld(self, tld):
        return [self.addr(o) for _, o in TLDS[tld]]

    @property
    def hosted(self):
        return [self.addr(o) for o in HOSTED]

    @property
    def resolver(self):
        """An address of the block for a resolver under test (.1, as in the reference)."""
        return self.addr(1)

    def config_text(self):
        lines = ["# sandbox plan of this test run: block %s0/24, port %d" % (self.prefix,
                                                                            self.port)]
        lines.append("sandbox-root " + " ".join("%s=%s" % (n, self.addr(o)) for n, o in ROOT))
        for tld, servers_ in TLDS.items():
            lines.append("sandbox-tld %s %s" % (tld, " ".join("%s=%s" % (n, self.addr(o))
                                                               for n, o in servers_)))
        lines.append("sandbox-hosted " + " ".join(self.hosted))
        lines.append("sandbox-port %d" % self.port)
        return "\n".join(lines) + "\n"

    def root_hints(self):
        out = []
        for n, o in ROOT:
            out.append(".  3600000  NS  %s" % n)
        for n, o in ROOT:
            out.append("%s  3600000  A  %s" % (n, self.addr(o)))
        return "\n".join(out) + "\n"


# -- registering domains (Route 53 Domains) -----------------------------------------------

def contact(first="Ada", **over):
    """A ContactDetail Route 53 Domains accepts."""
    c = {"FirstName": first, "LastName": "Lovelace", "ContactType": "PERSON",
         "AddressLine1": "12 Analytical Row", "City": "London", "CountryCode": "GB",
         "ZipCode": "N1 9GU", "PhoneNumber": "+44.2071234567", "Email": "ada@example.net"}
    c.update(over)
    return c


def contacts(**kw):
    """The three required contacts of RegisterDomain (kw changes the admin contact)."""
    return {"AdminContact": contact("Ada", **kw), "RegistrantContact": contact("Rex"),
            "TechContact": contact("Tess")}


def wait_op(rd, op_id, timeout=30):
    """Polls GetOperationDetail until the operation ends; returns its detail."""
    deadline = time.monotonic() + timeout
    while True:
        d = rd.get_operation_detail(OperationId=op_id)
        if d["Status"] in ("SUCCESSFUL", "FAILED", "ERROR"):
            return d
        assert time.monotonic() < deadline, d
        time.sleep(0.05)


def register(rd, name, years=1, **kw):
    """RegisterDomain with boto3, waited for; SUCCESSFUL required. Returns the operation id."""
    op = rd.register_domain(DomainName=name, DurationInYears=years, **contacts(), **kw)
    d = wait_op(rd, op["OperationId"])
    assert d["Status"] == "SUCCESSFUL", d
    assert d["Type"] == "REGISTER_DOMAIN"
    return op["OperationId"]
