#!/usr/bin/env python3
"""Prints the last `cargo bench --bench search` run as a Markdown table:
each case's median and median absolute deviation at each directory size.

    python3 benches/criterion_table.py [target/criterion]
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def show(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


rows = {}
sizes = set()
for estimates in root.glob("*_*/*/new/estimates.json"):
    group, case = estimates.parts[-4], estimates.parts[-3]
    kind, size = group.rsplit("_", 1)
    e = json.loads(estimates.read_text())
    cell = f"{show(e['median']['point_estimate'])} ± {show(e['median_abs_dev']['point_estimate'])}"
    rows.setdefault((kind, case), {})[int(size)] = cell
    sizes.add(int(size))

sizes = sorted(sizes)
print("| case | " + " | ".join(f"{s:,}" for s in sizes) + " |")
print("|---|" + "---:|" * len(sizes))
for (kind, case), cells in sorted(rows.items()):
    print(f"| {kind}/{case} | " + " | ".join(cells.get(s, "") for s in sizes) + " |")
