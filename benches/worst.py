"""The slowest request of each public route, within its documented bounds.

Sends each case REPEAT times, one at a time, to a server on 127.0.0.1:PORT,
and prints the slowest and the median wall time of each (the client's, so a
request's whole cost: parsing, the walk, writing and sending the answer).
The first of the repeats is the cold one (no physician's JSON kept yet, no
compressed answer kept), so the slowest is the worst case. A case that does
not answer its expected status stops the run: a figure for refusals
measures nothing. Run by benches/worst.sh.
"""

import http.client
import json
import os
import statistics
import sys
import time

PORT = int(os.environ.get("PORT", "8097"))
REPEAT = int(os.environ.get("REPEAT", "5"))


WORD = "q" * 100  # the longest value, matching nothing
HUNDRED = ",".join(f"zz{i:02d}" for i in range(100))  # the most values, matching nothing

# (label, path, expected status): the most a request of each route can ask.
CASES = [
    ("v1 search, 1000 mi, 100 a page, total", "/v1/physicians?lat=39.8&lng=-98.6&radius=1000&limit=100&include_total=true&beyond=10", 200),
    ("v1 search, nothing near, beyond 10", "/v1/physicians?zip=96799&radius=1&condition=lems&telehealth=true&beyond=10&include_total=true", 200),
    ("v1 name listing, q matches nothing, total", f"/v1/physicians?q={WORD}&limit=100&include_total=true", 200),
    ("v1 summary view, 1000 mi, total", "/v1/physicians?lat=39.8&lng=-98.6&radius=1000&limit=100&include_total=true&view=summary", 200),
    ("v1 GeoJSON, 1000 mi, total", "/v1/physicians.geojson?lat=39.8&lng=-98.6&radius=1000&limit=100&include_total=true", 200),
    ("v1 detail", "/v1/physicians/{npi}", 200),
    ("v1 vocabularies", "/v1/specialties", 200),
    ("FHIR Practitioner, 100 names, total", f"/fhir/Practitioner?name={HUNDRED}&_total=accurate&_count=100", 200),
    ("FHIR Practitioner, 100-char name, total", f"/fhir/Practitioner?name={WORD}&_total=accurate&_count=100", 200),
    ("FHIR Location, 100 cities, total", f"/fhir/Location?address-city={HUNDRED}&_total=accurate&_count=100", 200),
    ("FHIR Location near, no bound, total", "/fhir/Location?near=39.8|-98.6&_total=accurate&_count=100", 200),
    ("FHIR roles near, every _include, total", "/fhir/PractitionerRole?location.near=39.8|-98.6|1000|[mi_i]&_total=accurate&_count=100"
     "&_include=PractitionerRole:practitioner&_include=PractitionerRole:location"
     "&_include=PractitionerRole:organization&_include=PractitionerRole:service", 200),
    ("FHIR roles, 50 ids and 50 dates, total", "/fhir/PractitionerRole?_id=" + ",".join(f"1234567893-{i}" for i in range(50))
     + "&_lastUpdated=" + ",".join(["ge2026-01-01"] * 50) + "&_total=accurate&_count=100", 200),
    ("FHIR 101 values refused", f"/fhir/Location?address-city={HUNDRED},z&_total=accurate", 400),
    ("FHIR metadata", "/fhir/metadata", 200),
    ("OpenAPI document", "/openapi.json", 200),
    ("widget", "/embed", 200),
    ("readiness", "/readyz", 200),
]


def timed(conn, path):
    started = time.perf_counter()
    conn.request("GET", path.replace("|", "%7C").replace("[", "%5B").replace("]", "%5D"),
                 headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    response = conn.getresponse()
    response.read()
    return time.perf_counter() - started, response.status


def main():
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    conn.request("GET", "/v1/physicians?limit=1")
    npi = json.loads(conn.getresponse().read())["results"][0]["physician"]["npi"]
    print(f"{'request':<44} {'slowest':>9} {'median':>9}")
    worst = 0.0
    for label, path, expected in CASES:
        path = path.replace("{npi}", npi)
        times = []
        for _ in range(REPEAT):
            took, status = timed(conn, path)
            if status != expected:
                sys.exit(f"{label}: {status}, expected {expected}")
            times.append(took)
        worst = max(worst, max(times))
        print(f"{label:<44} {max(times) * 1000:>7.1f} ms {statistics.median(times) * 1000:>6.1f} ms")
    print(f"{'slowest of all':<44} {worst * 1000:>7.1f} ms")


if __name__ == "__main__":
    main()
