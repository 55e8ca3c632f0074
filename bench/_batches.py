"""Batch timings of the write side during a rush, from the processes' own /metrics: the api's group-commit
writer (`ep_writer_batch_seconds`) and the workers' handler batches (`ep_consumer_batch_seconds`, kind
handler: the seat desk, the booking saga). Scraped before and after; the window is the difference."""

from __future__ import annotations

from collections import defaultdict

import httpx

from _lag import LABEL, SERIES, quantile

# (process, histogram family, label filter) → a row of the report
SOURCES = {
    "bookings-api writer": ("bookings-api", "ep_writer_batch_seconds", {}),
    "events-worker handlers": ("events-worker", "ep_consumer_batch_seconds", {"kind": "handler"}),
    "bookings-worker handlers": ("bookings-worker", "ep_consumer_batch_seconds", {"kind": "handler"}),
}

Sample = dict[str, tuple[dict[float, float], float]]  # row → (cumulative buckets, sum of seconds)


def scrape(client: httpx.Client, auth: dict[str, str]) -> Sample:
    out: Sample = {}
    for row, (process, family, wanted) in SOURCES.items():
        r = client.get(f"/metrics/{process}", headers=auth)
        if r.status_code != 200:
            continue
        buckets: dict[float, float] = defaultdict(float)
        total = 0.0
        for line in r.text.splitlines():
            match = SERIES.match(line)
            if not match or not match.group(1).startswith(family):
                continue
            name, labels, value = match.group(1), dict(LABEL.findall(match.group(2))), float(match.group(3))
            if any(labels.get(k) != v for k, v in wanted.items()):
                continue
            if name == f"{family}_bucket":
                buckets[float("inf") if labels["le"] == "+Inf" else float(labels["le"])] += value
            elif name == f"{family}_sum":
                total += value
        out[row] = (dict(buckets), total)
    return out


def delta(after: Sample, before: Sample) -> Sample:
    return {row: ({le: n - before.get(row, ({}, 0.0))[0].get(le, 0.0) for le, n in b.items()},
                  s - before.get(row, ({}, 0.0))[1]) for row, (b, s) in after.items()}


def report(window: Sample) -> None:
    print("== write-side batches during the rush (commit included)")
    for row, (buckets, total) in window.items():
        n = buckets.get(float("inf"), 0.0)
        if not n:
            print(f"  {row:<26} no batches")
            continue
        p50, p99 = quantile(buckets, 0.5) or 0.0, quantile(buckets, 0.99) or 0.0
        print(f"  {row:<26} {n:5.0f} batches  mean {total / n * 1000:6.1f} ms  p50 {p50 * 1000:6.1f} ms  "
              f"p99 {p99 * 1000:6.1f} ms  busy {total:5.2f} s")
