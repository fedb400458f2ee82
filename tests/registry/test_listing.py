"""The patient list's queries: filters, site rule, pseudonyms, derived classes and their cache."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dresskit.bundle import Bundle, read_bundle
from dresskit.course.response import classify_response
from dresskit.course.vectorised_regiscar import regiscar_table
from dresskit.errors import InputErrors
from dresskit.registry import episode_table, listing
from dresskit.registry.access import Role
from dresskit.registry.accounts import Account, add_site
from dresskit.registry.db import engine_for
from dresskit.registry.editing import read_episode, update_episode
from dresskit.registry.listing import ListQuery, find_episode, list_episodes, parse_list_query
from dresskit.registry.migrate import upgrade
from dresskit.registry.scoped import episodes_of, record_view, resolve_episode
from dresskit.registry.store import import_bundle
from tests.registry.conftest import new_postgres_database

EXAMPLES = Path(__file__).parents[2] / "examples"


@dataclass
class Prepared:
    engine: Engine
    sim: Bundle
    shen: Bundle


def _prepare(url: str) -> Prepared:
    engine = engine_for(url)
    upgrade(engine)
    add_site(engine, "north", "North", actor="test")
    add_site(engine, "south", "South", actor="test")
    sim, shen = read_bundle(EXAMPLES / "sim2022"), read_bundle(EXAMPLES / "shen2024")
    import_bundle(engine, sim, actor="test", source="sim2022", site="north")
    import_bundle(engine, shen, actor="test", source="shen2024", site="south")
    return Prepared(engine, sim, shen)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def prepared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prepared]:
    """Both examples in a registry of each kind (north: sim2022, south: shen2024); read only."""
    if request.param == "sqlite":
        found = _prepare(f"sqlite:///{tmp_path_factory.mktemp('listing') / 'r.sqlite3'}")
        yield found
        found.engine.dispose()
        return
    with new_postgres_database() as url:
        found = _prepare(url)
        yield found
        found.engine.dispose()


@pytest.fixture
def fresh(database_url: str) -> Iterator[Prepared]:
    """The same registry, of the test's own (free to change)."""
    found = _prepare(database_url)
    yield found
    found.engine.dispose()


def account(role: Role, *sites: str) -> Account:
    return Account(f"{role.value}-x", role, tuple(sites), True, True, None)


CLINICIAN_NORTH = account(Role.CLINICIAN, "north")
CLINICIAN_SOUTH = account(Role.CLINICIAN, "south")
RESEARCHER = account(Role.RESEARCHER, "north", "south")


def shown(prepared: Prepared, reader: Account, **fields: str | list[str]) -> list[str]:
    identified = reader.role != Role.RESEARCHER
    pairs = [
        (name, value)
        for name, given in fields.items()
        for value in (given if isinstance(given, list) else [given])
    ]
    query = parse_list_query([*pairs, ("per_page", "200")], identified=identified)
    return [row.episode for row in list_episodes(prepared.engine, reader, query).rows]


def test_a_clinician_lists_every_episode_of_the_site_and_no_other(prepared: Prepared) -> None:
    assert shown(prepared, CLINICIAN_NORTH) == [f"SIM{n:02d}" for n in range(1, 19)]
    assert shown(prepared, CLINICIAN_SOUTH) == ["SHEN"]


def test_an_account_without_sites_or_permission_lists_nothing(prepared: Prepared) -> None:
    assert shown(prepared, account(Role.CLINICIAN)) == []
    assert shown(prepared, account(Role.AUDITOR, "north")) == []


def test_a_researcher_sees_pseudonyms_no_ids_and_no_dates(prepared: Prepared) -> None:
    query = parse_list_query([("per_page", "200")], identified=False)
    page = list_episodes(prepared.engine, RESEARCHER, query)
    assert page.visible == 19
    for row in page.rows:
        assert len(row.episode) == 16
        assert not row.episode.startswith(("SIM", "SHEN"))
        assert len(row.patient) == 16
        assert row.onset is None


def test_the_regiscar_filter_keeps_exactly_the_episodes_of_that_class(prepared: Prepared) -> None:
    sim = prepared.sim
    table = regiscar_table(sim.episodes, sim.observations, sim.findings)
    for name in ("probable", "possible"):
        expected = sorted(
            table.filter(table["regiscar_class"] == name).get_column("episode_id").to_list()
        )
        assert sorted(shown(prepared, CLINICIAN_NORTH, regiscar=name)) == expected
        assert expected  # the example holds both classes


def test_the_response_filter_keeps_exactly_the_episodes_in_that_state(prepared: Prepared) -> None:
    responses = {c.episode.episode_id: classify_response(c) for c in prepared.sim.courses()}
    for state, value, meaning in (
        ("dependent", "no", False),
        ("dependent", "unknown", None),
        ("hyporesponsive", "yes", True),
    ):
        expected = sorted(e for e, r in responses.items() if getattr(r, state).value is meaning)
        got = shown(prepared, CLINICIAN_NORTH, response=f"{state}:{value}")
        assert sorted(got) == expected


def test_the_drug_filter_keeps_the_episodes_with_that_suspect_drug(prepared: Prepared) -> None:
    assert shown(prepared, CLINICIAN_NORTH, drug="dapsone") == [
        "SIM01",
        "SIM03",
        "SIM06",
        "SIM09",
        "SIM14",
    ]


def test_the_onset_range_is_inclusive(prepared: Prepared) -> None:
    got = shown(prepared, CLINICIAN_NORTH, onset_from="2013-03-17", onset_to="2013-12-25")
    assert got == ["SIM04", "SIM05", "SIM06", "SIM07"]


def test_search_matches_ids_and_drug_names(prepared: Prepared) -> None:
    assert shown(prepared, CLINICIAN_NORTH, q="sim1") == [f"SIM{n}" for n in range(10, 19)]
    assert shown(prepared, CLINICIAN_NORTH, q="VANCO") == ["SIM05", "SIM12", "SIM18"]


def test_a_researcher_finds_nothing_by_a_real_id(prepared: Prepared) -> None:
    assert shown(prepared, RESEARCHER, q="SIM01") == []
    assert len(shown(prepared, RESEARCHER, q="dapsone")) == 5


def test_the_site_filter_narrows_within_the_sites_granted(prepared: Prepared) -> None:
    assert len(shown(prepared, RESEARCHER, site="south")) == 1
    assert shown(prepared, CLINICIAN_NORTH, site="south") == []


def test_sorting_by_regiscar_total_descending(prepared: Prepared) -> None:
    query = parse_list_query([("sort", "regiscar"), ("order", "desc")], identified=True)
    rows = list_episodes(prepared.engine, CLINICIAN_NORTH, query).rows
    totals = [row.regiscar_total for row in rows]
    assert totals == sorted(totals, reverse=True)  # type: ignore[type-var]


def test_pages_split_the_list_and_a_page_past_the_end_shows_the_last(prepared: Prepared) -> None:
    first = list_episodes(prepared.engine, CLINICIAN_NORTH, ListQuery(per_page=10))
    assert (first.matching, first.pages, len(first.rows)) == (18, 2, 10)
    past = list_episodes(prepared.engine, CLINICIAN_NORTH, ListQuery(per_page=10, page=9))
    assert past.page == 2
    assert next(r.episode for r in past.rows) == "SIM11"


def test_every_refused_parameter_is_named_with_its_value(prepared: Prepared) -> None:
    params = [
        ("regiscar", "maybe"),
        ("response", "dependent"),
        ("onset_from", "2020-02-30"),
        ("sort", "name"),
        ("page", "-1"),
        ("per_page", "7"),
    ]
    with pytest.raises(InputErrors) as refused:
        parse_list_query(params, identified=True)
    assert [(e.field, e.value) for e in refused.value.errors] == [
        ("regiscar", "maybe"),
        ("response", "dependent"),
        ("onset_from", "2020-02-30"),
        ("sort", "name"),
        ("page", "-1"),
        ("per_page", "7"),
    ]


def test_a_researcher_may_not_filter_or_sort_by_date(prepared: Prepared) -> None:
    with pytest.raises(InputErrors) as refused:
        parse_list_query([("onset_from", "2012-01-01"), ("sort", "onset")], identified=False)
    assert [e.field for e in refused.value.errors] == ["onset_from", "sort"]


def test_derived_classes_equal_the_per_episode_reference(prepared: Prepared) -> None:
    derived = episode_table.derive_classes(prepared.engine, ["SIM01", "SHEN"])
    shen = classify_response(prepared.shen.course("SHEN"))
    assert derived["SHEN"].response == tuple(
        {True: "yes", False: "no", None: "unknown"}[s.value] for s in shen.states()
    )
    assert derived["SIM01"].regiscar_class == "probable"


def test_a_change_to_an_episode_is_listed_at_once(fresh: Prepared) -> None:
    reader = CLINICIAN_NORTH
    query = parse_list_query([("q", "SIM02")], identified=True)
    assert list_episodes(fresh.engine, reader, query).rows[0].outcome == "recovered"
    version = int(read_episode(fresh.engine, "SIM02")["version"])
    update_episode(
        fresh.engine,
        "SIM02",
        expected_version=version,
        changes={"outcome": "transferred"},
        actor="test",
    )
    assert list_episodes(fresh.engine, reader, query).rows[0].outcome == "transferred"


def test_a_view_does_not_read_the_episode_table_again(
    fresh: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    list_episodes(fresh.engine, CLINICIAN_NORTH, ListQuery())
    reads: list[int] = []
    original = episode_table._read_base
    monkeypatch.setattr(episode_table, "_read_base", lambda *a: reads.append(1) or original(*a))
    record_view(fresh.engine, CLINICIAN_NORTH, "episode", "SIM01")
    assert list_episodes(fresh.engine, CLINICIAN_NORTH, ListQuery()).matching == 18
    assert reads == []


def test_many_changed_episodes_are_derived_in_the_background(fresh: Prepared) -> None:
    page = list_episodes(fresh.engine, CLINICIAN_NORTH, ListQuery(), inline_limit=0)
    assert episode_table.wait_for_derivation(fresh.engine, timeout=60)
    assert page.pending in (0, 18)  # 18 if the thread had not finished before the page
    after = list_episodes(fresh.engine, CLINICIAN_NORTH, ListQuery(regiscar=("probable",)))
    assert after.pending == 0
    assert after.matching > 0
    assert all(row.regiscar_class == "probable" for row in after.rows)


def test_an_episode_still_being_derived_is_shown_as_such_and_left_out_of_class_filters(
    fresh: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(episode_table, "derive_classes", lambda engine, ids: {})
    monkeypatch.setattr(episode_table, "_CHUNK", 0)  # the thread derives nothing and stops
    page = list_episodes(fresh.engine, CLINICIAN_NORTH, ListQuery(), inline_limit=0)
    episode_table.wait_for_derivation(fresh.engine, timeout=10)
    assert page.pending == 18
    assert all(row.regiscar_class is None and row.response is None for row in page.rows)
    filtered = list_episodes(fresh.engine, CLINICIAN_NORTH, ListQuery(regiscar=("probable",)))
    assert filtered.matching == 0
    assert filtered.pending == 18


def test_ages_over_89_are_grouped_for_a_researcher(prepared: Prepared) -> None:
    assert listing._age_text(93, identified=False) == "90+"
    assert listing._age_text(93, identified=True) == "93"
    assert listing._age_text(None, identified=False) is None


def test_follow_up_is_counted_in_days_from_onset(prepared: Prepared) -> None:
    row = list_episodes(prepared.engine, CLINICIAN_NORTH, ListQuery(search="sim01")).rows[0]
    assert row.onset == date(2012, 5, 21)
    assert row.follow_up_days == (date(2012, 8, 24) - date(2012, 5, 21)).days


def test_find_episode_agrees_with_the_scoped_rule(prepared: Prepared) -> None:
    pseudonyms = [ref.shown_episode for ref in episodes_of(prepared.engine, RESEARCHER)]
    names = ["SIM01", "SIM18", "SHEN", "SIMP01", "NOPE", "", "x" * 300, "a\x00b", *pseudonyms[:6]]
    readers = (
        CLINICIAN_NORTH,
        CLINICIAN_SOUTH,
        RESEARCHER,
        account(Role.RESEARCHER, "north"),
        account(Role.COORDINATOR, "north"),
        account(Role.AUDITOR, "north", "south"),
        account(Role.CLINICIAN),
    )
    for reader in readers:
        for name in names:
            expected = resolve_episode(prepared.engine, reader, name)
            assert find_episode(prepared.engine, reader, name) == expected, (reader, name)


def test_a_kept_course_is_read_again_once_its_episode_changed(fresh: Prepared) -> None:
    first = episode_table.cached_course(fresh.engine, "SIM02")
    assert first == fresh.sim.course("SIM02")
    assert episode_table.cached_course(fresh.engine, "SIM02") is first
    version = int(read_episode(fresh.engine, "SIM02")["version"])
    update_episode(
        fresh.engine,
        "SIM02",
        expected_version=version,
        changes={"outcome": "transferred"},
        actor="test",
    )
    again = episode_table.cached_course(fresh.engine, "SIM02")
    assert again.episode.outcome.value == "transferred"
