"""Benchmark: RegiSCAR scoring throughput, with and without raw values.

Prints wall time, cases per second and peak traced memory for the full public path
(validation, raw-value interpretation, explanation, reachable range) and, in the same run,
a bare baseline that only sums the points table, so the ratio shows what validation and
explanation cost.

Run: .venv/bin/python bench/scoring_bench.py [--cases 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from collections.abc import Callable

from dresskit.scoring import regiscar


def generate_cases(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    cases: list[dict[str, object]] = []
    for _ in range(count):
        case: dict[str, object] = {
            item: rng.choice(list(answers)) for item, answers in regiscar.POINTS.items()
        }
        if rng.random() < 0.5:  # half the cases carry raw values to interpret
            case["fever"] = {"max_temperature": {"value": rng.uniform(36, 41), "unit": "Cel"}}
            case["eosinophilia"] = {"eosinophils_per_ul": rng.uniform(0, 4000)}
            case["organ_involvement"] = rng.sample(list(regiscar.ORGANS), rng.randint(0, 3))
        cases.append(case)
    return cases


def baseline_total(case: dict[str, object]) -> int:
    """Sum of the points table for word answers only (no validation, no explanation)."""
    total = 0
    for item, answers in regiscar.POINTS.items():
        answer = case[item]
        total += answers[answer] if isinstance(answer, str) else 0
    return total


def measure(label: str, function: Callable[[dict[str, object]], object], cases: list) -> float:
    # Time first without tracing (tracemalloc slows Python several-fold), then memory.
    started = time.perf_counter()
    for case in cases:
        function(case)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    for case in cases[:2000]:
        function(case)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:<28} {elapsed:8.3f} s  {len(cases) / elapsed:>10,.0f} cases/s  "
        f"peak traced {peak / 2**20:6.2f} MiB"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    cases = generate_cases(arguments.cases, arguments.seed)
    regiscar.score(cases[0])  # warm the pint registry and pydantic validators
    full = measure("regiscar.score (full path)", regiscar.score, cases)
    bare = measure("baseline (table sum only)", baseline_total, cases)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {max_rss:.0f} MiB")
    print(
        f"ratio full/baseline: {full / bare:.1f}x slower; per case {full / len(cases) * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
