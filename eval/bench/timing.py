"""Latency measurement shared by every section and by the load generator."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

MIN_TIMED = 20  # latency samples taken even when the time budget runs out first
T = TypeVar("T")


class Progress:
    """Prints what the run is doing and since when, so a 20-minute run never looks stuck."""

    def __init__(self, quiet: bool = False) -> None:
        self.started = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[bench {time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


def timed(work: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``work(*args)`` and the seconds it took."""
    started = time.perf_counter()
    result = work(*args)
    return result, time.perf_counter() - started


def latency_stats(seconds: Sequence[float]) -> dict[str, float | int]:
    """Count, p50, p95, p99 and mean in milliseconds of durations given in seconds."""
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    if len(values) == 0:
        return {"n": 0}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"n": len(values), "p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3),
            "p99_ms": round(float(p99), 3), "mean_ms": round(float(values.mean()), 3)}


def measure(call: Callable[[Any], Any], items: Sequence[Any] | np.ndarray, budget_s: float) -> dict[str, float | int]:
    """Latency of ``call`` over ``items``, one at a time, until the budget is spent (and at least
    MIN_TIMED calls, so that slow configurations still get a percentile worth the name)."""
    call(items[0])  # warm-up: first-use costs (jieba's dictionary, page faults) are not latency
    durations: list[float] = []
    deadline = time.perf_counter() + budget_s
    for item in items:
        started = time.perf_counter()
        call(item)
        durations.append(time.perf_counter() - started)
        if len(durations) >= MIN_TIMED and time.perf_counter() > deadline:
            break
    return latency_stats(durations)
