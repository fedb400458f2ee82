"""Benchmark: load a large synthetic bundle and derive every episode's outcomes.

Generates (untimed) a bundle of EPISODES x DAYS with bench/synthetic_bundle.py (about 12
observations per episode-day: 10 000 x 90 = 10.8 million rows), then times:

1. loading: reading the CSV files and validating every rule of docs/data-format.md;
2. deriving: the column-wise outcome table (dresskit.course.vectorised.outcome_table) for all
   episodes (steroid days before/after, defervescence, ALT, eosinophil and rash outcomes);
3. the reference: the straightforward per-episode Python path (build each PatientCourse, call
   the dresskit.course.outcomes functions) on a sample of episodes, extrapolated linearly to
   all episodes, and checked equal to the column-wise results on that sample.

Load and derivation run --repeat times in the same process (the bundle is dropped between
runs); each run is printed, then the median run and the first (cold) one. Prints wall times,
the process's peak resident memory and the speed-up of the column-wise derivation over the
per-episode reference.

Run: .venv/bin/python bench/course_bench.py [--episodes 10000] [--days 90] [--sample 300]
     [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from dresskit.bundle import read_bundle
from dresskit.course.outcomes import (
    days_to_alt_normalisation,
    days_to_defervescence,
    days_to_eosinophil_normalisation,
    days_to_rash_resolution,
    steroid_days_after_index,
    steroid_days_before_index,
)
from dresskit.course.vectorised import outcome_table

sys.path.insert(0, str(Path(__file__).parent))
from _shared import add_bundle_arguments, bundle_path, peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_bundle_arguments(parser)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed load + derive runs (the median is reported)"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = bundle_path(arguments, folder)
        runs = []
        for run in range(1, arguments.repeat + 1):
            started = time.perf_counter()
            bundle = read_bundle(path)
            load = time.perf_counter() - started
            rows = bundle.observations.height
            started = time.perf_counter()
            table = outcome_table(
                bundle.episodes,
                bundle.observations,
                bundle.treatments,
                bundle.patients,
                index="ivig",
            )
            derive = time.perf_counter() - started
            runs.append((load, derive))
            print(
                f"run {run}: load + validate {load:5.2f} s ({rows / load / 1e6:.2f} M rows/s), "
                f"derive (column-wise) {derive:5.2f} s ({table.height:,} episodes), "
                f"total {load + derive:5.2f} s; peak RSS {peak_rss_mib():,.0f} MiB"
            )
            if run < arguments.repeat:
                del bundle, table
        load, derive = sorted(runs, key=sum)[len(runs) // 2]
        print(
            f"median of {len(runs)} runs ({rows:,} observation rows): load + validate "
            f"{load:.2f} s, derive {derive:.2f} s, total load + derive: {load + derive:.2f} s"
        )
        print(f"first run, cold process: total {sum(runs[0]):.2f} s")
        started = time.perf_counter()
        courses = bundle.courses()
        first = next(courses)  # courses() partitions every table once, on the first course
        partition = time.perf_counter() - started
        reference = {}
        started = time.perf_counter()
        for course in [first, *(next(courses) for _ in range(arguments.sample - 1))]:
            reference[course.episode.episode_id] = (
                steroid_days_before_index(course),
                steroid_days_after_index(course).days,
                days_to_defervescence(course).days,
                days_to_alt_normalisation(course).days,
                days_to_eosinophil_normalisation(course).days,
                days_to_rash_resolution(course).days,
            )
        per_episode = (time.perf_counter() - started) / len(reference)
        estimate = partition + per_episode * table.height
        print(
            f"reference (per-episode Python): partition {partition:.2f} s + "
            f"{per_episode * 1000:.1f} ms per episode (measured on {len(reference)}); "
            f"for {table.height:,} episodes: {estimate:.1f} s"
        )
        print(f"speed-up of the column-wise derivation: {estimate / derive:.0f}x")
        columns = [
            "steroid_days_before",
            "steroid_after_days",
            "defervescence_days",
            "alt_normalisation_days",
            "eosinophil_normalisation_days",
            "rash_resolution_days",
        ]
        check = table.filter(pl.col("episode_id").is_in(list(reference))).select(
            "episode_id", *columns
        )
        mismatches = [row[0] for row in check.iter_rows() if tuple(row[1:]) != reference[row[0]]]
        print(f"column-wise equals reference on the sample: {not mismatches}")
        print(f"peak RSS at the end: {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
