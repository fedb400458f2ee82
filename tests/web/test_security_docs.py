"""docs/security.md prints the access table of dresskit.registry.access."""

from __future__ import annotations

from pathlib import Path

from dresskit.registry.access import PERMISSION_DESCRIPTIONS, ROLE_PERMISSIONS, Permission, Role

DOC = Path(__file__).parents[2] / "docs" / "security.md"


def test_the_role_table_of_the_security_page_is_the_access_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- role-table:start -->")[1].split("<!-- role-table:end -->")[0]
    rows = [line for line in table.strip().splitlines() if line.startswith("| `")]
    found = {}
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = Permission(cells[0].strip("`"))
        assert cells[1] == PERMISSION_DESCRIPTIONS[permission]
        found[permission] = {
            role for role, cell in zip(Role, cells[2:], strict=True) if cell == "yes"
        }
    assert set(found) == set(Permission)
    for permission, roles in found.items():
        assert roles == {role for role in Role if permission in ROLE_PERMISSIONS[role]}
