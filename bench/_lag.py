"""Projection lag from the workers' own `/metrics` (through the gateway, as an admin), for the benchmarks.

Every projection batch observes `ep_consumer_event_lag_seconds{kind="projection"}`: the age of its oldest
message (envelope `occurred_at` → the batch's commit). The difference of two scrapes is the histogram of the
batches in between; its quantiles (linear within a bucket, as Prometheus' histogram_quantile) are the
projection lag over that window. Per batch, the oldest message: an upper bound for every message in it.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict

import httpx

WORKERS = ("users-worker", "events-worker", "bookings-worker", "payments-worker")
FAMILY = "ep_consumer_event_lag_seconds_bucket"
SERIES = re.compile(r"^(\w+)\{(.*)\} (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Buckets = dict[str, dict[float, float]]  # group → le → cumulative count


def scrape(client: httpx.Client, auth: dict[str, str], kind: str = "projection") -> tuple[Buckets, float]:
    """Projection-lag buckets per consumer group, and the summed message lag of those groups, now."""
    buckets: Buckets = defaultdict(dict)
    lag_groups: dict[str, float] = {}
    groups: set[str] = set()
    for worker in WORKERS:
        r = client.get(f"/metrics/{worker}", headers=auth)
        r.raise_for_status()
        for line in r.text.splitlines():
            match = SERIES.match(line)
            if not match:
                continue
            name, labels, value = match.group(1), dict(LABEL.findall(match.group(2))), float(match.group(3))
            if name == FAMILY and labels.get("kind") == kind:
                le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
                buckets[labels["group"]][le] = value
                groups.add(labels["group"])
            elif name == "ep_consumer_lag_messages":
                lag_groups[f"{labels['group']}|{labels['topic']}|{labels['partition']}"] = value
    return buckets, sum(v for k, v in lag_groups.items() if k.split("|")[0] in groups)


def settle(client: httpx.Client, auth: dict[str, str], timeout: float = 30.0) -> Buckets:
    """Scrape once the projections have caught up (message lag 0, as of the workers' last check)."""
    deadline = time.monotonic() + timeout
    while True:
        buckets, lag = scrape(client, auth)
        if lag == 0 or time.monotonic() > deadline:
            return buckets
        time.sleep(0.5)


def delta(after: Buckets, before: Buckets) -> Buckets:
    return {g: {le: n - before.get(g, {}).get(le, 0.0) for le, n in b.items()} for g, b in after.items()}


def merged(buckets: Buckets) -> dict[float, float]:
    out: dict[float, float] = defaultdict(float)
    for b in buckets.values():
        for le, n in b.items():
            out[le] += n
    return out


def quantile(bucket: dict[float, float], q: float) -> float | None:
    """The q-quantile of a cumulative histogram (None when it is empty)."""
    ordered = sorted(bucket.items())
    total = ordered[-1][1] if ordered else 0
    if not total:
        return None
    rank, prev_le, prev_n = q * total, 0.0, 0.0
    for le, n in ordered:
        if n >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_n) / max(1e-9, n - prev_n))
        prev_le, prev_n = le, n
    return prev_le


def report(window: Buckets, target_ms: float = 500.0) -> None:
    all_batches = merged(window)
    p99 = quantile(all_batches, 0.99)
    count = all_batches.get(float("inf"), 0)
    print(f"== projection lag during the rush (occurred_at → committed; oldest message of each of {count:.0f} "
          "batches)")
    if p99 is None:
        print("  no projection batches observed")
        return
    p50 = quantile(all_batches, 0.5)
    print(f"  all projections   p50 {p50 * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms   target ≤ {target_ms:.0f} ms: "
          f"{'MET' if p99 * 1000 <= target_ms else 'MISSED'}")
    for group, b in sorted(window.items()):
        if (n := b.get(float("inf"), 0)) and (gp99 := quantile(b, 0.99)) is not None:
            print(f"  {group:<34} p99 {gp99 * 1000:6.0f} ms  ({n:.0f} batches)")
