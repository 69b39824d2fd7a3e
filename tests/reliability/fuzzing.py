"""Schemathesis against a service's own OpenAPI document, in-process over ASGI.

One engine run covers the phases the CLI runs: examples, coverage (boundary and negative
values derived from the schema), fuzzing (positive and negative generated data) and stateful
(sequences following the links Schemathesis infers). Every check is on: no 5xx, status codes,
content types, headers and bodies as documented, negative data rejected, no answer without a
token where the document says a token is needed.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.cli.commands.run.warnings import (
    aggregate_status_codes,
    all_positive_are_rejected,
    positive_call_outcomes,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.engine.run import UNIT_PHASES

# HL7 v2 bodies are ER7 text: sent as text, whatever HL7 media type the document names.
schemathesis.serializer.alias(
    ["application/hl7-v2", "application/hl7-v2+er7", "x-application/hl7-v2+er7"], "text/plain"
)

# `make test` runs a bounded, reproducible sample; `make fuzz` raises both and draws a seed.
EXAMPLES = int(os.environ.get("WARDGATE_FUZZ_EXAMPLES", "6"))
STATEFUL_STEPS = int(os.environ.get("WARDGATE_FUZZ_STEPS", "10"))
SEED = os.environ.get("WARDGATE_FUZZ_SEED", "20261130")

# Schema-valid requests may still be refused by a rule JSON Schema cannot state: a cursor this
# server did not make (422), a LOINC code that is not the test type's (422), an unknown
# department or person (404/422), a slot already full (409), a FHIR resource of another type
# (400 OperationOutcome). Anything else for valid data (401, 403, 405, 415, 5xx) still fails.
POSITIVE_MAY_ANSWER = ["2xx", "400", "404", "409", "422"]


@dataclass
class Failure:
    """One failed check, with what was sent and what came back."""

    phase: str
    operation: str
    check: str
    title: str
    request: str
    status: int | None
    body: str

    def __str__(self) -> str:
        return (
            f"[{self.phase}] {self.operation}: {self.check} ({self.title})\n"
            f"  sent {self.request}\n  got {self.status} {self.body}"
        )


@dataclass
class FuzzReport:
    """What one engine run sent and which checks failed."""

    cases: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # The warnings the Schemathesis CLI would print, by kind: the operations whose valid
    # (schema-conforming) data the service mostly refused, which says the document promises
    # more than the service takes.
    warnings: dict[str, set[str]] = field(default_factory=dict)
    # Query parameters each operation was sent with and answered 2xx (what was covered).
    served_queries: dict[str, set[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Requests sent over every phase."""
        return sum(self.cases.values())

    def describe(self) -> str:
        """Every distinct failure (first of each operation and check) and engine error."""
        seen: set[tuple[str, str]] = set()
        lines = []
        for f in self.failures:
            if (f.operation, f.check) not in seen:
                seen.add((f.operation, f.check))
                lines.append(str(f))
        return "\n".join(lines + self.errors)


def _config(token: str, examples: int, steps: int) -> SchemathesisConfig:
    seed = {"seed": int(SEED)} if SEED.isdigit() else {}  # anything else: a fresh seed
    return SchemathesisConfig.from_dict(
        {
            **seed,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"mode": "all", "max-examples": examples, "database": "none"},
            "phases": {"stateful": {"enabled": True, "max-steps": steps}},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": POSITIVE_MAY_ANSWER},
            },
            "operations": [
                {
                    # Any text is a valid ER7 body as far as JSON Schema can say (`string`);
                    # HL7 refuses unreadable messages in the ACK (200 `MSA|AR`), per contract.
                    "include-path": "/hl7/v2",
                    "checks": {"negative_data_rejection": {"enabled": False}},
                }
            ],
        }
    )


def _failures(event: events.ScenarioFinished) -> list[Failure]:
    recorder = event.recorder
    found = []
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status.name != "FAILURE":
                continue
            case = recorder.cases[case_id].value
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction else None
            info = check.failure_info
            found.append(
                Failure(
                    phase=str(event.phase),
                    operation=recorder.label,
                    check=check.name,
                    title=str(info.failure.title) if info else "",
                    request=f"{case.method} {case.formatted_path} query={case.query} "
                    f"body={str(case.body)[:300]}",
                    status=response.status_code if response else None,
                    body=response.content[:300].decode("utf-8", "replace") if response else "",
                )
            )
    return found


LOW_VALID_RATE = 0.2  # the CLI's default threshold
_MIN_CALLS = 10  # fewer, and the share accepted is noise


def _warnings(event: events.ScenarioFinished) -> list[tuple[str, str]]:
    """The CLI's data warnings for one finished unit scenario (its WarningCollector's rules)."""
    recorder, label = event.recorder, event.recorder.label
    found = []
    positive = aggregate_status_codes(recorder, positive_only=True)
    if event.status == Status.SUCCESS and all_positive_are_rejected(recorder):
        if positive.should_warn_about_missing_test_data():
            found.append(("missing_test_data", label))
        if positive.should_warn_about_validation_mismatch():
            found.append(("validation_mismatch", label))
    outcomes = positive_call_outcomes(recorder)
    enough = outcomes.accepted and outcomes.total >= _MIN_CALLS
    if enough and outcomes.rate < LOW_VALID_RATE:
        found.append(("low_valid_rate", label))
    return found


def _record_served_queries(event: events.ScenarioFinished, served: dict[str, set[str]]) -> None:
    recorder = event.recorder
    for case_id, node in recorder.cases.items():
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction else None
        if response is not None and 200 <= response.status_code < 300 and node.value.query:
            label = f"{node.value.method.upper()} {node.value.path}"
            served.setdefault(label, set()).update(node.value.query)


def run_schemathesis(app: Any, token: str, examples: int = EXAMPLES) -> FuzzReport:
    """Run every phase against `app` (an ASGI callable); what was sent and what failed."""
    config = _config(token, examples, STATEFUL_STEPS)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    report = FuzzReport()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            report.cases[str(event.phase)] += len(event.recorder.cases)
            report.failures += _failures(event)
            _record_served_queries(event, report.served_queries)
            if event.phase in UNIT_PHASES and event.skip_warning is None:
                for kind, label in _warnings(event):
                    report.warnings.setdefault(kind, set()).add(label)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
    return report


def http_only(app: Any) -> Any:
    """The app for Schemathesis's ASGI client, its lifespan left to the test's own client."""

    async def serve(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            # Refusing the lifespan scope tells Schemathesis the app has none to run.
            raise RuntimeError("the lifespan is run by the test client")
        await app(scope, receive, send)

    return serve
