"""The document being read: typed access to its JSON elements, its entries and references.

:class:`DocumentReader` collects every problem with the JSON path of the offending element
instead of stopping at the first, and holds the rows read so far and what the resources read
first (Patient, Condition, MedicationStatement) tell the ones that refer to them.
:func:`index_entries` finds each entry's resource, type and reference keys (``fullUrl``,
``type/id``); :func:`read_manifest` reads ``Bundle.meta``. The resource modules
(:mod:`~dresskit.registry.fhir.patients_and_episodes`,
:mod:`~dresskit.registry.fhir.medications`, :mod:`~dresskit.registry.fhir.adverse_events`,
:mod:`~dresskit.registry.fhir.observations`) read one resource type each through it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from dresskit.bundle.schema import FORMAT_NAME, FORMAT_VERSION, TABLES
from dresskit.errors import MISSING, InputError
from dresskit.registry.fhir.vocabulary import (
    _DATE_TIME,
    _RESOURCE_TYPES,
    EXT_EPISODE,
    EXT_MANIFEST,
    UCUM,
)

#: The entries of a document by resource type: (JSON path, entry index, resource).
EntriesByType = dict[str, list[tuple[str, int, Mapping[str, object]]]]


@dataclass
class _Target:
    resource_type: str
    index: int


@dataclass
class DocumentReader:
    """Reads one document, collecting every problem with its JSON path.

    Besides the problems and the rows read, it keeps what a resource read early tells a later
    one, by entry index: the ``targets`` a Reference may name, each Patient's ``patient_id``,
    each Patient's ``deceasedDateTime`` (as YYYY-MM-DD), each Condition's episode
    (``episode_id``, Patient entry) and each MedicationStatement's (``episode_id``, drug).
    """

    source: str
    errors: list[InputError] = field(default_factory=list)
    targets: dict[str, _Target] = field(default_factory=dict)
    patient_ids: dict[int, str] = field(default_factory=dict)
    episodes: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    deaths: dict[int, str] = field(default_factory=dict)
    exposures: dict[int, tuple[str, str]] = field(default_factory=dict)
    rows: dict[str, list[list[str | None]]] = field(default_factory=dict)
    origins: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, path: str, value: object, expected: str) -> None:
        """Record a problem at a JSON path: the value found and what is accepted."""
        self.errors.append(InputError(path, value, expected, source=self.source))

    def add_row(self, table: str, path: str, values: Mapping[str, str | None]) -> None:
        """Append a row of text cells to ``table``, remembering the JSON path it came from."""
        self.rows.setdefault(table, []).append([values.get(c.name) for c in TABLES[table]])
        self.origins.setdefault(table, []).append(path)

    # typed access ---------------------------------------------------------------------------

    def mapping(self, value: object, path: str) -> Mapping[str, object] | None:
        """Return ``value`` when it is a JSON object, else record a problem."""
        if isinstance(value, Mapping):
            return value
        self.problem(path, value, "a JSON object")
        return None

    def child(
        self, node: Mapping[str, object], key: str, path: str, *, required: bool, what: str
    ) -> Mapping[str, object] | None:
        """Return the JSON object at ``key``; a problem when it is required and absent."""
        value = node.get(key, MISSING)
        if value is MISSING:
            if required:
                self.problem(_at(path, key), MISSING, what)
            return None
        return self.mapping(value, _at(path, key))

    def array(self, node: Mapping[str, object], key: str, path: str) -> list[tuple[str, object]]:
        """Return (path, item) of each item of the JSON array at ``key`` (none when absent)."""
        value = node.get(key, MISSING)
        if value is MISSING:
            return []
        if not isinstance(value, list):
            self.problem(_at(path, key), value, "a JSON array")
            return []
        return [(f"{_at(path, key)}[{i}]", item) for i, item in enumerate(value)]

    def objects(
        self, node: Mapping[str, object], key: str, path: str
    ) -> list[tuple[str, Mapping[str, object]]]:
        """Return (path, object) of each JSON object of the array at ``key``."""
        found = []
        for item_path, item in self.array(node, key, path):
            checked = self.mapping(item, item_path)
            if checked is not None:
                found.append((item_path, checked))
        return found

    def string(
        self,
        node: Mapping[str, object],
        key: str,
        path: str,
        *,
        required: bool,
        expected: str = "a non-empty string",
        choices: Iterable[str] | None = None,
    ) -> str | None:
        """Return the non-empty string at ``key``, one of ``choices`` when they are given."""
        value = node.get(key, MISSING)
        if value is MISSING:
            if required:
                self.problem(_at(path, key), MISSING, expected)
            return None
        accepted = None if choices is None else tuple(choices)
        if (
            not isinstance(value, str)
            or not value
            or (accepted is not None and value not in accepted)
        ):
            self.problem(_at(path, key), value, expected)
            return None
        return value

    def date_text(
        self, node: Mapping[str, object], key: str, path: str, *, required: bool, what: str
    ) -> str | None:
        """Return a FHIR date (or dateTime, of which the calendar date is kept) as YYYY-MM-DD."""
        expected = f"{what}: a date YYYY-MM-DD"
        text = self.string(node, key, path, required=required, expected=expected)
        if text is None:
            return None
        matched = _DATE_TIME.fullmatch(text)
        if matched is None or not is_real_date(matched["date"]):
            self.problem(_at(path, key), text, expected)
            return None
        return matched["date"]

    def number(
        self, node: Mapping[str, object], key: str, path: str, *, integer: bool
    ) -> str | None:
        """Return the JSON number at ``key`` as text (always required)."""
        value = node.get(key, MISSING)
        expected = "a whole number" if integer else "a decimal number"
        if value is MISSING:
            self.problem(_at(path, key), MISSING, expected)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(_at(path, key), value, expected)
            return None
        if integer and not isinstance(value, int):
            self.problem(_at(path, key), value, expected)
            return None
        if not math.isfinite(value):
            self.problem(_at(path, key), value, "a finite " + expected[2:])
            return None
        return str(value) if isinstance(value, int) else repr(value)

    def extension(
        self, node: Mapping[str, object], url: str, path: str, *, required: bool, what: str
    ) -> tuple[str, Mapping[str, object]] | None:
        """Return (path, extension) of the one extension with ``url``."""
        found = [
            (item_path, item)
            for item_path, item in self.objects(node, "extension", path)
            if item.get("url") == url
        ]
        if len(found) > 1:
            self.problem(found[1][0], url, f"one extension {url} only ({what})")
        if found:
            return found[0]
        if required:
            self.problem(f"{path}.extension", MISSING, f"an extension with url {url} ({what})")
        return None

    def extension_code(
        self, node: Mapping[str, object], url: str, path: str, choices: Sequence[str]
    ) -> str | None:
        """Return the ``valueCode`` of the required extension ``url``, one of ``choices``."""
        found = self.extension(node, url, path, required=True, what="valueCode")
        if found is None:
            return None
        return self.string(
            found[1],
            "valueCode",
            found[0],
            required=True,
            expected="one of " + ", ".join(choices),
            choices=choices,
        )

    def identifier(
        self, node: Mapping[str, object], system: str, path: str, *, what: str
    ) -> str | None:
        """Return the value of the identifier of ``system``."""
        found = self.objects(node, "identifier", path)
        for item_path, item in found:
            if item.get("system") == system:
                return self.string(item, "value", item_path, required=True, expected=what)
        expected = f"an identifier with system {system} ({what})"
        if found:
            systems = [item.get("system", MISSING) for _, item in found]
            self.problem(
                f"{path}.identifier",
                systems[0] if len(systems) == 1 else systems,
                f"{expected}; identifiers of other systems are not read",
            )
        else:
            self.problem(f"{path}.identifier", MISSING, expected)
        return None

    def codings(
        self, concept: Mapping[str, object], path: str, system: str
    ) -> list[tuple[str, str | None]]:
        """Return (path of the code, code) of every coding of ``system`` in a CodeableConcept."""
        return [
            (f"{item_path}.code", self.string(item, "code", item_path, required=True))
            for item_path, item in self.objects(concept, "coding", path)
            if item.get("system") == system
        ]

    def resolve(self, node: Mapping[str, object], path: str, resource_type: str) -> int | None:
        """Return the entry index a Reference points to, when it is a resource of that type."""
        expected = (
            f"a reference to a {resource_type} of this Bundle (its fullUrl or {resource_type}/id)"
        )
        reference = self.string(node, "reference", path, required=True, expected=expected)
        if reference is None:
            return None
        target = self.targets.get(reference)
        if target is None or target.resource_type != resource_type:
            self.problem(f"{path}.reference", reference, expected)
            return None
        return target.index

    def ucum(
        self, quantity: Mapping[str, object], path: str, accepted: tuple[str, ...]
    ) -> str | None:
        """Check ``system`` is UCUM and ``code`` accepted; return the code."""
        listed = ", ".join(accepted)
        self.string(quantity, "system", path, required=True, expected=UCUM, choices=(UCUM,))
        return self.string(
            quantity,
            "code",
            path,
            required=True,
            expected=f"a UCUM unit code: {listed}",
            choices=accepted,
        )

    def dresskit_code(
        self,
        concept: Mapping[str, object],
        path: str,
        system: str,
        accepted: tuple[str, ...],
        what: str,
    ) -> str | None:
        """Return the code of the first coding of one of dresskit's own code systems."""
        found = self.codings(concept, path, system)
        if not found:
            self.problem(f"{path}.coding", MISSING, f"a coding with system {system} ({what})")
            return None
        code_path, code = found[0]
        if code is not None and code not in accepted:
            self.problem(code_path, code, f"{what}: one of " + ", ".join(accepted))
            return None
        return code

    # links between resources ----------------------------------------------------------------

    def episode_of(
        self, resource: Mapping[str, object], path: str, *, subject_required: bool
    ) -> tuple[str, int | None] | None:
        """Return the episode (id, patient entry) an extension links to; check ``subject``."""
        found = self.extension(
            resource,
            EXT_EPISODE,
            path,
            required=True,
            what="valueReference = the episode's Condition",
        )
        if found is None:
            return None
        link_path, link = found
        reference = self.child(
            link, "valueReference", link_path, required=True, what="a Reference to a Condition"
        )
        index = (
            None
            if reference is None
            else self.resolve(reference, f"{link_path}.valueReference", "Condition")
        )
        episode = None if index is None else self.episodes.get(index)
        if episode is not None:
            self.check_subject(resource, path, episode, required=subject_required)
        return episode

    def check_subject(
        self,
        resource: Mapping[str, object],
        path: str,
        episode: tuple[str, int | None],
        *,
        required: bool,
    ) -> None:
        """Check ``subject``, when given, is the Patient of ``episode`` (id, patient entry)."""
        subject = self.child(
            resource, "subject", path, required=required, what="a Reference to the Patient"
        )
        if subject is None:
            return
        index = self.resolve(subject, f"{path}.subject", "Patient")
        if index is not None and episode[1] is not None and index != episode[1]:
            patient = self.patient_ids.get(episode[1], "?")
            self.problem(
                f"{path}.subject.reference",
                subject.get("reference"),
                f"a reference to the Patient of episode {episode[0]} (patient_id {patient})",
            )


def _at(path: str, key: str) -> str:
    """Return the JSON path of ``key`` inside ``path`` (the document itself is ``""``)."""
    return f"{path}.{key}" if path else key


def is_real_date(text: str) -> bool:
    """Return whether ``text`` (YYYY-MM-DD) names a day of the calendar."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _identifiers(
    reader: DocumentReader, resource: Mapping[str, object], resource_type: str, path: str
) -> list[tuple[str, Mapping[str, object]]]:
    """Return (path, Identifier) of a resource's identifiers.

    R4 allows one ``AdverseEvent.identifier`` (an object, cardinality 0..1) and an array on
    the other resources read here. An AdverseEvent with an array of one identifier, as
    dresskit wrote before it followed R4 here, is still read.
    """
    value = resource.get("identifier", MISSING)
    if resource_type != "AdverseEvent" or value is MISSING:
        return reader.objects(resource, "identifier", path)
    if isinstance(value, list) and len(value) == 1:
        return reader.objects(resource, "identifier", path)
    if isinstance(value, Mapping):
        return [(f"{path}.identifier", value)]
    reader.problem(
        f"{path}.identifier",
        value,
        "one Identifier object (R4 AdverseEvent.identifier has cardinality 0..1)",
    )
    return []


def index_entries(reader: DocumentReader, bundle: Mapping[str, object]) -> EntriesByType:
    """Return the entries by resource type; register their reference keys, check identifiers."""
    by_type: EntriesByType = {t: [] for t in _RESOURCE_TYPES}
    identifiers: dict[tuple[str, str, str], str] = {}
    for index, (_, item) in enumerate(reader.array(bundle, "entry", "")):
        entry_path = f"entry[{index}]"
        entry = reader.mapping(item, entry_path)
        if entry is None:
            continue
        resource = reader.child(entry, "resource", entry_path, required=True, what="a resource")
        if resource is None:
            continue
        path = f"{entry_path}.resource"
        resource_type = reader.string(
            resource,
            "resourceType",
            path,
            required=True,
            expected="one of " + ", ".join(_RESOURCE_TYPES),
            choices=_RESOURCE_TYPES,
        )
        if resource_type is None:
            continue
        by_type[resource_type].append((path, index, resource))
        keys = []
        full_url = reader.string(
            entry, "fullUrl", entry_path, required=False, expected="an absolute URI"
        )
        if full_url is not None:
            keys.append((f"{entry_path}.fullUrl", full_url))
        resource_id = reader.string(resource, "id", path, required=False, expected="a resource id")
        if resource_id is not None:
            keys.append((f"{path}.id", f"{resource_type}/{resource_id}"))
        for key_path, key in keys:
            if key in reader.targets:
                other = reader.targets[key].index
                reader.problem(key_path, key, f"unique: entry[{other}] has it already")
            else:
                reader.targets[key] = _Target(resource_type, index)
        for id_path, identifier in _identifiers(reader, resource, resource_type, path):
            system, value = identifier.get("system"), identifier.get("value")
            if not isinstance(system, str) or not isinstance(value, str):
                continue
            unique = (resource_type, system, value)
            if unique in identifiers:
                reader.problem(
                    f"{id_path}.value",
                    value,
                    f"unique: {identifiers[unique]} has the {resource_type} identifier "
                    f"{system}|{value} already",
                )
            else:
                identifiers[unique] = entry_path
    return by_type


def read_manifest(reader: DocumentReader, bundle: Mapping[str, object]) -> dict[str, str]:
    """Manifest entries from Bundle.meta; a document without them is format 1.0."""
    entries: dict[str, str] = {}
    meta = reader.child(bundle, "meta", "", required=False, what="a Meta")
    if meta is not None:
        for path, extension in reader.objects(meta, "extension", "meta"):
            if extension.get("url") != EXT_MANIFEST:
                continue
            parts = {}
            for part in ("key", "value"):
                found = reader.extension(extension, part, path, required=True, what="valueString")
                if found is not None:
                    parts[part] = reader.string(found[1], "valueString", found[0], required=True)
            key, value = parts.get("key"), parts.get("value")
            if key is not None and value is not None:
                if key in entries:
                    reader.problem(path, key, "a manifest key given once")
                entries[key] = value
    if not entries:
        entries = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    return entries
