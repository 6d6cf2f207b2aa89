#!/usr/bin/env python3
"""How long a write through one instance takes to be served by another.

Start two instances on one database with an admin token, e.g.

    LOCATOR_BIND=127.0.0.1:8091 DATABASE_URL=postgres://… LOCATOR_ADMIN_TOKENS=ops:$TOKEN physician-locator &
    LOCATOR_BIND=127.0.0.1:8092 DATABASE_URL=postgres://… LOCATOR_ADMIN_TOKENS=ops:$TOKEN physician-locator &
    python3 benches/sync_latency.py http://127.0.0.1:8091 http://127.0.0.1:8092 $TOKEN

It renames one physician through A ten times and, for each, prints how long the
PUT took and how long after sending it B first served the new name.
"""
import json
import sys
import time
import urllib.request

a, b, token = sys.argv[1:4]


def get(base, path):
    with urllib.request.urlopen(base + path) as response:
        return json.load(response)


npi = get(a, "/v1/physicians?zip=10001&limit=1")["results"][0]["physician"]["npi"]
rows = []
for k in range(10):
    body = get(a, f"/v1/physicians/{npi}")
    body["family_name"] = f"Measured{k}"
    request = urllib.request.Request(
        f"{a}/v1/admin/physicians/{npi}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    sent = time.perf_counter()
    urllib.request.urlopen(request).read()
    answered = time.perf_counter()
    while get(b, f"/v1/physicians/{npi}")["family_name"] != f"Measured{k}":
        time.sleep(0.01)
    served = time.perf_counter()
    rows.append((answered - sent, served - sent))
    time.sleep(0.37)  # do not stay in phase with the 1 s poll
for put, seen in rows:
    print(f"PUT answered in {put:.3f} s, served by B after {seen:.3f} s")
print(f"max until B served the write: {max(seen for _, seen in rows):.3f} s")
