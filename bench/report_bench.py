"""Benchmark: the full cohort report for a large synthetic bundle.

Generates (untimed, in a child process) a bundle of EPISODES x DAYS with
bench/synthetic_bundle.py, then times each step of ``dresskit report``: reading and
validating the bundle, computing the report (course table, baseline with RegiSCAR from each
course, steroid response per episode, paired tests, Kaplan-Meier, swimmer), drawing the
figures, the HTML, the PDF and the table files (CSV and XLSX). Prints wall times, the
process's peak resident memory, and the ratio of the report to the bare course derivation
(column-wise outcome table) measured in the same run as a baseline.

Run: .venv/bin/python bench/report_bench.py [--episodes 10000] [--days 90] [--bundle PATH]
     [--classify-all]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from dresskit.analysis.rendering import draw_figures, render_html, render_pdf, report_tables, xlsx
from dresskit.analysis.report import build_report
from dresskit.bundle import read_bundle
from dresskit.course.vectorised import outcome_table

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


if __name__ == "__main__":
    main()
