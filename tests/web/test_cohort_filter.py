"""The cohort filter: what an account may choose, checked before any work is queued."""

from __future__ import annotations

from datetime import date

import pytest

from dresskit.errors import InputErrors
from dresskit.registry.access import Role
from dresskit.registry.accounts import Account
from dresskit.registry.cohorts import CohortFilter, check_filter
from dresskit.web.jobs import ReportRequest, check_index
from dresskit.web.pages.cohort import parse_onset


def _account(role: Role, *sites: str) -> Account:
    return Account("someone", role, sites, active=True, has_password=True, locked_until=None)


def test_no_site_chosen_means_every_site_granted() -> None:
    chosen = check_filter(_account(Role.CLINICIAN, "north", "south"), CohortFilter())
    assert chosen.sites == ("north", "south")


def test_every_refused_choice_is_named_together() -> None:
    with pytest.raises(InputErrors) as caught:
        check_filter(
            _account(Role.CLINICIAN, "north"),
            CohortFilter(
                sites=("south",),
                phenotypes=("dres",),
                diagnosis_classes=("certain",),
                onset_from=date(2020, 1, 1),
                onset_to=date(2019, 1, 1),
            ),
        )
    fields = [(e.field, e.value) for e in caught.value.errors]
    assert fields == [
        ("sites", "south"),
        ("phenotypes", "dres"),
        ("diagnosis_classes", "certain"),
        ("onset_to", "2019-01-01"),
    ]


def test_de_identified_access_filters_onset_by_whole_years_only() -> None:
    researcher = _account(Role.RESEARCHER, "north")
    years = CohortFilter(onset_from=date(2012, 1, 1), onset_to=date(2013, 12, 31))
    assert check_filter(researcher, years).onset_to == date(2013, 12, 31)
    with pytest.raises(InputErrors) as caught:
        check_filter(researcher, CohortFilter(onset_from=date(2012, 5, 21)))
    assert caught.value.errors[0].field == "onset_from"
    assert "whole years" in caught.value.errors[0].expected


def test_an_account_without_sites_has_no_cohort() -> None:
    with pytest.raises(InputErrors) as caught:
        check_filter(_account(Role.RESEARCHER), CohortFilter())
    assert caught.value.errors[0].field == "sites"


def test_a_stored_request_reads_back_equal() -> None:
    asked = ReportRequest(
        CohortFilter(("north",), ("dress",), ("probable",), date(2012, 1, 1), None), "steroid"
    )
    stored = asked.parameters(deidentified=False)
    assert ReportRequest.from_parameters(stored) == asked


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [("2012", False, date(2012, 1, 1)), ("2012", True, date(2012, 12, 31)), ("", False, None)],
)
def test_an_onset_bound_is_a_day_or_a_year(text: str, end: bool, expected: date | None) -> None:
    assert parse_onset("onset_from", text, end=end) == expected


@pytest.mark.parametrize("text", ["2012-02-30", "12/05/2012", "20120", "2012-5-1"])
def test_an_onset_bound_that_is_neither_is_refused(text: str) -> None:
    with pytest.raises(Exception, match="a day \\(YYYY-MM-DD\\) or a year \\(YYYY\\)"):
        parse_onset("onset_from", text, end=False)


@pytest.mark.parametrize("index", ["", " ", "x" * 101, "iv\x00ig"])
def test_an_index_event_that_cannot_name_one_is_refused(index: str) -> None:
    with pytest.raises(Exception, match="ivig, steroid, onset, admission"):
        check_index(index)
