"""The discharge rule: may this inpatient leave, and if not, every reason why.

A pure function over the patient's facts, every version of their screening results and the
moment of the check. Which result counts for a test type is the contract's shared rule
(`shared.counting`); this module only adds the discharge-specific windows:

- the counting `nucleic_acid` result is `negative`, collected at most 72 h before now;
- the counting `antibody_igm` and `antibody_igg` results are `negative`, at most 7 days old;
- none of the three is `pending` (a `preliminary` result newer than the counting one);
- after any positive `nucleic_acid` collected in the last 30 days: two negative `nucleic_acid`
  results collected at least 24 h apart, both after the last positive;
- a pooled (混采) `nucleic_acid` result never counts: an inpatient's release needs an
  individual test. A pooled positive or indeterminate (its member awaits a retest) makes the
  test `pending`; a pooled negative in the window newer than any individual one gives the
  reason `pooled_only` (instead of `missing` or `expired`).

Boundaries are inclusive ("at most 72 h", "at least 24 h"): exactly 72 h old still counts,
one second more is `expired`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.counting import ResultVersion, counting_results, counting_view, latest_versions
from shared.vocabulary import (
    COUNTING_STATUSES,
    INFECTION_TESTS,
    Category,
    ResultMethod,
    ResultStatus,
    ResultValue,
    ScreeningState,
    TestType,
)

# The infection tests gate discharge, checked (and their reasons listed) in the enum's order.
GATED_TESTS = tuple(t for t in TestType if t in INFECTION_TESTS)
RULE_NAME = "discharge-rule/1"

TEST_NAMES = {
    TestType.NUCLEIC_ACID: "nucleic acid",
    TestType.ANTIBODY_IGM: "IgM antibody",
    TestType.ANTIBODY_IGG: "IgG antibody",
}

# Reason codes (the contract's list): a gated test's own state, or one of these.
NEEDS_TWO_NEGATIVES = "needs_two_negatives"
NOT_INPATIENT = "not_inpatient"
UNKNOWN_PATIENT = "unknown_patient"
SCREENING_UNAVAILABLE = "screening_unavailable"
POOLED_ONLY = "pooled_only"

# Why a result is part of the evidence.
COUNTING = "counting"
PENDING_RESULT = "pending"
LAST_POSITIVE = "last_positive"
NEGATIVE_AFTER_POSITIVE = "negative_after_positive"
POOLED_NOT_COUNTED = "pooled_not_counted"


@dataclass(frozen=True)
class RuleWindows:
    """The rule's configurable windows."""

    nucleic_acid_max_age: timedelta = timedelta(hours=72)
    antibody_max_age: timedelta = timedelta(days=7)
    positive_lookback: timedelta = timedelta(days=30)
    negatives_apart: timedelta = timedelta(hours=24)

    @property
    def version(self) -> str:
        """The rule name with its windows, stored with every decision."""
        return (
            f"{RULE_NAME} nucleic_acid<={_hours(self.nucleic_acid_max_age)}h"
            f" antibodies<={_hours(self.antibody_max_age)}h"
            f" positive_lookback={_hours(self.positive_lookback)}h"
            f" negatives_apart>={_hours(self.negatives_apart)}h"
        )

    def max_age(self, test_type: str) -> timedelta:
        """How old the counting result of `test_type` may be."""
        if test_type == TestType.NUCLEIC_ACID:
            return self.nucleic_acid_max_age
        return self.antibody_max_age


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g}"


@dataclass(frozen=True)
class PatientFacts:
    """What the rule needs to know about the person besides their results."""

    external_id: str
    category: str


@dataclass(frozen=True)
class Reason:
    """One reason the patient may not leave, with a sentence a nurse can act on."""

    code: str
    detail: str
    test_type: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The contract's `{code, test_type?, detail}`."""
        doc = {"code": self.code, "detail": self.detail}
        if self.test_type is not None:
            doc["test_type"] = self.test_type
        return doc


@dataclass(frozen=True)
class Evidence:
    """A result version the decision rests on, and what it was used as."""

    result: ResultVersion
    used_as: str


@dataclass(frozen=True)
class DischargeDecision:
    """Eligible or not, with every reason and the results looked at."""

    eligible: bool
    reasons: tuple[Reason, ...]
    evidence: tuple[Evidence, ...]
    rule_version: str
    codes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", frozenset(r.code for r in self.reasons))


def _age_text(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 4 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{secs} s"] if secs or not parts else []
    return " ".join(parts)


def _test_reasons(
    results: Sequence[ResultVersion], test_type: TestType, now: datetime, windows: RuleWindows
) -> tuple[list[Reason], list[Evidence]]:
    name = TEST_NAMES[test_type]
    view = counting_view(results, test_type)
    reasons: list[Reason] = []
    evidence: list[Evidence] = []
    counting, pending = view.counting, view.pending
    if counting is not None:
        evidence.append(Evidence(counting, COUNTING))
        age = now - counting.specimen_collected_at
        limit = windows.max_age(test_type)
        if counting.result == ResultValue.POSITIVE:
            reasons.append(
                Reason(ScreeningState.POSITIVE, f"The latest {name} result is positive.", test_type)
            )
        elif counting.result != ResultValue.NEGATIVE:
            reasons.append(
                Reason(
                    ScreeningState.INDETERMINATE,
                    f"The latest {name} result is {counting.result or 'empty'}, not negative.",
                    test_type,
                )
            )
        elif age > limit:
            reasons.append(
                Reason(
                    ScreeningState.EXPIRED,
                    f"The latest negative {name} specimen was collected"
                    f" {_age_text(age)} ago; it must be at most {_age_text(limit)} old.",
                    test_type,
                )
            )
    if pending is not None:
        evidence.append(Evidence(pending, PENDING_RESULT))
        reasons.append(
            Reason(
                ScreeningState.PENDING,
                f"A newer {name} result is still preliminary (pending).",
                test_type,
            )
        )
    elif counting is None:
        reasons.append(
            Reason(ScreeningState.MISSING, f"There is no {name} result on record.", test_type)
        )
    return reasons, evidence


def _recovery_reasons(
    results: Sequence[ResultVersion], now: datetime, windows: RuleWindows
) -> tuple[list[Reason], list[Evidence]]:
    """After a recent positive nucleic acid: two negatives, far enough apart, both after it."""
    history = counting_results(results, TestType.NUCLEIC_ACID)
    positives = [r for r in history if r.result == ResultValue.POSITIVE]
    if not positives:
        return [], []
    last_positive = max(positives, key=lambda r: r.specimen_collected_at)
    if now - last_positive.specimen_collected_at > windows.positive_lookback:
        return [], []
    after = sorted(
        (
            r
            for r in history
            if r.result == ResultValue.NEGATIVE
            and r.specimen_collected_at > last_positive.specimen_collected_at
        ),
        key=lambda r: r.specimen_collected_at,
    )
    evidence = [Evidence(last_positive, LAST_POSITIVE)]
    if len(after) >= 2:
        newest = after[-1]
        earlier = [
            r
            for r in after
            if newest.specimen_collected_at - r.specimen_collected_at >= windows.negatives_apart
        ]
        if earlier:
            pair = [earlier[-1], newest]
            evidence += [Evidence(r, NEGATIVE_AFTER_POSITIVE) for r in pair]
            return [], evidence
    evidence += [Evidence(r, NEGATIVE_AFTER_POSITIVE) for r in after]
    detail = (
        f"A positive nucleic acid specimen was collected within the last"
        f" {_age_text(windows.positive_lookback)}; two negative nucleic acid results collected"
        f" at least {_age_text(windows.negatives_apart)} apart, both after it, are needed"
        f" ({len(after)} negative since)."
    )
    return [Reason(NEEDS_TWO_NEGATIVES, detail, TestType.NUCLEIC_ACID)], evidence


def _split_pooled(
    history: Sequence[ResultVersion],
) -> tuple[list[ResultVersion], list[ResultVersion]]:
    """(what the rule reads, pooled negatives): pooled nucleic-acid results never count; a
    pooled positive or indeterminate reads as preliminary (the member awaits a retest)."""
    if all(r.method != ResultMethod.POOLED for r in history):
        return list(history), []
    read: list[ResultVersion] = []
    pooled = [r for r in latest_versions(history) if r.method == ResultMethod.POOLED]
    for r in history:
        if r.method != ResultMethod.POOLED or r.test_type != TestType.NUCLEIC_ACID:
            read.append(r)
    negatives = []
    for r in pooled:
        if r.result in (ResultValue.POSITIVE, ResultValue.INDETERMINATE):
            read.append(replace(r, status=ResultStatus.PRELIMINARY.value))
        elif r.result == ResultValue.NEGATIVE and r.status in COUNTING_STATUSES:
            negatives.append(r)
    return read, negatives


def _pooled_only(
    history: Sequence[ResultVersion],
    negatives: Sequence[ResultVersion],
    now: datetime,
    windows: RuleWindows,
) -> tuple[list[Reason], list[Evidence]]:
    """`pooled_only` when the newest negative nucleic acid in the window is a pooled one."""
    limit = windows.max_age(TestType.NUCLEIC_ACID)
    in_window = [r for r in negatives if now - r.specimen_collected_at <= limit]
    if not in_window:
        return [], []
    newest = max(in_window, key=lambda r: r.specimen_collected_at)
    counting = counting_view(history, TestType.NUCLEIC_ACID).counting
    if counting is not None and counting.specimen_collected_at >= newest.specimen_collected_at:
        return [], []
    detail = (
        "The newest negative nucleic acid result is pooled (混采); discharge needs an"
        " individual nucleic acid test."
    )
    return [Reason(POOLED_ONLY, detail, TestType.NUCLEIC_ACID)], [
        Evidence(newest, POOLED_NOT_COUNTED)
    ]


def _unique(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    seen: set[tuple[str, int]] = set()
    kept: list[Evidence] = []
    for item in evidence:
        key = (item.result.external_id, item.result.version)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return tuple(kept)


def evaluate_discharge(
    patient: PatientFacts,
    results: Iterable[ResultVersion],
    now: datetime,
    windows: RuleWindows,
) -> DischargeDecision:
    """Every reason `patient` may not be discharged at `now` (eligible when there is none)."""
    history, pooled_negatives = _split_pooled([r for r in results if r.test_type in GATED_TESTS])
    reasons: list[Reason] = []
    evidence: list[Evidence] = []
    if patient.category != Category.INPATIENT:
        reasons.append(
            Reason(
                NOT_INPATIENT,
                f"The person is registered as {patient.category}, not as an inpatient.",
            )
        )
    for test_type in GATED_TESTS:
        found, used = _test_reasons(history, test_type, now, windows)
        reasons += found
        evidence += used
    found, used = _recovery_reasons(history, now, windows)
    reasons += found
    evidence += used
    found, used = _pooled_only(history, pooled_negatives, now, windows)
    if found:  # the pooled negative explains the missing or expired individual one
        superseded = {ScreeningState.MISSING, ScreeningState.EXPIRED}
        reasons = [
            r
            for r in reasons
            if not (r.test_type == TestType.NUCLEIC_ACID and r.code in superseded)
        ]
        reasons += found
        evidence += used
    return DischargeDecision(
        eligible=not reasons,
        reasons=tuple(reasons),
        evidence=_unique(evidence),
        rule_version=windows.version,
    )


def unknown_patient(external_id: str, windows: RuleWindows) -> DischargeDecision:
    """The decision when the screening service does not know the patient."""
    reason = Reason(
        UNKNOWN_PATIENT, f"The screening service has no person with external id {external_id}."
    )
    return DischargeDecision(False, (reason,), (), windows.version)


def screening_unavailable(windows: RuleWindows) -> DischargeDecision:
    """The fail-closed decision when the screening service cannot be consulted."""
    reason = Reason(
        SCREENING_UNAVAILABLE,
        "The screening service could not be reached or did not answer correctly in time;"
        " discharge is not allowed without its results.",
    )
    return DischargeDecision(False, (reason,), (), windows.version)
