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
    "PERMISSION_DESCRIPTIONS",
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
    """What a role may do; each page and endpoint requires one (see PERMISSION_DESCRIPTIONS)."""

    SCORE = "score"
    VIEW_IDENTIFIED = "view_identified"
    VIEW_DEIDENTIFIED = "view_deidentified"
    EDIT = "edit"
    IMPORT = "import"
    EXPORT_IDENTIFIED = "export_identified"
    EXPORT_DEIDENTIFIED = "export_deidentified"
    BUILD_REPORTS = "build_reports"
    VIEW_AUDIT = "view_audit"
    MANAGE_ACCOUNTS = "manage_accounts"


PERMISSION_DESCRIPTIONS: Final[dict[Permission, str]] = {
    Permission.SCORE: "Compute a score from answers (stateless; no registry data)",
    Permission.VIEW_IDENTIFIED: "See patients with ids, dates and free text (sites granted)",
    Permission.VIEW_DEIDENTIFIED: "See patients de-identified: pseudonyms, days since onset, codes",
    Permission.EDIT: "Enter and change patients, episodes, rows (sites granted)",
    Permission.IMPORT: "Import a bundle, FHIR R4 or REDCap file into a site granted",
    Permission.EXPORT_IDENTIFIED: "Export identified bundle, FHIR, REDCap (sites granted)",
    Permission.EXPORT_DEIDENTIFIED: "Export a de-identified bundle of the sites granted",
    Permission.BUILD_REPORTS: "Build a cohort report (de-identified for a researcher)",
    Permission.VIEW_AUDIT: "Read the audit trail and verify its chain",
    Permission.MANAGE_ACCOUNTS: "Create, change and deactivate accounts; grant sites",
}
"""What each permission allows (docs/security.md prints these)."""


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
