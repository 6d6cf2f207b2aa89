"""What a search leaves behind in time: searches near 30 places, waits past
the answers' max-age, then times a different search near each of them and
near 30 places never searched, in turns. A cache that outlives the max-age answers the
first group faster, and so tells anyone who measures that someone searched
there (finding 7 of the second outside review).

    python3 benches/residue.py DIRECTORY.csv      # a server on 127.0.0.1:$PORT

Prints the median time of each group, and their ratio. WAIT (default 65)
seconds between the searches and the probes; each probe asks for one
physician fewer than the first search (99 of 100), so that no kept answer
serves it but its physicians are those the first search wrote.
"""

import csv
import http.client
import os
import statistics
import sys
import time

PORT = int(os.environ.get("PORT", "8097"))
WAIT = float(os.environ.get("WAIT", "65"))

rows = [(r["lat"], r["lng"]) for r in csv.DictReader(open(sys.argv[1])) if r["lat"]]
places = [rows[i * len(rows) // 60] for i in range(60)]
searched, control = places[0::2], places[1::2]
def connect():
    return http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)


conn = connect()


def search(place, limit):
    lat, lng = place
    started = time.perf_counter()
    conn.request("GET", f"/v1/physicians?lat={lat}&lng={lng}&radius=100&limit={limit}")
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
    return time.perf_counter() - started


for place in searched:
    search(place, 100)
time.sleep(WAIT)
conn = connect()  # the server closed the idle one meanwhile
timings = {"searched": [], "never searched": []}
for pair in zip(searched, control):
    for name, place in zip(timings, pair):
        timings[name].append(search(place, 99))
medians = {name: statistics.median(t) * 1000 for name, t in timings.items()}
for name, median in medians.items():
    print(f"{name:<16} median {median:.2f} ms over {len(timings[name])} searches")
print(f"ratio never/searched {medians['never searched'] / medians['searched']:.2f}")
