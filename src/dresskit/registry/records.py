"""ORM classes mapped onto the registry's tables, kept apart from the domain model.

The tables themselves are declared once, in :mod:`dresskit.registry.schema`, from the
bundle's column declarations; these classes map them (SQLAlchemy "declarative with
imperative table") for the changes made one record at a time: editing or deleting an
episode under optimistic locking. Bulk import and loading stay on the tables (Core), where
millions of rows go through ``COPY`` or ``executemany`` rather than through objects.

Patients and episodes carry SQLAlchemy's version counter (``version_id_col``, SQLAlchemy 2.0
documentation, "Configuring a Version Counter"): every UPDATE or DELETE of one says
``WHERE id = :id AND version = :version_read`` and bumps the version, so a change based on a
stale read matches no row and is refused (``StaleDataError``) instead of overwriting.

These are registry records, not the domain model: :class:`dresskit.course.model.PatientCourse`
is built from validated tables and never from these objects.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from dresskit.registry.schema import metadata, table

__all__ = [
    "AuditRecord",
    "Base",
    "DrugAssessmentRecord",
    "DrugExposureRecord",
    "EpisodeRecord",
    "FindingRecord",
    "ObservationRecord",
    "PatientRecord",
    "TreatmentRecord",
]


class Base(DeclarativeBase):
    """The declarative base, on the registry's one metadata."""

    metadata = metadata


class PatientRecord(Base):
    """A row of ``patients``: one person, identified by the source's ``patient_id``."""

    __table__ = table("patients")
    __mapper_args__ = {"version_id_col": __table__.c.version}  # noqa: RUF012 - mapper config

    id: Mapped[int]
    patient_id: Mapped[str]
    sex: Mapped[str]
    birth_year: Mapped[int | None]
    age_years: Mapped[int | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    episodes: Mapped[list[EpisodeRecord]] = relationship(back_populates="patient")


class _EpisodeRow:
    """Columns every row of an episode's child tables has."""

    episode_id: Mapped[str]


class _NumberedRow(_EpisodeRow):
    """A child row with a surrogate key (every child table but ``observations``)."""

    id: Mapped[int]


class DrugExposureRecord(_NumberedRow, Base):
    """A row of ``drug_exposures``."""

    __table__ = table("drug_exposures")


class DrugAssessmentRecord(_NumberedRow, Base):
    """A row of ``drug_assessments``."""

    __table__ = table("drug_assessments")


class ObservationRecord(_EpisodeRow, Base):
    """A row of ``observations`` (value in the code's canonical unit).

    The table has no primary key (migration 0006); the mapper identifies a row by its episode
    and ``row_order``, which an import makes unique within the episode.
    """

    __table__ = table("observations")
    __mapper_args__ = {  # noqa: RUF012 - mapper config
        "primary_key": [__table__.c.episode_id, __table__.c.row_order]
    }

    row_order: Mapped[int]


class FindingRecord(_NumberedRow, Base):
    """A row of ``findings``."""

    __table__ = table("findings")


class TreatmentRecord(_NumberedRow, Base):
    """A row of ``treatments``."""

    __table__ = table("treatments")


class EpisodeRecord(Base):
    """A row of ``episodes``: one reaction, with its rows in the child tables.

    Deleting an episode deletes its rows through the database's ``ON DELETE CASCADE``
    (``passive_deletes``): they are not loaded as objects first.
    """

    __table__ = table("episodes")
    __mapper_args__ = {"version_id_col": __table__.c.version}  # noqa: RUF012 - mapper config

    id: Mapped[int]
    episode_id: Mapped[str]
    patient_id: Mapped[str]
    phenotype: Mapped[str]
    onset_date: Mapped[date]
    admission_date: Mapped[date | None]
    outcome: Mapped[str]
    last_follow_up_date: Mapped[date]
    death_date: Mapped[date | None]
    version: Mapped[int]
    content_hash: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    patient: Mapped[PatientRecord] = relationship(back_populates="episodes")
    drug_exposures: Mapped[list[DrugExposureRecord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    drug_assessments: Mapped[list[DrugAssessmentRecord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    observations: Mapped[list[ObservationRecord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    findings: Mapped[list[FindingRecord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    treatments: Mapped[list[TreatmentRecord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class AuditRecord(Base):
    """A row of the append-only, hash-chained ``audit_log`` (written by :mod:`.audit`)."""

    __table__ = table("audit_log")

    id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[str]
    entity: Mapped[str]
    entity_id: Mapped[str | None]
    before: Mapped[str | None]
    after: Mapped[str | None]
    previous_hash: Mapped[str]
    hash: Mapped[str]
