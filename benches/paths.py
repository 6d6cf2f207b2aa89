"""Writes the request targets of benches/load.sh and benches/ab.sh: searches
from practice ZIP codes of the seeded directory with assorted filters, and
physician details, all valid. Usage: paths.py DIRECTORY_CSV OUT"""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
filters = ["", "&specialty=neurology", "&condition=lems&accepting_new_patients=true",
           "&radius=250&condition=lems", "&telehealth=true&radius=100", "&limit=50",
           "&specialty=neuromuscular-medicine&radius=500&include_total=true", "&format=geojson"]
with open(sys.argv[2], "w") as out:
    for i in range(400):
        row = rows[i * len(rows) // 400]
        out.write(f"/v1/physicians?zip={row['zip']}{filters[i % len(filters)]}\n")
    for i in range(200):
        out.write(f"/v1/physicians/{rows[i * len(rows) // 200]['npi']}\n")
    out.write("/v1/specialties\n/v1/conditions\n/v1/geocode?zip=99546\n")
