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
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

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


def run_schemathesis(app: Any, token: str, examples: int = EXAMPLES) -> FuzzReport:
    """Run every phase against `app` (an ASGI callable); what was sent and what failed."""
    config = _config(token, examples, STATEFUL_STEPS)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    report = FuzzReport()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            report.cases[str(event.phase)] += len(event.recorder.cases)
            report.failures += _failures(event)
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
