"""FHIR R4 resources -> patients and observation groups, validated by `fhir.resources`.

`fhir.resources` 8 ships R5 at its root and R4B (the R4 technical correction, identical for
Observation, DiagnosticReport, Patient, Specimen and Bundle as used here) under `R4B`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation

from services.screening.feeds import terminology as t
from services.screening.feeds.fhir.members import Loop, Visit, Walk, walk
from services.screening.feeds.findings import Code, FeedError, Finding, Group, Observed
from services.screening.feeds.patient import Patient, clean_text, usable_identifier

_PERSON_ID_TYPES = frozenset({"MR", "PI", "PT"})
_NEEDS_ID = "the Observation needs an identifier (the laboratory's result id)"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]")


@dataclass
class Resolver:
    """Finds referenced resources: contained (`#id`), by fullUrl, or by `Type/id`."""

    by_reference: dict[str, Any] = field(default_factory=dict)
    # id(contained resource) -> the resource containing it: `#id` is relative to that one.
    containers: dict[int, Any] = field(default_factory=dict)
    # id(Observation) -> the unit (Bundle entry) that reports it: each is reported once.
    claimed: dict[int, int] = field(default_factory=dict)

    def add(self, resource: Any, full_url: str | None = None) -> None:
        """Make a resource (and what it contains) findable."""
        if full_url:
            self.by_reference[full_url] = resource
        if getattr(resource, "id", None):
            self.by_reference[f"{resource.get_resource_type()}/{resource.id}"] = resource
        for inner in getattr(resource, "contained", None) or []:
            self.containers[id(inner)] = resource

    def find(self, reference: Any, owner: Any = None) -> Any:
        """The resource a Reference points at, or None."""
        ref = getattr(reference, "reference", None)
        if not ref:
            return None
        if ref.startswith("#") and owner is not None:
            holder = self.containers.get(id(owner), owner)
            if ref == "#":  # FHIR: the containing resource itself
                return holder
            for inner in getattr(holder, "contained", None) or []:
                if inner.id == ref[1:]:
                    return inner
            return None
        return self.by_reference.get(ref)

    def members(self, obs: Any) -> list[Any]:
        """The Observations an Observation's `hasMember` names (None where it names none)."""
        found = [self.find(member, obs) for member in obs.hasMember or []]
        return [inner if isinstance(inner, Observation) else None for inner in found]


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


def _specimen_ids(obs: Any, resolver: Resolver) -> tuple[str, ...]:
    """Observation.specimen.identifier, and the identifiers of the Specimen it references."""
    reference = obs.specimen
    if reference is None:
        return ()
    found = [getattr(reference.identifier, "value", None)]
    specimen = resolver.find(reference, obs)
    found += [i.value for i in getattr(specimen, "identifier", None) or []]
    return tuple(dict.fromkeys(str(v) for v in found if v))


def result_id(obs: Any, fallback: str | None) -> str:
    """The laboratory's id for the result: the first usable Observation.identifier."""
    for ident in obs.identifier or []:
        if usable_identifier(ident.value):
            return str(ident.value)
    if fallback and usable_identifier(fallback):
        return fallback
    raise FeedError(_NEEDS_ID, where="Observation.identifier", code="required")


def _leaf_id(obs: Any, fallback: str | None) -> str:
    """The result id, or "" for an Observation without members or components that has none.

    Whether such an Observation needs an id is known only once it is interpreted: an
    ask-at-order-entry answer or another test's result (a MARS antigen report carries no
    accession) is never stored, so it is not refused for lacking one; `require_ids` refuses
    the unit when a result to store or hold has none. A panel still needs its own id at once:
    its members' ids derive from it.
    """
    if obs.hasMember or obs.component:
        return result_id(obs, fallback)
    try:
        return result_id(obs, fallback)
    except FeedError:
        return ""


def require_ids(findings: list[Finding]) -> None:
    """FeedError when a result to store or hold came from an Observation without an id."""
    if any(not finding.result_id for finding in findings):
        raise FeedError(_NEEDS_ID, where="Observation.identifier", code="required")


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
        specimen_ids=_specimen_ids(obs, resolver),
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
    return facts


def _code_key(obs: Any) -> str | None:
    """The Observation's code (LOINC first) as id text: what a re-send keeps."""
    codes = sorted(_codes(obs.code), key=lambda c: c.system != t.LOINC)
    return _ID_UNSAFE.sub("_", codes[0].code.strip())[:64] if codes else None


def _bounded(base: str, key: str) -> str:
    """`<base>-<key>`, or `<base>-<digest of key>` when that is no usable identifier."""
    derived = f"{base}-{key}"
    if usable_identifier(derived):
        return derived
    return f"{base[:47]}-{hashlib.sha256(derived.encode()).hexdigest()[:16]}"


def derived_ids(base: str | None, starts: list[Any], resolver: Resolver) -> dict[int, str | None]:
    """Result ids for a report's results that carry no identifier of their own.

    A contained result is `<report identifier>-<contained id>` (the id is the sender's, local
    to the report). A result that is a Bundle entry is `<report identifier>-<code>`, and
    `-<n>` for the n-th result of the report with that code: its resource id and fullUrl
    (`urn:uuid:`) may be new on every send (ReportStream makes them per conversion), while
    the report's identifier (the accession) and the codes, in order, stay the same on a
    re-send or a correction.
    """
    found: dict[int, str | None] = {}
    seen: dict[str, int] = {}
    for position, obs in enumerate(starts):
        if id(obs) in found:
            continue  # listed twice: one result
        if not base:
            found[id(obs)] = None
        elif id(obs) in resolver.containers:
            found[id(obs)] = f"{base}-{obs.id}" if obs.id else None
        else:
            key = _code_key(obs) or f"result{position + 1}"
            seen[key] = seen.get(key, 0) + 1
            found[id(obs)] = _bounded(base, key if seen[key] == 1 else f"{key}-{seen[key]}")
    return found


def _unit_walk(starts: list[Any], container: Any, resolver: Resolver, unit: int) -> Walk:
    """Claim for `unit` every Observation it reaches, each once; FeedError on a loop.

    Claiming comes first, before anything of the unit can fail, so that the members of a
    refused unit are answered as refused with it rather than taken up on their own.
    """
    found = walk(starts, resolver.members, resolver.claimed, unit)
    if found.loops:
        loop = found.loops[0]
        where = f"Observation.hasMember[{loop.index}]"
        raise FeedError(_loop_detail(loop), where=where, code="loop")
    _check_contained(container, found.visits, resolver)
    return found


def _unit_facts(
    found: Walk, fallbacks: dict[int, str | None], resolver: Resolver, zone: tzinfo
) -> list[Observed]:
    """The facts of every Observation walked; members without an identifier are named
    `<parent's result id>-<id or position>`."""
    rids: dict[int, str] = {}
    facts: list[Observed] = []
    for visit in found.visits:
        obs = visit.resource
        fallback = fallbacks.get(id(obs))
        if visit.parent is not None:
            fallback = f"{rids[id(visit.parent)]}-{obs.id or visit.index + 1}"
        rids[id(obs)] = _leaf_id(obs, fallback)
        facts.extend(observed(obs, rids[id(obs)], resolver, zone))
    return facts


def _label(obs: Any) -> str:
    if obs.id:
        return f"Observation/{obs.id}"
    ident = next((i.value for i in obs.identifier or [] if usable_identifier(i.value)), None)
    return f"Observation {ident}" if ident else "an Observation"


def _loop_detail(loop: Loop) -> str:
    source, target = _label(loop.source), _label(loop.target)
    if loop.source is loop.target:
        return f"{source} lists itself in hasMember (a loop); nothing of it is stored"
    return (
        f"hasMember of {source} leads back to {target}, which it is a member of (a loop); "
        "nothing of it is stored"
    )


def _check_contained(container: Any, visits: list[Visit], resolver: Resolver) -> None:
    """Every contained Observation with a value must be reported: none is left behind."""
    holders = [container] + [
        v.resource
        for v in visits
        if v.resource is not container and id(v.resource) not in resolver.containers
    ]
    for holder in holders:
        for index, inner in enumerate(getattr(holder, "contained", None) or []):
            where = f"contained[{index}]"
            if getattr(inner, "contained", None):
                raise FeedError("a contained resource contains resources (FHIR dom-2)", where=where)
            if not isinstance(inner, Observation) or id(inner) in resolver.claimed:
                continue
            probe = Observed("", (), where)
            _value(inner, probe)
            if probe.has_value():
                name = f"#{inner.id}" if inner.id else "without an id"
                raise FeedError(
                    f"the contained Observation {name} is named by no result or hasMember "
                    "(FHIR dom-3); nothing of it is stored",
                    where=where,
                )


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


def report_group(
    report: Any, resolver: Resolver, zone: tzinfo, unit: int = 0
) -> tuple[Patient, Group]:
    """A DiagnosticReport: its result Observations (contained or referenced) as one group."""
    base = next((i.value for i in report.identifier or [] if usable_identifier(i.value)), None)
    found = [resolver.find(reference, report) for reference in report.result or []]
    starts = [obs for obs in found if isinstance(obs, Observation)]
    walked = _unit_walk(starts, report, resolver, unit)
    for index, obs in enumerate(found):
        if not isinstance(obs, Observation):
            raise FeedError(
                "a result reference cannot be resolved", where=f"result[{index}]", code="not-found"
            )
    group = Group(
        [],
        specimen_collected_at=_moment(report.effectiveDateTime, zone, "effectiveDateTime"),
        resulted_at=_moment(report.issued, zone, "DiagnosticReport.issued"),
        elsewhere=walked.elsewhere,
    )
    if any(c.system == t.LOINC and c.code == "58410-2" for c in _codes(report.code)) and base:
        group.panel_result_id = base
    group.observations = _unit_facts(walked, derived_ids(base, starts, resolver), resolver, zone)
    return patient_of(report.subject, report, resolver), group


def observation_group(
    obs: Any, resolver: Resolver, zone: tzinfo, unit: int = 0
) -> tuple[Patient, Group]:
    """A single Observation (a panel with its components or members) as one group."""
    walked = _unit_walk([obs], obs, resolver, unit)
    rid = _leaf_id(obs, None)
    group = Group(_unit_facts(walked, {id(obs): rid}, resolver, zone), elsewhere=walked.elsewhere)
    if any(c.system == t.LOINC and c.code == "58410-2" for c in _codes(obs.code)):
        group.panel_result_id = rid
    return patient_of(obs.subject, obs, resolver), group


__all__ = ["DiagnosticReport", "Observation"]
