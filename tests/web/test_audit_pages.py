"""The audit page: filters, pages, and verifying the chain."""

from __future__ import annotations

import re

import pytest

from dresskit.web.pages import audit as audit_page
from tests.web.conftest import Signed


def rows(page: str) -> list[list[str]]:
    """The audit table's rows: number, time, actor, action, entity, id."""
    table = re.search(r'<table class="data audit">.*?</table>', page, re.S)
    if table is None:
        return []
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>")[1], re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells[:6]])
    return found


def test_the_auditor_reads_the_newest_records_first(signed: Signed) -> None:
    page = signed("auditor").get("/audit")
    assert page.status_code == 200
    numbers = [int(row[0]) for row in rows(page.text)]
    assert numbers
    assert numbers == sorted(numbers, reverse=True)


@pytest.mark.parametrize(
    ("query", "column", "expected"),
    [
        ({"actor": "test"}, 2, "test"),
        ({"action": "import"}, 3, "import"),
        ({"entity": "site"}, 4, "site"),
        ({"entity_id": "clin-north"}, 5, "clin-north"),
    ],
)
def test_each_filter_keeps_only_matching_records(
    signed: Signed, query: dict[str, str], column: int, expected: str
) -> None:
    found = rows(signed("auditor").get("/audit", params=query).text)
    assert found
    assert {row[column] for row in found} == {expected}


def test_the_filters_combine(signed: Signed) -> None:
    found = rows(signed("auditor").get("/audit", params={"action": "import", "actor": "test"}).text)
    assert len(found) == 2  # the two example bundles imported by the fixture
    assert {(row[2], row[3]) for row in found} == {("test", "import")}


def test_a_range_of_days_filters_by_when(signed: Signed) -> None:
    client = signed("auditor")
    assert rows(client.get("/audit", params={"from": "2000-01-01"}).text)
    assert rows(client.get("/audit", params={"to": "2000-01-01"}).text) == []
    later = client.get("/audit", params={"from": "2999-01-01"})
    assert "No record matches" in later.text


def test_a_range_that_ends_before_it_starts_is_refused(signed: Signed) -> None:
    page = signed("auditor").get("/audit", params={"from": "2024-02-01", "to": "2024-01-01"})
    assert page.status_code == 422
    assert "<code>to</code>" in page.text


def test_a_day_that_is_not_a_date_is_refused_naming_the_field(signed: Signed) -> None:
    page = signed("auditor").get("/audit", params={"from": "yesterday"})
    assert page.status_code == 422
    assert "<code>from</code>" in page.text
    assert "<code>yesterday</code>" in page.text
    assert "a day as YYYY-MM-DD" in page.text


def test_pages_follow_each_other_without_overlap(
    signed: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 3)
    client = signed("auditor")
    first = client.get("/audit", params={"actor": "test"}).text
    older = re.search(r'<a href="(/audit\?[^"]+)">Older records</a>', first)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&")).text
    one, two = rows(first), rows(second)
    assert len(one) == 3
    assert two
    assert int(two[0][0]) < int(one[-1][0])
    assert {row[2] for row in two} == {"test"}
    assert "Newest records" in second


def test_a_filter_value_is_shown_as_text(signed: Signed) -> None:
    page = signed("auditor").get("/audit", params={"entity_id": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&#34;&gt;&lt;script&gt;" in page.text


def test_verify_shows_the_chain_intact(signed: Signed) -> None:
    page = signed("auditor").get("/audit/verify")
    assert page.status_code == 200
    assert re.search(r"Intact: all \d+ records verified", page.text)


def test_verify_keeps_the_filters(signed: Signed) -> None:
    page = signed("auditor").get("/audit/verify", params={"action": "import"})
    assert "Intact" in page.text
    assert {row[3] for row in rows(page.text)} == {"import"}


@pytest.mark.parametrize("username", ["clin-north", "researcher", "coord-north"])
def test_roles_without_the_audit_permission_are_refused(signed: Signed, username: str) -> None:
    assert signed(username).get("/audit").status_code == 403
    assert signed(username).get("/audit/verify").status_code == 403


def test_an_admin_may_read_the_audit_trail(signed: Signed) -> None:
    assert signed("admin").get("/audit").status_code == 200


def test_a_control_character_in_a_filter_is_refused_before_the_database(signed: Signed) -> None:
    page = signed("auditor").get("/audit", params={"actor": "a\x00b"})
    assert page.status_code == 422
    assert "<code>actor</code>" in page.text
    assert "no control characters" in page.text
