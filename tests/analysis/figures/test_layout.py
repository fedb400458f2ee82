"""Every figure, for the examples and for a large synthetic cohort, is journal-ready.

No two texts overlap, no text leaves the figure, no text under 7 pt; SVG and PDF are vector
(text as text, no raster image), the PNG says 300 dpi; the same figure gives the same bytes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from dresskit.analysis.figures._save import DrawnFigure, render_figure, save_figure
from dresskit.analysis.figures.paired import before_after_figure
from dresskit.analysis.figures.survival import (
    cumulative_incidence_figure,
    kaplan_meier_figure,
)
from dresskit.analysis.figures.swimmer import swimmer_figure
from dresskit.analysis.figures.timeline import timeline_figure
from dresskit.analysis.paired import PairedValues, paired_values
from dresskit.analysis.survival import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    cumulative_incidence,
    kaplan_meier,
)
from dresskit.analysis.swimmer import swimmer_lanes
from dresskit.analysis.timeline import course_timeline
from dresskit.analysis.wilcoxon import WilcoxonResult, wilcoxon_signed_rank
from dresskit.bundle import read_bundle
from dresskit.course.vectorised import index_dates
from tests.analysis.figures.layout import layout_problems

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@dataclass(frozen=True)
class Comparison:
    paired: PairedValues
    test: WilcoxonResult | None


def example_figures() -> Iterator[DrawnFigure]:
    sim = read_bundle(EXAMPLES / "sim2022")
    comparisons = []
    for code in ("temperature", "eosinophils", "alt"):
        values = paired_values(sim, code, tolerance_days=1)
        comparisons.append(
            Comparison(values, wilcoxon_signed_rank(values.before, values.after, method="spss"))
        )
    before_after = before_after_figure(comparisons, index_label="IVIG")
    assert before_after is not None
    yield before_after
    lanes = swimmer_lanes(
        sim.episodes, sim.treatments, index_dates(sim.episodes, sim.treatments, "ivig")
    )
    swimmer = swimmer_figure(lanes, index_label="IVIG")
    assert swimmer is not None
    yield swimmer
    yield timeline_figure(course_timeline(sim.course("SIM14"), index="ivig"))
    shen = read_bundle(EXAMPLES / "shen2024")
    yield timeline_figure(course_timeline(shen.course("SHEN"), index="dupilumab"), number=2)
    rng = random.Random(11)
    curves: list[KaplanMeierResult] = []
    for label, scale in (("Defervescence", 4), ("Steroid discontinuation", 130)):
        durations = [float(rng.randint(1, scale)) for _ in range(18)]
        curves.append(kaplan_meier(durations, [rng.random() < 0.8 for _ in durations], label=label))
    km = kaplan_meier_figure(curves, index_label="IVIG")
    assert km is not None
    yield km


def large_figures() -> Iterator[DrawnFigure]:
    """A synthetic registry: 10 000 patients, 5-digit numbers at risk, 60 swimmer lanes."""
    rng = random.Random(7)
    n = 10_000
    curves: list[KaplanMeierResult] = []
    incidences: list[CumulativeIncidenceResult] = []
    for label, scale in (
        ("Defervescence", 10),
        ("Steroid discontinuation", 400),
        ("ALT normalisation", 60),
        ("Eosinophil normalisation", 30),
        ("Rash resolution", 90),
    ):
        durations = [float(rng.randint(0, scale)) for _ in range(n)]
        observed = [rng.random() < 0.85 for _ in range(n)]
        curves.append(kaplan_meier(durations, observed, label=label))
        events = [1 if seen else (2 if rng.random() < 0.3 else 0) for seen in observed]
        incidences.append(cumulative_incidence(durations, events, label=label))
    km = kaplan_meier_figure(curves, index_label="first IVIG dose")
    assert km is not None
    yield km
    cif = cumulative_incidence_figure(incidences[:2], index_label="first IVIG dose")
    assert cif is not None
    yield cif
    sim = read_bundle(EXAMPLES / "sim2022")
    comparisons = []
    for code in ("temperature", "eosinophils", "alt"):
        values = paired_values(sim, code, tolerance_days=1)
        big = replace(
            values,
            episode_ids=tuple(f"E{i}" for i in range(n)),
            before=tuple(rng.choice(values.before) * rng.uniform(0.8, 1.2) for _ in range(n)),
            after=tuple(rng.choice(values.after) * rng.uniform(0.8, 1.2) for _ in range(n)),
        )
        comparisons.append(Comparison(big, None))
    comparisons.append(comparisons[0])
    before_after = before_after_figure(comparisons, index_label="IVIG")
    assert before_after is not None
    yield before_after
    start = date(2020, 1, 1)
    ids = [f"REG-{i:05d}" for i in range(60)]
    episodes = pl.DataFrame(
        {
            "episode_id": ids,
            "outcome": [rng.choice(["recovered", "died", "ongoing"]) for _ in ids],
            "last_follow_up_date": [start + timedelta(days=rng.randint(5, 700)) for _ in ids],
        }
    )
    treatments = pl.DataFrame(
        {
            "episode_id": ids,
            "kind": ["steroid"] * len(ids),
            "agent": ["prednisolone"] * len(ids),
            "start_date": [start - timedelta(days=rng.randint(0, 60)) for _ in ids],
            "end_date": [None] * len(ids),
        },
        schema_overrides={"end_date": pl.Date},
    )
    day0 = pl.DataFrame({"episode_id": ids, "day0": [start] * len(ids)})
    swimmer = swimmer_figure(
        swimmer_lanes(episodes, treatments, day0), total=10_000, index_label="IVIG"
    )
    assert swimmer is not None
    yield swimmer


@pytest.mark.parametrize("source", [example_figures, large_figures], ids=["examples", "large"])
def test_no_text_overlaps_leaves_the_figure_or_is_under_7_pt(source: object) -> None:
    problems = {}
    for drawn in source():  # type: ignore[operator]
        found = layout_problems(drawn.figure)
        if found:
            problems[drawn.name] = found
    assert problems == {}


@pytest.fixture(scope="module")
def drawn() -> DrawnFigure:
    return next(example_figures())


def test_svg_is_vector_with_text_as_text(drawn: DrawnFigure) -> None:
    svg = drawn.render(("svg",))["svg"].decode()
    assert "<text" in svg
    assert "<image" not in svg
    assert "Body temperature" in svg


def test_pdf_is_vector_with_embedded_truetype_and_no_image(drawn: DrawnFigure) -> None:
    pdf = drawn.render(("pdf",))["pdf"]
    assert b"/Subtype /Image" not in pdf
    assert b"/FontFile2" in pdf  # TrueType (Type 42) embedded
    assert b"/CreationDate" not in pdf


def png_dpi(data: bytes) -> float:
    """Read the pHYs chunk (pixels per metre) of a PNG, as dots per inch."""
    position = 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"pHYs":
            per_metre = int.from_bytes(body[:4], "big")
            assert body[8] == 1  # unit: metre
            return per_metre * 0.0254
        position += 12 + length
    raise AssertionError("no pHYs chunk")


def test_png_is_300_dpi(drawn: DrawnFigure) -> None:
    png = drawn.render(("png",))["png"]
    assert round(png_dpi(png)) == 300
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        assert round(image.info["dpi"][0]) == 300
        # 17.5 cm at 300 dpi
        assert abs(image.width - 17.5 / 2.54 * 300) < 3


def test_the_same_figure_gives_the_same_bytes(drawn: DrawnFigure) -> None:
    first = render_figure(drawn.figure)
    second = render_figure(drawn.figure)
    assert first == second
    assert not re.search(rb"<dc:date>", first["svg"])


def test_save_figure_writes_each_format_atomically(drawn: DrawnFigure, tmp_path: Path) -> None:
    paths = save_figure(drawn.figure, tmp_path / "figures" / "before_after", ("svg", "png"))
    assert {fmt: path.name for fmt, path in paths.items()} == {
        "svg": "before_after.svg",
        "png": "before_after.png",
    }
    assert sorted(path.name for path in (tmp_path / "figures").iterdir()) == [
        "before_after.png",
        "before_after.svg",
    ]
    assert drawn.save(tmp_path, ("pdf",)) == {"pdf": tmp_path / "before_after.pdf"}


def test_unknown_format_is_refused(drawn: DrawnFigure) -> None:
    with pytest.raises(ValueError, match="svg, pdf, png"):
        render_figure(drawn.figure, ("jpg",))


def test_units_are_symbols_not_ucum_codes() -> None:
    text = " ".join(
        t.get_text()
        for drawn in example_figures()
        for t in drawn.figure.findobj(lambda a: hasattr(a, "get_text"))  # type: ignore[arg-type]
    )
    for code in ("Cel", "10*9/L", "{score}", "mg/d "):
        assert code not in text
    for symbol in ("°C", "×10⁹/L", "U/L", "kU/L"):
        assert symbol in text
