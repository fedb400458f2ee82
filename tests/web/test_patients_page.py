"""The episode page, its timeline JSON and figures: content, site rule, audit."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dresskit.course.diagnosis import regiscar_from_course
from dresskit.registry import audit
from dresskit.registry.loading import load_course
from dresskit.registry.schema import table
from tests.web.conftest import Registry


def text_of(page: str) -> str:
    """The page's text: tags removed, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_page_shows_the_header(signed: Callable[[str], TestClient]) -> None:
    page = signed("clin-north").get("/patients/SIM01")
    assert page.status_code == 200
    text = text_of(page.text)
    for expected in (
        "Episode SIM01 patient SIMP01",
        "Age at onset 54 years",
        "Sex male",
        "Site north",
        "Onset 2012-05-21",
        "Outcome recovered",
        "Last follow-up 2012-08-24",
    ):
        assert expected in text


def test_the_scores_are_computed_from_the_course_with_their_evidence(
    registry: Registry, signed: Callable[[str], TestClient]
) -> None:
    expected = regiscar_from_course(load_course(registry.engine, "SIM01")).result
    text = text_of(signed("clin-north").get("/patients/SIM01").text)
    assert f"{expected.total}: {expected.classification}" in text
    assert "2012-05-28 temperature = 39.6 °C" in text  # the fever item's source, unit as symbol
    assert "J-SCAR criteria for DIHS" in text
    assert "Bocquet criteria for DRESS" in text
    assert "Cel" not in text
    assert "10*9/L" not in text


def test_an_unknown_item_links_an_editor_to_the_entry_page(
    signed: Callable[[str], TestClient],
) -> None:
    page = signed("coord-north").get("/patients/SIM01").text
    link = (
        "/entry/SIM01?section=findings&amp;code=biopsy&amp;item=regiscar.biopsy_suggestive#findings"
    )
    assert link in page
    assert "/entry/" not in signed("researcher").get(_first_pseudonym(signed)).text


def _first_pseudonym(signed: Callable[[str], TestClient]) -> str:
    page = signed("researcher").get("/patients?drug=dapsone").text
    return str(re.findall(r'href="(/patients/[0-9a-f]{16})"', page)[0])


def test_culprits_response_and_outcomes_are_shown(signed: Callable[[str], TestClient]) -> None:
    text = text_of(signed("clin-south").get("/patients/SHEN?index=dupilumab").text)
    assert "1 oxcarbazepine suspect 90 days compatible, late high (aromatic anticonvulsant)" in text
    assert "Steroid-dependent yes" in text
    assert "Hyporesponsive unknown" in text
    assert "2022-02-02 30 itch NRS 4 9 20 mg/day prednisone equivalent during taper" in text
    assert "Outcomes from day 0 (first dupilumab dose)" in text
    assert "not observed: censored at day" in text


def test_an_index_the_course_lacks_is_refused_naming_the_choices(
    signed: Callable[[str], TestClient],
) -> None:
    answer = signed("clin-north").get("/patients/SIM01?index=dupilumab")
    assert answer.status_code == 422
    assert "index" in answer.text
    assert "dupilumab" in answer.text
    assert "ivig" in answer.text


@pytest.mark.parametrize("path", ["", "/timeline.json", "/timeline.svg"])
def test_another_sites_episode_is_not_found(signed: Callable[[str], TestClient], path: str) -> None:
    assert signed("clin-north").get(f"/patients/SHEN{path}").status_code == 404
    assert signed("clin-south").get(f"/patients/SIM01{path}").status_code == 404
    assert signed("clin-north").get(f"/patients/NOPE{path}").status_code == 404


def test_a_researcher_cannot_open_an_episode_by_its_real_id(
    signed: Callable[[str], TestClient],
) -> None:
    assert signed("researcher").get("/patients/SIM01").status_code == 404


def test_a_view_by_an_identified_role_is_audited(
    registry: Registry, signed: Callable[[str], TestClient]
) -> None:
    def views(actor: str, entity_id: str | None = None) -> int:
        return sum(
            1
            for record in audit.records(registry.engine)
            if record.action == "view"
            and record.entity == "episode"
            and record.actor == actor
            and (entity_id is None or record.entity_id == entity_id)
        )

    before = views("clin-north", "SIM02")
    signed("clin-north").get("/patients/SIM02")
    signed("clin-north").get("/patients/SIM02/timeline.json")
    assert views("clin-north", "SIM02") == before + 2
    researcher_before = views("researcher")
    signed("researcher").get(_first_pseudonym(signed))
    assert views("researcher") == researcher_before


def test_the_timeline_json_holds_the_stored_observations_with_units(
    registry: Registry, signed: Callable[[str], TestClient]
) -> None:
    data = signed("clin-north").get("/patients/SIM01/timeline.json").json()
    observations = table("observations")
    with registry.engine.connect() as connection:
        stored = connection.execute(
            select(observations.c.value, observations.c.unit)
            .where(observations.c.episode_id == "SIM01", observations.c.code == "alt")
            .order_by(observations.c.date, observations.c.time, observations.c.row_order)
        ).all()
    series = {s["code"]: s for panel in data["panels"] for s in panel["series"]}
    assert series["alt"]["values"] == [value for value, _ in stored]
    assert {unit for _, unit in stored} == {series["alt"]["unit"]} == {"U/L"}
    assert series["temperature"]["symbol"] == "°C"
    assert series["eosinophils"]["unit"] == "10*9/L"
    assert "total_ige" not in series  # never measured: no series, not zeros
    assert data["index_date"] == "2012-05-21"
    assert data["axis"].startswith("days since")


def test_the_report_figure_downloads_as_svg_png_and_pdf(
    signed: Callable[[str], TestClient],
) -> None:
    client = signed("clin-south")
    svg = client.get("/patients/SHEN/timeline.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["content-disposition"] == 'attachment; filename="timeline_SHEN_onset.svg"'
    assert b"<svg" in svg.content
    png = client.get("/patients/SHEN/timeline.png?index=dupilumab").content
    assert png.startswith(b"\x89PNG")
    assert b"pHYs" in png
    assert client.get("/patients/SHEN/timeline.pdf").content.startswith(b"%PDF")
    assert client.get("/patients/SHEN/timeline.gif").status_code == 404


def test_the_charts_have_a_text_alternative(signed: Callable[[str], TestClient]) -> None:
    page = signed("clin-north").get("/patients/SIM01").text
    assert "The charted values, day by day (text alternative of the charts)" in page
    assert '<figure class="timeline" aria-describedby="timeline-caption">' in page
    assert 'data-src="/patients/SIM01/timeline.json?index=onset"' in page
    assert "<noscript>" in page
    assert '<span class="visually-hidden">not recorded</span>' in page  # an empty cell


@pytest.mark.parametrize("name", ["a%00b", "..%2F..", "%3Cscript%3E", "x" * 300])
def test_a_malformed_name_is_not_found(signed: Callable[[str], TestClient], name: str) -> None:
    for user in ("clin-north", "researcher"):
        assert signed(user).get(f"/patients/{name}").status_code == 404
