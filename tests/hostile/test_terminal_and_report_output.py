"""Issue 10, class 10: text from data is shown as written, never interpreted.

On the terminal a drug name, an actor or an id is escaped for rich markup and stripped of
control characters (C0, C1, DEL, ANSI escape sequences, bidi overrides) by every command that
prints it: ``course``, ``score``, ``episode show``, ``audit log``, ``validate`` and error
messages. In figures, matplotlib never reads ``$...$`` as math text; in the HTML report no
control character or bidi override survives. Commands run as the real console script
(``dresskit``, in a subprocess with a wide terminal so that tables are not wrapped).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from dresskit.analysis.figures.paired import plot_paired
from dresskit.analysis.figures.survival import plot_cumulative_incidence, plot_kaplan_meier
from dresskit.analysis.figures.swimmer import plot_swimmer
from dresskit.analysis.figures.timeline import plot_course_timeline, timeline_panels
from dresskit.analysis.paired import PairedValues
from dresskit.analysis.rendering import draw_figures, render_html
from dresskit.analysis.report import build_report
from dresskit.analysis.survival import cumulative_incidence, kaplan_meier
from dresskit.analysis.swimmer import EndMarker, SwimmerLane
from dresskit.analysis.timeline import course_timeline
from dresskit.bundle import read_bundle
from dresskit.course.model import EpisodeOutcome
from dresskit.printable import printable
from tests.hostile.output_bundles import (
    assert_one_line_error,
    run_dresskit,
    write_hostile_bundle,
)

#: Rich markup that would close, open or style, an emoji code, math text.
MARKUP_NAMES = ("[/]", "[bold red]x", "[link=http://x]y", ":pill:", "$x$", "a\\[b]")
#: Control sequences: clear the screen, set the window title, reorder text, ring the bell.
CONTROL = "\x1b[2J\x1b]0;pwned\x07\u202e\x07\x9b1m"
#: What must never reach a terminal.
FORBIDDEN = ("\x1b", "\x07", "\u202e", "\x9b")
#: Math text that makes matplotlib fail when it is parsed (an unknown command).
BAD_MATH = "$\\undefinedcommand{$"


def assert_clean(text: str) -> None:
    for character in FORBIDDEN:
        assert character not in text, repr(character)
    assert "Traceback" not in text


@pytest.fixture(scope="module")
def bundle_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hostile_bundle(
        tmp_path_factory.mktemp("terminal") / "bundle",
        episode_ids=("E1",),
        drugs=MARKUP_NAMES,
        other_agents=(BAD_MATH, "[/]"),
    )


@pytest.fixture(scope="module")
def registry(bundle_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A registry of the bundle, imported by an actor whose name holds markup and controls;
    then, as another tool could, an episode column and a drug name edited with SQL."""
    path = tmp_path_factory.mktemp("registry") / "registry.sqlite3"
    assert run_dresskit("db", "init", "--db", str(path)).returncode == 0
    imported = run_dresskit(
        "import", str(bundle_folder), "--db", str(path), "--user", f"[bold red]x{CONTROL}[/]"
    )
    assert imported.returncode == 0, imported.stderr
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE episodes SET phenotype = ? WHERE episode_id = 'E1'", (f"[/]{CONTROL}$x$",)
        )
    return str(path)


def test_course_shows_markup_in_drug_names_as_written(bundle_folder: Path) -> None:
    completed = run_dresskit("course", str(bundle_folder), "E1")
    assert completed.returncode == 0, completed.stderr
    assert_clean(completed.stdout + completed.stderr)
    for name in MARKUP_NAMES:
        assert f"│ {name.lower()} " in completed.stdout, name


def test_a_drug_name_with_control_characters_is_refused_in_a_clean_message(
    tmp_path: Path,
) -> None:
    folder = write_hostile_bundle(tmp_path / "b", drugs=(f"evil{CONTROL}",))
    completed = run_dresskit("course", str(folder), "SHEN")
    assert_one_line_error(completed, "1 problem")
    assert_clean(completed.stderr)
    assert "evil\\x1b[2J" in completed.stderr  # the value shown escaped, as Python writes it


def test_score_shows_a_hostile_drug_name_as_written(tmp_path: Path) -> None:
    case = json.loads(run_dresskit("score", "naranjo", "--schema").stdout)
    answers: dict[str, object] = dict.fromkeys(case["required"], "unknown")
    answers["drug"] = f"[bold red]x{CONTROL}$x$[/]"
    (tmp_path / "case.json").write_text(json.dumps(answers), encoding="utf-8")
    completed = run_dresskit("score", "naranjo", "--input", str(tmp_path / "case.json"))
    assert completed.returncode == 0, completed.stderr
    assert_clean(completed.stdout)
    assert "[bold red]x$x$[/]" in completed.stdout


def test_episode_show_shows_a_hostile_column_as_written(registry: str) -> None:
    completed = run_dresskit("episode", "show", "E1", "--db", registry)
    assert completed.returncode == 0, completed.stderr
    assert_clean(completed.stdout)
    assert "│ [/]$x$ " in completed.stdout


def test_an_unknown_episode_named_like_markup_is_one_clean_error(registry: str) -> None:
    completed = run_dresskit("episode", "show", f"[/]{CONTROL}", "--db", registry)
    assert_one_line_error(completed, "'[/]")
    assert_clean(completed.stderr)


def test_audit_log_shows_a_hostile_actor_as_written(registry: str) -> None:
    completed = run_dresskit("audit", "log", "--db", registry)
    assert completed.returncode == 0, completed.stderr
    assert_clean(completed.stdout)
    assert "│ [bold red]x[/] " in completed.stdout


def test_validate_shows_a_path_with_markup_as_written(bundle_folder: Path, tmp_path: Path) -> None:
    # A .zip: polars reads a CSV path with '[' as a glob pattern (a folder so named fails).
    archive = tmp_path / "[bold red]:pill: b.zip"
    with zipfile.ZipFile(archive, "w") as writer:
        for path in bundle_folder.glob("*.csv"):
            writer.write(path, path.name)
    completed = run_dresskit("validate", str(archive))
    assert completed.returncode == 0, completed.stderr
    assert f"valid: {archive} - " in completed.stdout


# --- figures ---------------------------------------------------------------------------------


def literal_texts(figure: Figure) -> dict[str, Text]:
    """Every text of a drawn figure that holds a dollar sign, by its text."""
    figure.canvas.draw()  # Agg: math text would be parsed here, and BAD_MATH would fail
    return {text.get_text(): text for text in figure.findobj(Text) if "$" in text.get_text()}


def assert_drawn_as_written(figure: Figure, *expected: str) -> None:
    texts = literal_texts(figure)
    for text in texts.values():
        assert not text.get_parse_math(), text.get_text()
        assert not text.get_usetex(), text.get_text()
    for fragment in expected:
        assert any(fragment in text for text in texts), (fragment, sorted(texts))


def test_the_timeline_draws_agent_names_and_the_index_as_written(bundle_folder: Path) -> None:
    course = read_bundle(bundle_folder).course("E1")
    timeline = course_timeline(course, index=BAD_MATH)
    figure = Figure(figsize=(8, 9))
    axes = figure.subplots(len(timeline_panels(timeline)), 1, squeeze=False)[:, 0]
    plot_course_timeline(timeline, axes=list(axes))
    assert_drawn_as_written(figure, BAD_MATH, f"day 0: first {BAD_MATH}")
    lanes = [label.get_text() for label in axes[0].get_yticklabels()]
    assert BAD_MATH in lanes


def test_the_swimmer_draws_ids_and_the_index_as_written() -> None:
    lanes = [
        SwimmerLane(
            episode_id="$x$",
            day0=date(2022, 1, 1),
            follow_up_days=30,
            outcome=EpisodeOutcome.RECOVERED,
            end_marker=EndMarker.RECOVERED,
            segments=(),
        )
    ]
    figure = Figure()
    ax = plot_swimmer(lanes, ax=figure.subplots(), index_label=BAD_MATH)
    assert_drawn_as_written(figure, BAD_MATH)
    assert [label.get_text() for label in ax.get_yticklabels()] == ["$x$"]
    assert all(not label.get_parse_math() for label in ax.get_yticklabels())


def test_survival_figures_draw_curve_labels_as_written() -> None:
    km = kaplan_meier([2, 3, 5], [True, False, True], label=BAD_MATH)
    cif = cumulative_incidence([2, 3, 5], [1, 2, 0], label=BAD_MATH)
    figure = Figure(figsize=(9, 4))
    left, right = figure.subplots(1, 2)
    plot_kaplan_meier([km], ax=left, min_n=1)
    plot_cumulative_incidence([cif], ax=right, min_n=1)
    assert_drawn_as_written(figure, BAD_MATH, f"{BAD_MATH}: competing event")


def test_the_paired_figure_draws_its_label_as_written() -> None:
    paired = PairedValues(
        code="alt",
        label=BAD_MATH,
        unit="$U$/L",
        index="ivig",
        before_day=-1,
        after_day=4,
        daily_rule="the day's last",
        episode_ids=("A", "B"),
        before=(100.0, 80.0),
        after=(50.0, 40.0),
        unpaired=(),
    )
    figure = Figure()
    plot_paired(paired, ax=figure.subplots())
    assert_drawn_as_written(figure, f"{BAD_MATH}, n = 2", "($U$/L)")


def test_the_html_report_holds_no_control_character_and_escapes_markup(
    bundle_folder: Path,
) -> None:
    bundle = read_bundle(bundle_folder)
    # As a registry filled before today's import rules could hand it over.
    hostile = dataclasses.replace(
        bundle, manifest={**bundle.manifest, "title": f"<b>title</b>{CONTROL}$x$"}
    )
    report = build_report(hostile, index=BAD_MATH)
    html = render_html(report, draw_figures(report), generated="2026-11-29 00:00 UTC")
    assert_clean(html)
    assert "&lt;b&gt;title&lt;/b&gt;$x$" in html
    assert printable(f"first {BAD_MATH}") in html
