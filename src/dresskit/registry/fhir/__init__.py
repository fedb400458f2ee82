"""Exchange a dresskit bundle as a FHIR R4 ``Bundle`` resource (plain JSON dictionaries).

:func:`bundle_to_fhir` writes a ``collection`` Bundle; :func:`fhir_to_tables` reads one back
into the text tables that :func:`dresskit.bundle.validation.validate_tables` accepts, reporting
every problem with the JSON path of the offending element. Nothing is fetched from a network
and nothing beyond the standard library and polars is needed.

Mapping (one resource per row; each has a stable ``id`` and an ``identifier``):

=====================  ======================  ==============================================
bundle table           FHIR resource           notes
=====================  ======================  ==============================================
manifest               ``Bundle.meta``         one ``manifest-entry`` extension per key
patients               Patient                 ``gender``; ``birthDate`` = the year; age at
                                               onset as an ``age-at-onset`` extension (Age);
                                               ``deceasedDateTime`` = the latest
                                               ``death_date`` of the patient's episodes
episodes               Condition               dresskit phenotype coding (+ ICD-10-CM D72.12
                                               for DRESS); ``onsetDateTime``;
                                               ``clinicalStatus`` when the outcome implies
                                               one; admission, last follow-up, outcome and
                                               death date as extensions (lossless); a died
                                               episode without the death-date extension
                                               takes the Patient's ``deceasedDateTime``
drug_exposures         MedicationStatement     drug as ``medicationCodeableConcept.text`` +
                                               ATC coding; ``effectivePeriod``; role extension
drug_assessments       AdverseEvent            one per episode, one ``identifier`` object
                                               (R4: 0..1); ``outcome`` ``fatal`` when the
                                               episode ended in death;
                                               ``resultingCondition`` = the
                                               Condition, ``suspectEntity`` = the suspect (and
                                               every assessed) MedicationStatement, one
                                               ``causality`` per instrument holding each item
                                               answer as an extension, and the category in
                                               ``causality.assessment.text`` (derived, not read)
observations           Observation             LOINC + dresskit coding; ``valueQuantity`` in
                                               the canonical UCUM unit, or a
                                               ``valueCodeableConcept`` (SNOMED positive /
                                               negative) for text results
findings               Observation             code system ``urn:dresskit:finding``; value in
                                               ``urn:dresskit:finding-value``; detail extension
treatments             MedicationAdministration ``effectivePeriod``, ``dosage.dose`` (UCUM),
                                               ``dosage.route`` (SNOMED); kind, interval and
                                               loading dose as extensions
=====================  ======================  ==============================================

Every resource that belongs to an episode carries the extension ``urn:dresskit:fhir:episode``
(a Reference to the episode's Condition) rather than ``Observation.focus``: ``focus`` would
say the observation is *about* the Condition, not the patient. References use the entries'
``fullUrl`` (``urn:uuid:...``, ids derived with UUID v5 from the identifier), so two exports
of the same bundle are identical and a re-import is idempotent.

Time of day: FHIR requires a time zone on a ``dateTime`` with a time, and a bundle records
local clock times without one. By default an observation's ``effectiveDateTime`` is therefore
the date, and the clock time is kept in the ``urn:dresskit:fhir:local-time`` extension
(``time``, which has no zone); pass ``utc_offset`` (``"+09:00"``) to write full date-times.
On reading, a date-time's clock time is taken as written (the wall clock at its offset).

Validity: every exported resource validates with the R4B models of ``fhir.resources`` 8
(R4B is the R4-compatible release; tests/registry/test_fhir_r4_validity.py). The reader also
accepts an AdverseEvent ``identifier`` written as a list of one, as dresskit wrote it before.

References
----------
.. [1] HL7 FHIR R4 (4.0.1): Bundle https://hl7.org/fhir/R4/bundle.html, Patient
   https://hl7.org/fhir/R4/patient.html, Condition https://hl7.org/fhir/R4/condition.html,
   Observation https://hl7.org/fhir/R4/observation.html, MedicationStatement
   https://hl7.org/fhir/R4/medicationstatement.html, MedicationAdministration
   https://hl7.org/fhir/R4/medicationadministration.html, AdverseEvent
   https://hl7.org/fhir/R4/adverseevent.html.
.. [2] FHIR R4 data types (date, dateTime, time, Quantity, Age, Reference):
   https://hl7.org/fhir/R4/datatypes.html; extensions https://hl7.org/fhir/R4/extensibility.html;
   references inside a Bundle https://hl7.org/fhir/R4/bundle.html#references; JSON
   https://hl7.org/fhir/R4/json.html.
.. [3] Terminologies: LOINC https://hl7.org/fhir/R4/loinc.html, UCUM
   https://hl7.org/fhir/R4/ucum.html, SNOMED CT https://hl7.org/fhir/R4/snomedct.html
   (route codes of https://hl7.org/fhir/R4/valueset-route-codes.html), ICD-10-CM D72.12
   "Drug rash with eosinophilia and systemic symptoms syndrome", ATC
   http://www.whocc.no/atc; observation-category, condition-clinical,
   adverse-event-outcome and v3-ObservationInterpretation code systems of
   https://terminology.hl7.org.
"""

from dresskit.registry.fhir.reading import fhir_to_bundle, fhir_to_tables, read_fhir
from dresskit.registry.fhir.writing import bundle_to_fhir, write_fhir

__all__ = [
    "bundle_to_fhir",
    "fhir_to_bundle",
    "fhir_to_tables",
    "read_fhir",
    "write_fhir",
]
