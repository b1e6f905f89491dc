"""How fast this machine runs plain Python, printed with every benchmark so figures from different machines can be
read side by side (machines of one kind have differed by 3x here: compare ratios, and absolute figures only with
this figure beside them)."""

from __future__ import annotations

import time


def python_loop_ns(iterations: int = 2_000_000, repeats: int = 5) -> float:
    """Nanoseconds per iteration of ``for i in range(n): s += i`` (the fastest of ``repeats`` runs)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter_ns()
        total = 0
        for i in range(iterations):
            total += i
        best = min(best, (time.perf_counter_ns() - started) / iterations)
    return round(best, 1)
