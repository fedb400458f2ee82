"""The patient course: timeline model, units, treatments, steroid response, derived outcomes.

Pure: values in, values out; no files, database or clock.
"""

from dresskit.course import codes, model, outcomes, steroids, treatments
from dresskit.course.model import (
    BiologicRegimen,
    DrugExposure,
    DrugRole,
    Episode,
    EpisodeOutcome,
    Finding,
    IvigDose,
    Observation,
    OtherTreatment,
    Patient,
    PatientCourse,
    Phenotype,
    Sex,
    SteroidSegment,
    WeightMeasurement,
)
from dresskit.course.outcomes import TimeToEvent

__all__ = [
    "BiologicRegimen",
    "DrugExposure",
    "DrugRole",
    "Episode",
    "EpisodeOutcome",
    "Finding",
    "IvigDose",
    "Observation",
    "OtherTreatment",
    "Patient",
    "PatientCourse",
    "Phenotype",
    "Sex",
    "SteroidSegment",
    "TimeToEvent",
    "WeightMeasurement",
    "codes",
    "model",
    "outcomes",
    "steroids",
    "treatments",
]
