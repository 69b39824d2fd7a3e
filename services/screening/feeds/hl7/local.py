"""One HL7 order interpreted with its faults kept local: what is stored, refused or skipped.

A broken field refuses only what needs it. Any fault of an OBX that becomes a result (or an
inbox hold) refuses that result; a fault of the order (OBR-3/7/22, SPM-17) or the patient
(PID-3) refuses every result of the order; a fault of an OBX that is no result (a Ct value,
an ask-at-order-entry answer, another test) is only skipped and reported as a warning.
A result the interpretation itself refuses (unknown status, a value that does not fit) is
refused alone too: it is interpreted again as a valueless stand-in, so the other OBX of its
order keep the meaning they had beside it (a gene target stays detail of its overall result).
Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

from services.screening.domain import codes
from services.screening.feeds import terminology as t
from services.screening.feeds.findings import FeedError, Finding, Group, Observed, interpret_group
from services.screening.feeds.hl7.ack import Note
from services.screening.feeds.hl7.mapping import Order
from shared.vocabulary import ResultStatus, TestType

ERROR: Final = "E"  # a result (or hold) of the message not taken
WARNING: Final = "W"  # a broken field skipped: nothing that needed it
# A stand-in's findings are always dropped, so its time is never stored.
_STAND_IN_TIME: Final = datetime(2000, 1, 1, tzinfo=UTC)


def note(error: FeedError, severity: str) -> Note:
    """The ERR of a fault or refusal."""
    return Note(error.code, error.detail, error.where, severity)


@dataclass
class OrderOutcome:
    """What one order gave: findings to take, ERR notes, and the codes ignored."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    refused: int = 0
    # Ignored observations that are another test's result (not just unknown content).
    ignored_results: int = 0


def _has_test(obs: Observed) -> bool:
    return any(t.test_code(c.system, c.code) is not None for c in obs.codes)


def _is_blood_part(obs: Observed) -> bool:
    for code in obs.codes:
        test = t.test_code(code.system, code.code)
        if test is not None and (
            test.value_name is not None or test.test_type == TestType.BLOOD_ROUTINE
        ):
            return True
    return False


def _another_tests_result(obs: Observed) -> bool:
    """A result of a test the code table knows as another test, or any readable result value."""
    for code in obs.codes:
        test = t.test_code(code.system, code.code)
        if test is not None and test.role == codes.OTHER_TEST:
            return True
    coded = any(t.coded_result(c.system, c.code) for c in obs.value_codes)
    return coded or t.text_result(obs.value_text) is not None


def _stand_in(obs: Observed) -> Observed:
    return replace(
        obs,
        value_codes=(),
        value_text=None,
        value_number=None,
        interpretation=(),
        status=ResultStatus.FINAL,
        specimen_collected_at=obs.specimen_collected_at or _STAND_IN_TIME,
    )


def _interpret(
    order: Order, scope: list[FeedError], refused: dict[str, FeedError]
) -> tuple[list[Finding], Group] | None:
    """Findings of the order, refusing (in `refused`) each OBX the interpretation refuses."""
    observations = list(order.group.observations)
    for _ in range(2 * len(observations) + 1):
        group = replace(
            order.group, observations=list(observations), ignored=[], details=[], elsewhere=[]
        )
        try:
            return interpret_group(group), group
        except FeedError as exc:
            index = next((i for i, o in enumerate(observations) if o.where == exc.where), None)
            if index is None:
                refused[""] = scope[0] if scope else exc
                return None
            obs = observations[index]
            if obs.where in refused or not _has_test(obs):
                del observations[index]  # no meaning to keep for the others: left out
            else:
                observations[index] = _stand_in(obs)
            own = order.obx_faults.get(obs.where, [])
            refused.setdefault(obs.where, (own + scope + [exc])[0])
    refused[""] = scope[0] if scope else FeedError("the order cannot be read", code="207")
    return None


def _errors(refused: dict[str, FeedError]) -> list[Note]:
    # One note per distinct reason: an order fault refusing three results is said once.
    unique = {id(reason): reason for reason in refused.values()}
    return [note(reason, ERROR) for reason in unique.values()]


def interpret_order(order: Order, patient_fault: FeedError | None = None) -> OrderOutcome:
    """The findings of one order that can be taken, and an ERR note for each thing not taken."""
    scope = ([patient_fault] if patient_fault is not None else []) + order.faults
    refused: dict[str, FeedError] = {}
    outcome = OrderOutcome()
    done = _interpret(order, scope, refused)
    if done is None:
        outcome.notes, outcome.refused = _errors(refused), 1
        return outcome
    findings, group = done
    blood = {o.where for o in order.group.observations if _is_blood_part(o)}
    for finding in findings:
        parts = blood if finding.test_type == TestType.BLOOD_ROUTINE else {finding.where}
        reasons = [refused[w] for w in parts if w in refused]
        reasons += [f for w in sorted(parts) for f in order.obx_faults.get(w, [])] + scope
        if reasons:
            refused.setdefault(finding.where, reasons[0])
        else:
            outcome.findings.append(finding)
    outcome.notes, outcome.refused = _errors(refused), len(refused)
    used = {id(reason) for reason in refused.values()}
    for where, faults in order.obx_faults.items():
        if where not in refused:
            outcome.notes += [note(f, WARNING) for f in faults if id(f) not in used]
    outcome.notes += [note(f, WARNING) for f in scope if id(f) not in used]
    outcome.ignored = list(group.ignored)
    labels = set(group.ignored)
    ignored = [o for o in group.observations if o.codes and o.codes[0].label() in labels]
    outcome.ignored_results = sum(1 for o in ignored if _another_tests_result(o))
    return outcome
