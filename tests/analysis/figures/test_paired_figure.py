"""The before/after figure draws one segment per pair and the medians, from computed values."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dresskit.analysis.figures.paired import plot_paired
from dresskit.analysis.paired import PairedValues, paired_values
from dresskit.analysis.wilcoxon import wilcoxon_signed_rank
from dresskit.bundle import read_bundle

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.fixture(scope="module")
def alt() -> PairedValues:
    return paired_values(read_bundle(EXAMPLES / "sim2022"), "alt", tolerance_days=1)


def test_one_segment_per_patient_from_before_to_after(alt: PairedValues) -> None:
    ax = plot_paired(alt, ax=Figure().subplots())
    (pairs,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = pairs.get_segments()
    assert len(segments) == alt.n_pairs == 18
    assert [tuple(s[:, 1]) for s in segments] == list(zip(alt.before, alt.after, strict=True))


def test_medians_are_drawn_for_each_side(alt: PairedValues) -> None:
    import statistics

    ax = plot_paired(alt, ax=Figure().subplots())
    medians = {line.get_label(): line.get_ydata()[0] for line in ax.lines}
    assert medians["median before"] == statistics.median(alt.before)
    assert medians["median after"] == statistics.median(alt.after)


def test_axis_names_the_days_and_unit(alt: PairedValues) -> None:
    ax = plot_paired(alt, ax=Figure().subplots())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Day -1", "Day +4"]
    assert ax.get_ylabel() == "ALT (U/L)"
    assert ax.get_title() == "ALT, n = 18"


def test_a_given_test_is_printed_not_computed(alt: PairedValues) -> None:
    test = wilcoxon_signed_rank(alt.before, alt.after, method="spss")
    ax = plot_paired(alt, test=test, ax=Figure().subplots())
    assert [t.get_text() for t in ax.texts] == ["p < 0.001"]
    assert len(plot_paired(alt, ax=Figure().subplots()).texts) == 0
