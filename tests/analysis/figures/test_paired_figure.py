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
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Day \u22121", "Day +4"]
    assert ax.get_ylabel() == "ALT (U/L)"
    assert ax.get_title() == "ALT, n = 18"


def test_a_given_test_is_printed_not_computed(alt: PairedValues) -> None:
    test = wilcoxon_signed_rank(alt.before, alt.after, method="spss")
    ax = plot_paired(alt, test=test, ax=Figure().subplots())
    # Printed in the title, above the data, never over a line.
    assert ax.get_title() == "ALT, n = 18\np < 0.001"
    assert len(ax.texts) == 0
    assert plot_paired(alt, ax=Figure().subplots()).get_title() == "ALT, n = 18"


def test_units_are_printed_symbols(alt: PairedValues) -> None:
    sim = read_bundle(EXAMPLES / "sim2022")
    temperature = paired_values(sim, "temperature", tolerance_days=1)
    eosinophils = paired_values(sim, "eosinophils", tolerance_days=1)
    assert plot_paired(temperature, ax=Figure().subplots()).get_ylabel() == (
        "Body temperature (°C)"
    )
    assert plot_paired(eosinophils, ax=Figure().subplots()).get_ylabel() == ("Eosinophils (×10⁹/L)")


def test_above_the_threshold_distributions_replace_the_lines(alt: PairedValues) -> None:
    """Beyond PAIRED_LINES_MAX_N pairs: violins, boxes (median, IQR) and joined medians."""
    from dataclasses import replace

    from matplotlib.collections import PolyCollection

    from dresskit.analysis.figures.paired import PAIRED_LINES_MAX_N, before_after_figure

    n = PAIRED_LINES_MAX_N + 1
    many = replace(
        alt,
        episode_ids=tuple(f"E{i}" for i in range(n)),
        before=tuple(float(100 + i) for i in range(n)),
        after=tuple(float(50 + i) for i in range(n)),
    )
    ax = plot_paired(many, ax=Figure().subplots())
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2  # violins
    medians = {line.get_label(): line.get_ydata()[0] for line in ax.lines}
    assert medians["median before"] == 115.0
    assert medians["median after"] == 65.0
    assert ax.get_title() == f"ALT, n = {n}"
    assert plot_paired(alt, ax=Figure().subplots(), max_lines=18).collections  # 18 <= 18

    class Pair:
        paired = many
        test = None

    drawn = before_after_figure([Pair()], index_label="IVIG")
    assert drawn is not None
    assert f"Up to {PAIRED_LINES_MAX_N} patients each line is one patient" in drawn.caption
