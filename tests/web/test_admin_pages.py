"""Account administration: admin only, CSRF on every form, every change takes effect."""

from __future__ import annotations

import re

import pytest

from dresskit.registry.accounts import account
from tests.web.conftest import PASSWORD, Registry, Signed


def _row(page: str, username: str) -> str:
    found = re.search(rf'<tr id="user-{re.escape(username)}">(.*?)</tr>', page, re.S)
    assert found is not None, username
    return re.sub(r"\s+", " ", found.group(1))


@pytest.mark.parametrize("username", ["clin-north", "coord-north", "researcher", "auditor"])
def test_only_an_admin_may_open_the_admin_pages(signed: Signed, username: str) -> None:
    client = signed(username)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/sites").status_code == 403


def test_a_non_admin_may_not_add_an_account_whatever_it_sends(
    registry: Registry, signed: Signed
) -> None:
    client = signed("clin-north")
    answer = client.post("/admin/users", data={"csrf_token": registry.csrf(client)})
    assert answer.status_code == 403


def test_the_accounts_are_listed_with_role_sites_and_state(signed: Signed) -> None:
    page = signed("admin").get("/admin/users").text
    assert "<td>researcher</td>" in _row(page, "researcher")
    assert "north, south" in _row(page, "researcher")
    assert "active" in _row(page, "clin-south")
    assert "(you)" in _row(page, "admin")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/users", {"username": "newbie", "role": "clinician"}),
        ("/admin/users/clin-north/role", {"role": "auditor"}),
        ("/admin/users/clin-north/sites", {"site": "south"}),
        ("/admin/users/clin-north/active", {"active": "no"}),
        ("/admin/sites", {"name": "east", "title": "East"}),
    ],
)
def test_every_admin_form_needs_the_csrf_token(
    registry: Registry, signed: Signed, path: str, data: dict[str, str]
) -> None:
    assert signed("admin").post(path, data=data).status_code == 403
    assert account(registry.engine, "newbie") is None


def test_an_admin_cannot_deactivate_or_demote_their_own_account(
    registry: Registry, signed: Signed
) -> None:
    client = signed("admin")
    token = registry.csrf(client)
    deactivate = client.post(
        "/admin/users/admin/active", data={"csrf_token": token, "active": "no"}
    )
    assert deactivate.status_code == 422
    assert "cannot deactivate their own account" in deactivate.text
    demote = client.post("/admin/users/admin/role", data={"csrf_token": token, "role": "auditor"})
    assert demote.status_code == 422
    found = account(registry.engine, "admin")
    assert found is not None
    assert found.active
    assert found.role.value == "admin"


def test_a_refused_username_is_named_with_what_is_accepted(
    registry: Registry, signed: Signed
) -> None:
    client = signed("admin")
    answer = client.post(
        "/admin/users",
        data={"csrf_token": registry.csrf(client), "username": "<b>Bad</b>", "role": "clinician"},
    )
    assert answer.status_code == 422
    assert "<code>username</code>" in answer.text
    assert "<code>&lt;b&gt;bad&lt;/b&gt;</code>" in answer.text
    assert "lowercase letters" in answer.text


def test_an_added_account_gets_a_one_time_setup_link_shown_once(
    registry: Registry, signed: Signed
) -> None:
    # A new account of its own: no other test of this module uses it.
    client = signed("admin")
    answer = client.post(
        "/admin/users",
        data={
            "csrf_token": registry.csrf(client),
            "username": "nurse.kim",
            "role": "coordinator",
            "site": "south",
        },
    )
    assert answer.status_code == 200
    link = re.search(r"<code>(https://testserver/setup/[A-Za-z0-9_-]+)</code>", answer.text)
    assert link is not None
    assert "coordinator" in _row(answer.text, "nurse.kim")
    assert "no password yet" in _row(answer.text, "nurse.kim")
    assert link.group(1) not in client.get("/admin/users").text  # shown only once
    path = link.group(1).removeprefix("https://testserver")
    chosen = registry.client().post(path, data={"new": PASSWORD, "repeat": PASSWORD})
    assert chosen.status_code == 303  # the link works once, and signs the new user in


def test_role_sites_and_deactivation_change_the_account(fresh_registry: Registry) -> None:
    admin = fresh_registry.client("admin")
    victim = fresh_registry.client("clin-north")
    token = fresh_registry.csrf(admin)
    role = admin.post(
        "/admin/users/clin-north/role", data={"csrf_token": token, "role": "coordinator"}
    )
    assert role.status_code == 303
    assert role.headers["location"] == "/admin/users?done=role&user=clin-north"
    sites = admin.post(
        "/admin/users/clin-north/sites", data={"csrf_token": token, "site": ["north", "south"]}
    )
    assert sites.status_code == 303
    changed = account(fresh_registry.engine, "clin-north")
    assert changed is not None
    assert (changed.role.value, changed.sites) == ("coordinator", ("north", "south"))
    off = admin.post("/admin/users/clin-north/active", data={"csrf_token": token, "active": "no"})
    assert off.status_code == 303
    assert victim.get("/").status_code == 303  # its session ended
    listed = admin.get(off.headers["location"]).text
    assert "Account deactivated" in listed
    assert "inactive" in _row(listed, "clin-north")
    on = admin.post("/admin/users/clin-north/active", data={"csrf_token": token, "active": "yes"})
    assert on.status_code == 303
    assert fresh_registry.client("clin-north").get("/").status_code == 200


def test_a_site_is_added_and_its_title_shown_as_text(registry: Registry, signed: Signed) -> None:
    # A new site of its own: no other test of this module counts the sites.
    admin = signed("admin")
    answer = admin.post(
        "/admin/sites",
        data={
            "csrf_token": registry.csrf(admin),
            "name": "east",
            "title": "<script>alert(1)</script> East",
        },
    )
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"]).text
    assert "Site added" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; East" in page
    assert "<script>alert(1)" not in page
    assert re.search(
        r"<td>north</td><td>North University Hospital</td><td class=\"num\">18</td>", page
    )


def test_a_username_that_names_no_account_is_refused_before_the_database(
    registry: Registry, signed: Signed
) -> None:
    client = signed("admin")
    answer = client.post(
        "/admin/users/a%00b/role", data={"csrf_token": registry.csrf(client), "role": "auditor"}
    )
    assert answer.status_code == 422
    assert "an existing account" in answer.text
