"""A FHIR Bundle taken entry by entry: each unit once, members with their unit, loops refused.

An entry that another entry names (a result, a member) is reported with that unit, once, and
its answer says which unit and shares its fate; a loop of members is refused, never dropped.
Entries of other resource types are answered "not read".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session

from services.screening.feeds.fhir import render
from services.screening.feeds.fhir.mapping import (
    DiagnosticReport,
    Observation,
    Resolver,
    observation_group,
    report_group,
)
from services.screening.feeds.fhir.read import READ, Entry
from services.screening.feeds.findings import FeedError, Group
from services.screening.feeds.patient import Patient
from services.screening.fhir.units import ISSUE_TYPES, entry_answer, error_outcome, take_group
from services.screening.intake.service import Feeder, UnitOutcome


def _named(resource: Any, resolver: Resolver) -> list[Any]:
    """What an entry names as its results or members, its contained Observations included."""
    if isinstance(resource, DiagnosticReport):
        found = [resolver.find(ref, resource) for ref in resource.result or []]
    else:
        found = resolver.members(resource)
    for inner in resource.contained or []:
        if isinstance(inner, Observation):
            found.extend(resolver.members(inner))
    return found


def _roots(units: dict[int, Any], resolver: Resolver) -> list[int]:
    """Entries that no other entry names: each is reported as a unit of its own."""
    entries = {id(resource) for resource in units.values()}
    named = {
        id(target)
        for resource in units.values()
        for target in _named(resource, resolver)
        if id(target) in entries and target is not resource
    }
    return [index for index, resource in units.items() if id(resource) not in named]


def _unit(resource: Any, resolver: Resolver, zone: tzinfo, index: int) -> tuple[Patient, Group]:
    if isinstance(resource, DiagnosticReport):
        return report_group(resource, resolver, zone, index)
    return observation_group(resource, resolver, zone, index)


def _informational(text: str) -> dict[str, Any]:
    return render.response_entry(
        "200 OK", issue=render.outcome("information", "informational", text)
    )


@dataclass
class _Entries:
    """A Bundle's answers as its units are taken, in any order; read back in entry order."""

    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    refused: dict[int, FeedError] = field(default_factory=dict)
    outcomes: list[UnitOutcome] = field(default_factory=list)

    def refuse(self, index: int, exc: FeedError) -> None:
        """Answer entry `index` as refused for `exc`."""
        self.refused[index] = exc
        status = "404 Not Found" if exc.code == "not-found" else "422 Unprocessable Entity"
        self.answers[index] = render.response_entry(status, issue=error_outcome(exc))

    def member(self, index: int, unit: int) -> None:
        """An entry reported with another entry's unit shares that unit's fate."""
        refused = self.refused.get(unit)
        if refused is None:
            self.answers[index] = _informational(f"reported with Bundle.entry[{unit}]")
            return
        status = "404 Not Found" if refused.code == "not-found" else "422 Unprocessable Entity"
        text = f"reported with Bundle.entry[{unit}], which was refused: {refused.detail}"
        issue = render.outcome("error", ISSUE_TYPES.get(refused.code, "processing"), text)
        self.answers[index] = render.response_entry(status, issue=issue)


def _take_entry(
    session: Session,
    taken: _Entries,
    index: int,
    resource: Any,
    context: tuple[Resolver, Feeder, tzinfo, datetime],
) -> None:
    resolver, feeder, zone, now = context
    try:
        with session.begin_nested():
            patient, group = _unit(resource, resolver, zone, index)
            if not group.observations and group.elsewhere:
                units = ", ".join(f"Bundle.entry[{u}]" for u in group.elsewhere)
                taken.answers[index] = _informational(f"its results are reported with {units}")
                return
            unit = take_group(session, patient, group, feeder, f"Bundle.entry[{index}]", now)
    except FeedError as exc:
        taken.refuse(index, exc)
        return
    taken.outcomes.append(unit.outcome)
    taken.answers[index] = entry_answer(unit)


def _not_read(entry: Entry) -> dict[str, Any]:
    """The answer for an entry WardGate does not read, or does not store."""
    where = f"Bundle.entry[{entry.index}]"
    if not entry.kind:
        text = "no resource"
    elif entry.kind not in READ:
        text = f"{where}: {entry.kind} not read"
    else:
        text = f"{entry.kind} is not stored (only Observation and DiagnosticReport are)"
    issue = render.outcome("information", "informational", text, where)
    return render.response_entry("200 OK", issue=issue)


def _with_not_read(answer: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """Add what the entry contains but WardGate does not read to its answer's outcome."""
    if not entry.not_read:
        return answer
    where = f"Bundle.entry[{entry.index}]"
    outcome = answer["response"].setdefault("outcome", render.outcome_of([]))
    outcome["issue"] += [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"{where}.{label} not read",
        }
        for label in entry.not_read
    ]
    return answer


def bundle_entries(
    session: Session, bundle: Any, feeder: Feeder, zone: tzinfo, now: datetime
) -> tuple[list[dict[str, Any]], list[tuple[int, FeedError]], list[UnitOutcome]]:
    """Every entry's answer in entry order, the refused units, and what the units became."""
    resolver = Resolver()
    for item in bundle.entries:
        if item.resource is not None:
            resolver.add(item.resource, item.full_url)
    units = {
        item.index: item.resource
        for item in bundle.entries
        if isinstance(item.resource, (Observation, DiagnosticReport))
    }
    taken = _Entries()
    context = (resolver, feeder, zone, now)
    for index in _roots(units, resolver):
        _take_entry(session, taken, index, units[index], context)
    # Entries named only from inside a loop are nobody's member: taken on their own (after
    # the roots), their walk meets the loop and refuses it, so none is dropped in silence.
    for index, resource in units.items():
        if index not in taken.answers and id(resource) not in resolver.claimed:
            _take_entry(session, taken, index, resource, context)
    entries: list[dict[str, Any]] = []
    for item in bundle.entries:
        index = item.index
        if index not in taken.answers and index in units:
            taken.member(index, resolver.claimed[id(item.resource)])
        answer = taken.answers[index] if index in taken.answers else _not_read(item)
        entries.append(_with_not_read(answer, item))
    return entries, sorted(taken.refused.items()), taken.outcomes
