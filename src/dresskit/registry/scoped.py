"""What one account may see: the episodes of its sites, by id or by pseudonym.

Every page and endpoint that reads or changes a patient goes through here, so that the site
rule (REDCap's data access groups) holds everywhere: an episode of a site not granted is
answered exactly as one that does not exist (no existence leak). A researcher names episodes
and patients by their pseudonyms (:func:`dresskit.registry.deidentify.pseudonym`, under the
registry's own key), never by their ids.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, select

from dresskit.registry import audit
from dresskit.registry.access import Permission, allowed
from dresskit.registry.accounts import Account
from dresskit.registry.db import writing
from dresskit.registry.deidentify import pseudonym
from dresskit.registry.schema import table

__all__ = ["EpisodeRef", "episodes_of", "pseudonym_key", "record_view", "resolve_episode"]

_KEY_NAME: Final = "pseudonym_key"
# Every episode id matches the bundle's id pattern and every pseudonym is hex.
_SHOWN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def pseudonym_key(engine: Engine) -> bytes:
    """Return the registry's key for researchers' pseudonyms (made once, 32 random bytes)."""
    secrets_table = table("app_secrets")
    query = select(secrets_table.c.value).where(secrets_table.c.name == _KEY_NAME)
    with engine.connect() as connection:
        found = connection.execute(query).scalar_one_or_none()
    if found is None:
        with writing(engine).begin() as connection:
            found = connection.execute(query).scalar_one_or_none()
            if found is None:
                found = secrets.token_hex(32)
                connection.execute(secrets_table.insert().values(name=_KEY_NAME, value=found))
    return bytes.fromhex(found)


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """An episode an account may see: its id, patient, site, and the names shown."""

    episode_id: str
    patient_id: str
    site: str
    shown_episode: str
    shown_patient: str


def episodes_of(engine: Engine, account: Account) -> list[EpisodeRef]:
    """Return every episode of the account's sites, with the names this account sees."""
    identified = allowed(account.role, Permission.VIEW_IDENTIFIED)
    if not account.sites or not (identified or allowed(account.role, Permission.VIEW_DEIDENTIFIED)):
        return []
    episodes, sites_table = table("episodes"), table("patient_sites")
    query = (
        select(episodes.c.episode_id, episodes.c.patient_id, sites_table.c.site)
        .join(sites_table, sites_table.c.patient_id == episodes.c.patient_id)
        .where(sites_table.c.site.in_(account.sites))
        .order_by(episodes.c.episode_id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    if identified:
        return [EpisodeRef(e, p, s, e, p) for e, p, s in rows]
    key = pseudonym_key(engine)
    return [
        EpisodeRef(e, p, s, pseudonym(key, "episode", e), pseudonym(key, "patient", p))
        for e, p, s in rows
    ]


def resolve_episode(engine: Engine, account: Account, shown: str) -> EpisodeRef | None:
    """Return the episode this account calls ``shown`` (id, or pseudonym), or None.

    None for an episode that does not exist, is of a site not granted, or is named by its
    id to an account that sees pseudonyms only.
    """
    if not isinstance(shown, str) or not _SHOWN.fullmatch(shown):
        return None  # no id or pseudonym looks otherwise (and a NUL would upset PostgreSQL)
    if allowed(account.role, Permission.VIEW_IDENTIFIED):
        episodes, sites_table = table("episodes"), table("patient_sites")
        query = (
            select(episodes.c.episode_id, episodes.c.patient_id, sites_table.c.site)
            .join(sites_table, sites_table.c.patient_id == episodes.c.patient_id)
            .where(episodes.c.episode_id == shown)
        )
        with engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        if row is None or row.site not in account.sites:
            return None
        return EpisodeRef(row.episode_id, row.patient_id, row.site, shown, row.patient_id)
    for ref in episodes_of(engine, account):
        if ref.shown_episode == shown:
            return ref
    return None


def record_view(engine: Engine, account: Account, entity: str, entity_id: str | None) -> None:
    """Write a view of identifiable data to the audit trail (action ``view``).

    Only views by a role that sees identified data are written: a researcher's views are of
    de-identified data.
    """
    if not allowed(account.role, Permission.VIEW_IDENTIFIED):
        return
    with writing(engine).begin() as connection:
        audit.append(
            connection, actor=account.username, action="view", entity=entity, entity_id=entity_id
        )
