#!/usr/bin/env python3
"""Stalls in proxy-cost's latency traces (proxy-cost --latency-trace DIR): is a run's tail a few stalls or spread out?

Every request at or above the run's p99 is a slow one. Slow requests whose lifetimes overlap (within 0.2 ms) belong to
one stall. Per run: the p50 and p99, how many stalls of 10 or more slow requests there were, the share of slow requests
in them, and the median stall's worst latency and size. usage: latency-stalls.py DIR
"""
import csv
import glob
import os
import statistics
import sys


def stalls(path):
    rows = [(int(sent), int(micros)) for sent, micros in list(csv.reader(open(path)))[1:]]
    latencies = sorted(micros for _, micros in rows)
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    groups = []  # [first sent, last end, count, worst]
    for sent, micros in sorted(r for r in rows if r[1] >= p99):
        if groups and sent <= groups[-1][1] + 200:
            g = groups[-1]
            g[1], g[2], g[3] = max(g[1], sent + micros), g[2] + 1, max(g[3], micros)
        else:
            groups.append([sent, sent + micros, 1, micros])
    slow = sum(g[2] for g in groups)
    big = [g for g in groups if g[2] >= 10]
    return p50, p99, big, sum(g[2] for g in big) / max(1, slow)


print("| run | p50 ms | p99 ms | stalls (>= 10 slow requests) | slow requests in them | median stall: worst ms | median stall: requests |")
print("|---|---:|---:|---:|---:|---:|---:|")
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.csv"))):
    p50, p99, big, share = stalls(path)
    worst = statistics.median(g[3] for g in big) / 1000 if big else 0
    size = statistics.median(g[2] for g in big) if big else 0
    print(f"| {os.path.basename(path)[:-4]} | {p50 / 1000:.2f} | {p99 / 1000:.2f} | {len(big)} | {100 * share:.0f}% | {worst:.2f} | {size:.0f} |")
