"""256 query points for the HTTP benchmarks: practice locations spread evenly
through a generated directory's CSV (so spread as the population is).

    python3 benches/points.py directory.csv points.csv
"""
import csv
import sys

rows = [(r["lat"], r["lng"]) for r in csv.DictReader(open(sys.argv[1])) if r["lat"]]
with open(sys.argv[2], "w") as out:
    for i in range(256):
        out.write("%s,%s\n" % rows[i * len(rows) // 256])
