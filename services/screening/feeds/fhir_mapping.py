"""FHIR R4 resources -> patients and observation groups, validated by `fhir.resources`.

`fhir.resources` 8 ships R5 at its root and R4B (the R4 technical correction, identical for
Observation, DiagnosticReport, Patient, Specimen and Bundle as used here) under `R4B`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError

from services.screening.feeds import terminology as t
from services.screening.feeds.findings import Code, FeedError, Group, Observed
from services.screening.feeds.intake import Patient, clean_text, usable_identifier

_PERSON_ID_TYPES = frozenset({"MR", "PI", "PT"})


class Unreadable(Exception):
    """A body that is not a valid FHIR resource of the expected type (400)."""

    def __init__(self, detail: str, issues: list[tuple[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.issues = issues or []


def validated(document: Any, model: type[Any]) -> Any:
    """The document as a validated fhir.resources model, or Unreadable with every issue."""
    if not isinstance(document, dict):
        raise Unreadable("The body is not a JSON object.")
    expected = model.__name__
    if document.get("resourceType") != expected:
        raise Unreadable(f"resourceType must be {expected}.")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        issues = [
            (".".join(str(p) for p in e["loc"]), str(e["msg"])[:300])
            for e in exc.errors(include_url=False, include_input=False)[:20]
        ]
        raise Unreadable(f"The {expected} is not valid FHIR R4.", issues) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable(f"The {expected} contains an unknown resource type.") from exc


@dataclass
class Resolver:
    """Finds referenced resources: contained (`#id`), by fullUrl, or by `Type/id`."""

    by_reference: dict[str, Any] = field(default_factory=dict)

    def add(self, resource: Any, full_url: str | None = None) -> None:
        """Make a resource findable."""
        if full_url:
            self.by_reference[full_url] = resource
        if getattr(resource, "id", None):
            self.by_reference[f"{resource.get_resource_type()}/{resource.id}"] = resource

    def find(self, reference: Any, owner: Any = None) -> Any:
        """The resource a Reference points at, or None."""
        ref = getattr(reference, "reference", None)
        if not ref:
            return None
        if ref.startswith("#") and owner is not None:
            for inner in getattr(owner, "contained", None) or []:
                if inner.id == ref[1:]:
                    return inner
            return None
        return self.by_reference.get(ref)


def _codes(concept: Any) -> tuple[Code, ...]:
    if concept is None:
        return ()
    return tuple(
        Code(t.coding_system(c.system), c.code, c.display or "")
        for c in (concept.coding or [])
        if c.code
    )


def _flags(concepts: Any) -> tuple[str, ...]:
    return tuple(c.code for cc in (concepts or []) for c in (cc.coding or []) if c.code)


def _moment(value: Any, zone: tzinfo, where: str) -> datetime | None:
    """A FHIR dateTime; a date alone is local midnight, anything less precise is refused."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone)
    raise FeedError(f"{where} needs at least a full date", where=where, code="value")


def _specimen_time(obs: Any, resolver: Resolver, zone: tzinfo) -> datetime | None:
    for value, where in (
        (obs.effectiveDateTime, "Observation.effectiveDateTime"),
        (obs.effectiveInstant, "Observation.effectiveInstant"),
        (obs.effectivePeriod.start if obs.effectivePeriod else None, "effectivePeriod.start"),
    ):
        found = _moment(value, zone, where)
        if found is not None:
            return found
    specimen = resolver.find(obs.specimen, obs)
    collection = getattr(specimen, "collection", None)
    if collection is not None:
        return _moment(collection.collectedDateTime, zone, "Specimen.collection")
    return None


def result_id(obs: Any, fallback: str | None) -> str:
    """The laboratory's id for the result: the first usable Observation.identifier."""
    for ident in obs.identifier or []:
        if usable_identifier(ident.value):
            return str(ident.value)
    if fallback and usable_identifier(fallback):
        return fallback
    raise FeedError(
        "the Observation needs an identifier (the laboratory's result id)",
        where="Observation.identifier",
        code="required",
    )


def _value(obs: Any, target: Observed) -> None:
    concept = obs.valueCodeableConcept
    if concept is not None:
        target.value_codes = _codes(concept)
        target.value_text = clean_text(concept.text, 2000)
    elif obs.valueString is not None:
        target.value_text = clean_text(obs.valueString, 2000)
    elif obs.valueQuantity is not None and obs.valueQuantity.value is not None:
        target.value_number = float(obs.valueQuantity.value)
        target.unit = clean_text(obs.valueQuantity.unit or obs.valueQuantity.code, 32)
    target.interpretation = _flags(obs.interpretation)


def observed(obs: Any, rid: str, resolver: Resolver, zone: tzinfo) -> list[Observed]:
    """One Observation (and its components, for a panel) as observation facts."""
    status = str(obs.status or "")
    fact = Observed(
        result_id=rid,
        codes=_codes(obs.code),
        where="Observation",
        status=t.FHIR_RESULT_STATUS.get(status),
        raw_status=status,
        specimen_collected_at=_specimen_time(obs, resolver, zone),
        resulted_at=_moment(obs.issued, zone, "Observation.issued"),
        performer=clean_text(obs.performer[0].display if obs.performer else None, 200),
        note=clean_text(" ".join(n.text for n in obs.note or [] if n.text), 2000),
    )
    _value(obs, fact)
    # A panel that only groups its members carries no result of its own.
    facts = [fact] if fact.has_value() or not obs.hasMember else []
    for index, part in enumerate(obs.component or []):
        component = Observed(
            rid,
            _codes(part.code),
            f"Observation.component[{index}]",
            status=fact.status,
            raw_status=status,
            specimen_collected_at=fact.specimen_collected_at,
            resulted_at=fact.resulted_at,
        )
        _value(part, component)
        facts.append(component)
    for index, member in enumerate(obs.hasMember or []):
        inner = resolver.find(member, obs)
        if isinstance(inner, Observation):
            fallback = f"{rid}-{inner.id or index + 1}"
            facts.extend(observed(inner, result_id(inner, fallback), resolver, zone))
    return facts


def patient_of(subject: Any, owner: Any, resolver: Resolver) -> Patient:
    """The patient by `subject.identifier`, or by the identifiers of a referenced Patient."""
    if subject is None:
        raise FeedError("the subject is missing", where="subject", code="required")
    ident = subject.identifier
    if ident is not None and usable_identifier(ident.value):
        return Patient([str(ident.value)], clean_text(subject.display, 200))
    resource = resolver.find(subject, owner)
    if resource is None or resource.get_resource_type() != "Patient":
        raise FeedError(
            "subject.identifier.value must be the person's external id",
            where="subject",
            code="required",
        )
    ids = []
    for item in resource.identifier or []:
        kinds = {c.code for c in (item.type.coding if item.type else []) or []}
        if (not kinds or kinds & _PERSON_ID_TYPES) and usable_identifier(item.value):
            ids.append(str(item.value))
    name = resource.name[0] if resource.name else None
    text = " ".join([name.family or "", *(name.given or [])]).strip() if name else None
    born = resource.birthDate.isoformat() if isinstance(resource.birthDate, date) else None
    return Patient(ids, clean_text(text, 200), born)


def report_group(report: Any, resolver: Resolver, zone: tzinfo) -> tuple[Patient, Group]:
    """A DiagnosticReport: its result Observations (contained or referenced) as one group."""
    base = next((i.value for i in report.identifier or [] if usable_identifier(i.value)), None)
    group = Group(
        [],
        specimen_collected_at=_moment(report.effectiveDateTime, zone, "effectiveDateTime"),
        resulted_at=_moment(report.issued, zone, "DiagnosticReport.issued"),
    )
    if any(c.system == t.LOINC and c.code == "58410-2" for c in _codes(report.code)) and base:
        group.panel_result_id = base
    for index, reference in enumerate(report.result or []):
        obs = resolver.find(reference, report)
        if not isinstance(obs, Observation):
            raise FeedError(
                "a result reference cannot be resolved", where=f"result[{index}]", code="not-found"
            )
        fallback = f"{base}-{obs.id}" if base and obs.id else None
        group.observations.extend(observed(obs, result_id(obs, fallback), resolver, zone))
    return patient_of(report.subject, report, resolver), group


def observation_group(obs: Any, resolver: Resolver, zone: tzinfo) -> tuple[Patient, Group]:
    """A single Observation (a panel with its components or members) as one group."""
    rid = result_id(obs, None)
    group = Group(observed(obs, rid, resolver, zone))
    if any(c.system == t.LOINC and c.code == "58410-2" for c in _codes(obs.code)):
        group.panel_result_id = rid
    return patient_of(obs.subject, obs, resolver), group


__all__ = ["Bundle", "DiagnosticReport", "Observation"]
