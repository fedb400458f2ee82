"""Benchmark: the full cohort report for a large synthetic bundle.

Generates (untimed, in a child process) a bundle of EPISODES x DAYS with
bench/synthetic_bundle.py, then times each step of ``dresskit report``: reading and
validating the bundle, computing the report (course table, baseline with RegiSCAR from each
course, steroid response per episode, paired tests, Kaplan-Meier, swimmer), drawing the
figures, the HTML, the PDF and the table files (CSV and XLSX). Prints wall times, the
process's peak resident memory, and the ratio of the report to the bare course derivation
(column-wise outcome table) measured in the same run as a baseline.

RegiSCAR (issue 11): in the same run, before the report, RegiSCAR for every episode is timed
both ways and the two results are checked equal: per episode (courses built from the rows the
score reads, each scored by ``regiscar_from_course``: the path ``build_report`` took before
issue 11) and column-wise (``dresskit.course.vectorised_regiscar.regiscar_table``).
``--regiscar column-wise`` makes ``build_report`` use the column-wise path if the report code
does not already (it says which it used).

Run: .venv/bin/python bench/report_bench.py [--episodes 10000] [--days 90] [--bundle PATH]
     [--classify-all] [--regiscar as-is|column-wise]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

import dresskit.analysis.report as report_module
from dresskit.analysis.baseline import regiscar_frame
from dresskit.analysis.rendering import draw_figures, render_html, render_pdf, report_tables, xlsx
from dresskit.analysis.report import build_report
from dresskit.bundle import Bundle, read_bundle
from dresskit.course.diagnosis import regiscar_observations
from dresskit.course.vectorised import outcome_table
from dresskit.course.vectorised_regiscar import regiscar_table

sys.path.insert(0, str(Path(__file__).parent))
from _shared import add_bundle_arguments, bundle_path, peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_bundle_arguments(parser)
    parser.add_argument(
        "--classify-all",
        action="store_true",
        help="classify the steroid response of every episode (default: up to 2 000 episodes)",
    )
    parser.add_argument(
        "--regiscar",
        choices=["as-is", "column-wise"],
        default="as-is",
        help="RegiSCAR path of build_report: as the report code has it, or column-wise",
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = bundle_path(arguments, folder)
        steps: list[tuple[str, float]] = []

        def timed(name: str, started: float) -> None:
            steps.append((name, time.perf_counter() - started))
            print(f"{name:<34} {steps[-1][1]:7.2f} s   peak RSS {peak_rss_mib():7,.0f} MiB")

        total_started = time.perf_counter()
        started = time.perf_counter()
        bundle = read_bundle(path)
        timed("read + validate", started)

        started = time.perf_counter()
        outcome_table(
            bundle.episodes, bundle.observations, bundle.treatments, bundle.patients, index="ivig"
        )
        baseline = time.perf_counter() - started
        print(f"{'(baseline: outcome table alone)':<34} {baseline:7.2f} s")

        per_episode, column_wise = _time_regiscar(bundle)
        print(
            f"{'(RegiSCAR per episode)':<34} {per_episode:7.2f} s\n"
            f"{'(RegiSCAR column-wise, same result)':<34} {column_wise:7.2f} s   "
            f"{per_episode / column_wise:.0f}x faster"
        )
        print(f"report's RegiSCAR path: {_use_regiscar_path(arguments.regiscar, bundle)}")

        started = time.perf_counter()
        report = build_report(
            bundle, index="ivig", response_limit=None if arguments.classify_all else 2000
        )
        timed("compute report", started)
        started = time.perf_counter()
        figures = draw_figures(report)
        timed("draw figures", started)
        started = time.perf_counter()
        html = render_html(report, figures, generated="benchmark")
        timed("HTML", started)
        started = time.perf_counter()
        pdf = render_pdf(html)
        timed("PDF", started)
        started = time.perf_counter()
        out = Path(folder) / "report"
        (out / "tables").mkdir(parents=True)
        (out / "report.html").write_text(html, encoding="utf-8")
        (out / "report.pdf").write_bytes(pdf)
        for name, frame in report_tables(report).items():
            frame.write_csv(out / "tables" / f"{name}.csv")
            (out / "tables" / f"{name}.xlsx").write_bytes(xlsx(frame, sheet=name))
        timed("tables (CSV + XLSX) and files", started)
        total = time.perf_counter() - total_started
        print(
            f"total: {total:.1f} s for {bundle.episodes.height:,} episodes and "
            f"{bundle.observations.height:,} observations; peak RSS {peak_rss_mib():,.0f} MiB; "
            f"report / bare outcome table: {(total - steps[0][1]) / baseline:.0f}x"
        )
        print(f"HTML {len(html) / 1e6:.1f} MB, PDF {len(pdf) / 1e6:.1f} MB, {len(figures)} figures")


def _time_regiscar(bundle: Bundle) -> tuple[float, float]:
    """Seconds for RegiSCAR of every episode per episode and column-wise (results checked equal)."""
    started = time.perf_counter()
    reduced = replace(bundle, observations=regiscar_observations(bundle.observations))
    reference = regiscar_frame(reduced.courses())
    per_episode = time.perf_counter() - started
    started = time.perf_counter()
    table = regiscar_table(bundle.episodes, bundle.observations, bundle.findings)
    column_wise = time.perf_counter() - started
    assert_frame_equal(table, reference)
    return per_episode, column_wise


def _use_regiscar_path(choice: str, bundle: Bundle) -> str:
    """Make build_report score RegiSCAR column-wise when asked; say which path it takes."""
    if not hasattr(report_module, "regiscar_frame"):
        return "column-wise (the report code's own)"
    if choice == "as-is":
        return "per episode (the report code's own)"

    # The report code calls regiscar_frame(<bundle with reduced observations>.courses()):
    # answer that call with the column-wise table of the whole bundle instead.
    def column_wise(_courses: Iterable[Any]) -> pl.DataFrame:
        return regiscar_table(bundle.episodes, bundle.observations, bundle.findings)

    report_module.regiscar_observations = lambda observations: observations.head(0)  # type: ignore[attr-defined]
    report_module.regiscar_frame = column_wise
    return "column-wise (substituted by this benchmark for the per-episode call)"


if __name__ == "__main__":
    main()
