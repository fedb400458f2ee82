"""The patient list page: filters narrow it, htmx swaps the table, sites stay apart."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from dresskit.registry import audit
from tests.web.conftest import Registry

ROWS = re.compile(r'<th scope="row"><a href="/patients/([^"]+)">')


def listed(client: TestClient, query: str = "") -> list[str]:
    answer = client.get(f"/patients?per_page=200&{query}")
    assert answer.status_code == 200, answer.text
    return ROWS.findall(answer.text)


def test_the_list_needs_a_role_that_sees_patients(signed: Callable[[str], TestClient]) -> None:
    assert signed("auditor").get("/patients").status_code == 403


def test_clin_north_lists_the_18_sim2022_episodes(signed: Callable[[str], TestClient]) -> None:
    assert listed(signed("clin-north")) == [f"SIM{n:02d}" for n in range(1, 19)]


def test_clin_south_sees_only_the_shen2024_patient(signed: Callable[[str], TestClient]) -> None:
    page = signed("clin-south").get("/patients").text
    assert ROWS.findall(page) == ["SHEN"]
    assert "SIM0" not in page
    assert "SIMP" not in page


def test_clin_north_never_sees_the_south_patient(signed: Callable[[str], TestClient]) -> None:
    client = signed("clin-north")
    page = client.get("/patients").text
    assert "SHEN" not in page
    assert "oxcarbazepine" not in page
    for query in ("q=SHEN", "site=south", "drug=oxcarbazepine"):
        assert listed(client, query) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("drug=dapsone", ["SIM01", "SIM03", "SIM06", "SIM09", "SIM14"]),
        ("onset_from=2013-03-17&onset_to=2013-12-25", ["SIM04", "SIM05", "SIM06", "SIM07"]),
        ("q=vanco", ["SIM05", "SIM12", "SIM18"]),
        ("q=SIM1&drug=carbamazepine", ["SIM13"]),
    ],
)
def test_each_filter_narrows_the_list(
    signed: Callable[[str], TestClient], query: str, expected: list[str]
) -> None:
    assert listed(signed("clin-north"), query) == expected


def test_the_class_filters_narrow_to_rows_of_that_class(
    signed: Callable[[str], TestClient],
) -> None:
    client = signed("clin-north")
    probable = listed(client, "regiscar=probable")
    possible = listed(client, "regiscar=possible")
    assert probable
    assert possible
    assert not set(probable) & set(possible)
    assert sorted(probable + possible) == listed(client)
    both = listed(client, "regiscar=probable&regiscar=possible")
    assert sorted(both) == sorted(probable + possible)
    dependent_no = listed(client, "response=dependent:no")
    assert 0 < len(dependent_no) < 18
    assert listed(client, "response=type2_profile:yes") == []


def test_sorting_and_pages(signed: Callable[[str], TestClient]) -> None:
    client = signed("clin-north")
    descending = listed(client, "sort=onset&order=desc")
    assert descending == [f"SIM{n:02d}" for n in range(18, 0, -1)]
    page_two = client.get("/patients?per_page=10&page=2").text
    assert ROWS.findall(page_two) == [f"SIM{n:02d}" for n in range(11, 19)]
    assert "page 2 of 2" in page_two
    assert "Previous page" in page_two


def test_htmx_gets_the_table_alone(signed: Callable[[str], TestClient]) -> None:
    answer = signed("clin-north").get("/patients?drug=dapsone", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert "<table" in answer.text
    assert len(ROWS.findall(answer.text)) == 5


def test_the_form_works_without_javascript(signed: Callable[[str], TestClient]) -> None:
    page = signed("clin-north").get("/patients").text
    assert '<form class="filters" method="get" action="/patients"' in page
    for control in ("f-search", "f-response", "f-drug", "f-from", "f-to", "f-sort", "f-per-page"):
        assert f'<label for="{control}">' in page
        assert f'id="{control}"' in page


def test_a_refused_filter_names_the_field_value_and_what_is_accepted(
    signed: Callable[[str], TestClient],
) -> None:
    client = signed("clin-north")
    answer = client.get("/patients?regiscar=maybe&onset_from=2020-02-30")
    assert answer.status_code == 422
    assert "regiscar: got “maybe”" in answer.text
    assert "definite" in answer.text
    assert "onset_from: got “2020-02-30”" in answer.text
    assert "YYYY-MM-DD" in answer.text
    swapped = client.get("/patients?regiscar=maybe", headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert "regiscar: got “maybe”" in swapped.text


def test_a_hostile_query_is_shown_as_text(signed: Callable[[str], TestClient]) -> None:
    payload = "<script>alert(1)</script>"
    page = signed("clin-north").get("/patients", params={"q": payload}).text
    assert payload not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_researcher_sees_pseudonyms_and_no_onset_column(
    signed: Callable[[str], TestClient],
) -> None:
    page = signed("researcher").get("/patients?per_page=200").text
    names = ROWS.findall(page)
    assert len(names) == 19
    assert all(re.fullmatch(r"[0-9a-f]{16}", name) for name in names)
    assert "SIM" not in page
    assert "SHEN" not in page
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page)
    assert 'name="onset_from"' not in page
    assert signed("researcher").get("/patients?onset_from=2012-01-01").status_code == 422


def test_a_list_of_identified_data_is_audited(
    registry: Registry, signed: Callable[[str], TestClient]
) -> None:
    def views(actor: str) -> int:
        return sum(
            1
            for record in audit.records(registry.engine)
            if record.action == "view" and record.entity == "patient_list" and record.actor == actor
        )

    before = views("clin-north"), views("researcher")
    signed("clin-north").get("/patients")
    signed("researcher").get("/patients")
    assert (views("clin-north"), views("researcher")) == (before[0] + 1, before[1])
