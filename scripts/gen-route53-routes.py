#!/usr/bin/env python3
"""scripts/gen-route53-routes.py - the route table of src/api/route53_http.c, from botocore's model.

Every operation of Route 53 API 2013-04-01 (method, request URI, success status) is written
between the BEGIN/END GENERATED ROUTES markers of src/api/route53_http.c, so the dispatcher
knows every route the clients can call, implemented or not. Run it after a botocore upgrade:

    python3 scripts/gen-route53-routes.py            # rewrite the table in place
    python3 scripts/gen-route53-routes.py --check    # exit 1 if the table is out of date
"""
import gzip
import json
import os
import sys

import botocore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "src", "api", "route53_http.c")
BEGIN = "/* BEGIN GENERATED ROUTES (scripts/gen-route53-routes.py; do not edit) */\n"
END = "/* END GENERATED ROUTES */\n"


def table():
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "route53", "2013-04-01",
                        "service-2.json.gz")
    with gzip.open(path) as f:
        model = json.load(f)
    ops = sorted(model["operations"].items(),
                 key=lambda kv: (kv[1]["http"]["requestUri"], kv[1]["http"]["method"]))
    lines = [BEGIN,
             "/* clang-format off */\n",
             "/* botocore %s: %d operations, sorted by URI. */\n" % (botocore.__version__, len(ops)),
             "static const struct route ROUTES[] = {\n"]
    for name, op in ops:
        http = op["http"]
        lines.append('\t{"%s", "%s", "%s", %d},\n' %
                     (http["method"], http["requestUri"], name, http.get("responseCode", 200)))
    lines.append("};\n")
    lines.append("/* clang-format on */\n")
    lines.append(END)
    return "".join(lines)


def main():
    with open(TARGET) as f:
        src = f.read()
    a = src.index(BEGIN)
    b = src.index(END) + len(END)
    new = src[:a] + table() + src[b:]
    if "--check" in sys.argv[1:]:
        if new != src:
            print("src/api/route53_http.c: the route table is out of date; run "
                  "scripts/gen-route53-routes.py", file=sys.stderr)
            return 1
        return 0
    if new != src:
        with open(TARGET, "w") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
