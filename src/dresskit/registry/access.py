"""Who may do what: the roles of the web application and API, and what each is allowed.

The one table of the access model (:data:`ROLE_PERMISSIONS`); docs/security.md prints it and a
test checks the two agree, and the role-matrix tests run every page and endpoint as every
role against it. Sites work like REDCap data access groups [1]_: every patient belongs to one
site, and a user sees only the patients of the sites granted (an admin, every site).

A researcher sees de-identified data only (:mod:`dresskit.registry.deidentify`: pseudonymous
ids, days since onset instead of dates, no free text), following the HIPAA Safe Harbor
identifiers [2]_; viewing identifiable data is written to the audit trail.

References
----------
.. [1] REDCap, "Data Access Groups" (Vanderbilt University; REDCap user guide).
.. [2] 45 CFR §164.514(b)(2), de-identification by the "Safe Harbor" method.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "ROLE_DESCRIPTIONS",
    "ROLE_PERMISSIONS",
    "Permission",
    "Role",
    "allowed",
    "sees_every_site",
]


class Role(StrEnum):
    """The roles of an account (one per account)."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"
    RESEARCHER = "researcher"
    AUDITOR = "auditor"


class Permission(StrEnum):
    """What a role may do; each page and endpoint requires one."""

    SCORE = "score"
    """Compute a score from answers (stateless; no registry data)."""
    VIEW_IDENTIFIED = "view_identified"
    """See patients with their ids, dates and free text (of the sites granted)."""
    VIEW_DEIDENTIFIED = "view_deidentified"
    """See patients de-identified: pseudonyms, days since onset, coded values only."""
    EDIT = "edit"
    """Enter and change patients, episodes and their rows (of the sites granted)."""
    IMPORT = "import"
    """Import a bundle, FHIR R4 or REDCap file into a site granted."""
    EXPORT_IDENTIFIED = "export_identified"
    """Export identified data (bundle, FHIR, REDCap) of the sites granted."""
    EXPORT_DEIDENTIFIED = "export_deidentified"
    """Export a de-identified bundle of the sites granted."""
    BUILD_REPORTS = "build_reports"
    """Build a cohort report (de-identified for a researcher)."""
    VIEW_AUDIT = "view_audit"
    """Read the audit trail and verify its chain."""
    MANAGE_ACCOUNTS = "manage_accounts"
    """Create, change and deactivate accounts; grant sites."""


_EVERYTHING: Final = frozenset(Permission)

ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.ADMIN: _EVERYTHING,
    Role.CLINICIAN: frozenset(
        {
            Permission.SCORE,
            Permission.VIEW_IDENTIFIED,
            Permission.VIEW_DEIDENTIFIED,
            Permission.EDIT,
            Permission.IMPORT,
            Permission.EXPORT_IDENTIFIED,
            Permission.EXPORT_DEIDENTIFIED,
            Permission.BUILD_REPORTS,
        }
    ),
    Role.COORDINATOR: frozenset(
        {Permission.SCORE, Permission.VIEW_IDENTIFIED, Permission.EDIT, Permission.IMPORT}
    ),
    Role.RESEARCHER: frozenset(
        {
            Permission.SCORE,
            Permission.VIEW_DEIDENTIFIED,
            Permission.EXPORT_DEIDENTIFIED,
            Permission.BUILD_REPORTS,
        }
    ),
    Role.AUDITOR: frozenset({Permission.VIEW_AUDIT}),
}
"""The permissions of each role (docs/security.md prints this table)."""

ROLE_DESCRIPTIONS: Final[dict[Role, str]] = {
    Role.ADMIN: "accounts and sites; everything else, at every site",
    Role.CLINICIAN: "identified data of the sites granted; enters, edits, imports, exports",
    Role.COORDINATOR: "data entry and import at the sites granted; no export",
    Role.RESEARCHER: "de-identified data of the sites granted; reports, de-identified export",
    Role.AUDITOR: "the audit trail, read-only",
}


def allowed(role: Role | str, permission: Permission) -> bool:
    """Return whether ``role`` has ``permission`` (an unknown role has none)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def sees_every_site(role: Role | str) -> bool:
    """Return whether ``role`` sees every site without a grant (the admin only)."""
    return role == Role.ADMIN
