"""Medians and ranges of repeated measurements, and how the benchmark doc prints them."""

from __future__ import annotations

import statistics
from typing import Any


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt(stat: dict[str, float], digits: int = 1) -> str:
    median, low, high = (f"{stat[k]:.{digits}f}" for k in ("median", "min", "max"))
    return median if low == high else f"{median} ({low}-{high})"


def summarize(results: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per scenario: its kind, scheme, N, repeats, and the spread of every derived figure."""
    summary: dict[str, dict[str, Any]] = {}
    for key, runs in results.items():
        if not runs:
            continue
        figures = [r["derived"] for r in runs]
        summary[key] = {
            "kind": runs[0]["kind"],
            "scheme": runs[0].get("scheme", "https"),
            "n": runs[0]["n"],
            "repeats": len(runs),
            **{name: spread([f[name] for f in figures]) for name in figures[0]},
        }
    return summary
