"""Small helpers shared by the benchmarks: percentiles and a uniform report line."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], p: float) -> float:
    """p-th percentile (0..100) by nearest rank."""
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary_ms(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds of samples given in seconds."""
    return {
        "p50": percentile(samples, 50) * 1000,
        "p95": percentile(samples, 95) * 1000,
        "p99": percentile(samples, 99) * 1000,
        "mean": statistics.fmean(samples) * 1000,
    }


def report(title: str, subject: dict[str, float], baseline: dict[str, float], unit: str) -> None:
    """Print subject vs same-run baseline, with subject/baseline ratios."""
    print(f"\n== {title}")
    print(f"{'':>10} {'subject':>12} {'baseline':>12} {'ratio':>8}   ({unit})")
    for key in subject:
        ratio = subject[key] / baseline[key] if baseline[key] else float("inf")
        print(f"{key:>10} {subject[key]:>12.2f} {baseline[key]:>12.2f} {ratio:>8.2f}")
