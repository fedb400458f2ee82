"""Edit conflicts between two clients: both versions side by side, merged, never overwritten.

Two signed-in clients (clin-north and coord-north) read the same episode at one version and
both save; the second gets the conflict page. Every test enters a patient of its own.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.web.conftest import Registry


class _Form(HTMLParser):
    """The fields a browser would submit from the first form whose action matches."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and found.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        if tag == "select":
            self.select, self.first_option, self.chosen = found.get("name"), None, False
        elif tag == "option" and self.select is not None:
            if self.first_option is None:
                self.first_option = found.get("value", "")
            if "selected" in found and not self.chosen:
                self.fields.append((self.select, found.get("value", "")))
                self.chosen = True
        if tag != "input" or "name" not in found:
            return
        kind = found.get("type", "text")
        if kind in ("radio", "checkbox") and "checked" not in found:
            return
        self.fields.append((found["name"], found.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None:
            if not self.chosen:
                self.fields.append((self.select, self.first_option or ""))
            self.select = None
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def _submitted(page: str, action: str) -> list[tuple[str, str]]:
    parser = _Form(action)
    parser.feed(page)
    assert parser.done, f"no form posting to {action}"
    return parser.fields


def _data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Fields as a form posts them (a name given several times keeps its order)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def _patient(registry: Registry, client: TestClient, ident: str) -> str:
    answer = client.post(
        "/entry/patient",
        data={
            "csrf_token": registry.csrf(client),
            "site": "north",
            "patient_id": f"P-{ident}",
            "sex": "male",
            "age_years": "58",
            "episode_id": f"E-{ident}",
            "phenotype": "dress",
            "onset_date": "2024-03-01",
            "admission_date": "2024-03-02",
            "outcome": "ongoing",
            "last_follow_up_date": "2024-04-30",
        },
    )
    assert answer.status_code == 200, answer.text
    return f"E-{ident}"


def _episode_form(
    registry: Registry, client: TestClient, episode: str, **changes: str
) -> dict[str, str]:
    """The episode form as the hub shows it, with ``changes`` typed in."""
    page = client.get(f"/entry/{episode}").text
    fields = dict(_submitted(page, f"/entry/{episode}/episode"))
    fields["csrf_token"] = registry.csrf(client)
    return {**fields, **changes}


def test_two_editors_of_one_episode_see_both_versions_and_merge(registry: Registry) -> None:
    first, second = registry.client("clin-north"), registry.client("coord-north")
    episode = _patient(registry, first, "episode")
    theirs = _episode_form(registry, first, episode, admission_date="2024-03-03")
    mine = _episode_form(registry, second, episode, outcome="recovered")
    assert first.post(f"/entry/{episode}/episode", data=theirs).status_code == 200

    conflict = second.post(f"/entry/{episode}/episode", data=mine)
    assert conflict.status_code == 409
    page = conflict.text
    assert "Edit conflict" in page
    assert "now at version 2" in page
    rows = {
        name.strip(): row
        for name, row in re.findall(
            r'<tr class="(?:differs|same)">\s*<th scope="row">([^<]+)(.*?)</tr>', page, re.S
        )
    }
    assert "differs" in rows["Outcome"]
    assert "recovered" in rows["Outcome"]
    assert "ongoing" in rows["Outcome"]
    assert "2024-03-02" in rows["Admission date"]
    assert "2024-03-03" in rows["Admission date"]

    merged = _submitted(page, f"/entry/{episode}/episode")
    chosen = dict(merged)
    assert chosen["outcome"] == "recovered"  # changed by this editor: theirs kept
    assert chosen["admission_date"] == "2024-03-03"  # changed by the other: kept
    saved = second.post(f"/entry/{episode}/episode", data=_data(merged))
    assert saved.status_code == 200
    assert "now at version 3" in saved.text
    hub = second.get(f"/entry/{episode}").text
    assert 'value="2024-03-03"' in hub
    assert '<option value="recovered" selected>' in hub


def test_a_row_changed_by_two_editors_is_merged_field_by_field(registry: Registry) -> None:
    first, second = registry.client("clin-north"), registry.client("coord-north")
    episode = _patient(registry, first, "row")
    token = registry.csrf(first)
    added = first.post(
        f"/entry/{episode}/findings",
        data={
            "csrf_token": token,
            "version": "1",
            "date": "2024-03-02",
            "code": "rash",
            "value": "present",
            "detail": "trunk",
        },
    )
    key = re.search(rf'/entry/{episode}/findings/(\d+)"', added.text)
    assert key is not None
    action = f"/entry/{episode}/findings/{key.group(1)}"
    theirs = dict(_submitted(first.get(action).text, action))
    mine = dict(_submitted(second.get(action).text, action))
    theirs.update(csrf_token=token, date="2024-03-03")
    mine.update(csrf_token=registry.csrf(second), detail="trunk and arms")
    assert first.post(action, data=theirs).status_code == 200

    conflict = second.post(action, data=mine)
    assert conflict.status_code == 409
    assert "trunk and arms" in conflict.text
    assert "2024-03-03" in conflict.text
    merged = dict(_submitted(conflict.text, action))
    assert (merged["date"], merged["detail"]) == ("2024-03-03", "trunk and arms")
    assert second.post(action, data=merged).status_code == 200
    row = second.get(action).text
    assert 'value="2024-03-03"' in row
    assert 'value="trunk and arms"' in row


def test_a_grid_saved_by_two_editors_is_merged_row_by_row(registry: Registry) -> None:
    first, second = registry.client("clin-north"), registry.client("coord-north")
    episode = _patient(registry, first, "grid")
    grid = f"/entry/{episode}/observations/grid"
    start = first.post(
        grid,
        data={
            "csrf_token": registry.csrf(first),
            "version": "1",
            "date": ["2024-03-02", "2024-03-03"],
            "time": ["", ""],
            "code": ["alt", "alt"],
            "value": ["40", "50"],
            "unit": ["U/L", "U/L"],
            "text": ["", ""],
        },
    )
    assert start.status_code == 200
    theirs = _submitted(first.get(grid).text, grid)
    mine = _submitted(second.get(grid).text, grid)

    def typed(
        fields: list[tuple[str, str]], token: str, row: int, value: str
    ) -> list[tuple[str, str]]:
        values = [i for i, (name, _) in enumerate(fields) if name == "value"]
        out = list(fields)
        out[values[row]] = ("value", value)
        return [(n, token if n == "csrf_token" else v) for n, v in out]

    assert (
        first.post(grid, data=_data(typed(theirs, registry.csrf(first), 0, "45"))).status_code
        == 200
    )
    conflict = second.post(grid, data=_data(typed(mine, registry.csrf(second), 1, "55")))
    assert conflict.status_code == 409
    assert "keep yours" in conflict.text
    assert "keep theirs" in conflict.text
    merge = f"/entry/{episode}/observations/merge"
    merged = second.post(merge, data=_data(_submitted(conflict.text, merge)))
    assert merged.status_code == 200
    assert "merged: check the rows" in merged.text.lower()
    values = [v for n, v in _submitted(merged.text, grid) if n == "value" and v]
    assert values == ["45", "55"]
    saved = second.post(grid, data=_data(_submitted(merged.text, grid)))
    assert saved.status_code == 200
    assert "now at version 4" in saved.text


def test_a_row_added_to_a_changed_episode_is_shown_with_the_current_rows(
    registry: Registry,
) -> None:
    client = registry.client("clin-north")
    episode = _patient(registry, client, "add")
    token = registry.csrf(client)
    row = {"csrf_token": token, "date": "2024-03-02", "code": "biopsy", "value": "suggestive"}
    assert (
        client.post(f"/entry/{episode}/findings", data={**row, "version": "1"}).status_code == 200
    )
    stale = client.post(
        f"/entry/{episode}/findings",
        data={**row, "version": "1", "code": "rash", "value": "present"},
    )
    assert stale.status_code == 409
    assert "your row was not added" in stale.text
    assert "suggestive" in stale.text
    again = client.post(
        f"/entry/{episode}/findings",
        data=_data(_submitted(stale.text, f"/entry/{episode}/findings")),
    )
    assert again.status_code == 200
    assert "now at version 3" in again.text


def test_a_delete_on_a_changed_episode_shows_the_row_as_it_is_now(registry: Registry) -> None:
    client = registry.client("clin-north")
    episode = _patient(registry, client, "delete")
    token = registry.csrf(client)
    added = client.post(
        f"/entry/{episode}/findings",
        data={
            "csrf_token": token,
            "version": "1",
            "date": "2024-03-02",
            "code": "rash",
            "value": "present",
        },
    )
    key = re.search(rf'/entry/{episode}/findings/(\d+)"', added.text)
    assert key is not None
    client.post(
        f"/entry/{episode}/episode",
        data={**_episode_form(registry, client, episode), "outcome": "recovered"},
    )
    action = f"/entry/{episode}/findings/{key.group(1)}/delete"
    stale = client.post(action, data={"csrf_token": token, "version": "2"})
    assert stale.status_code == 409
    assert "was not deleted" in stale.text
    assert "present" in stale.text
    confirmed = client.post(action, data=_data(_submitted(stale.text, action)))
    assert confirmed.status_code == 200
    assert "now at version 4" in confirmed.text
