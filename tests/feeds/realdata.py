"""Sending the shared real laboratory messages and reading back what became of them.

The messages live beside the checkout (`../shared/realdata/`, see its SOURCES.md) and are
never copied into the repository; tests that use them skip when the folder is absent.
`observe` sends one file and answers what a client can see afterwards: the ACK codes or HTTP
status, the results stored per person, the inbox items, what the answer says was ignored and
what it refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
# "ignored 3", "3 ignored", "ignored: 3" in MSA-3, ERR or OperationOutcome text.
_IGNORED = re.compile(r"ignored\D{0,3}(\d+)|(\d+)\s+(?:\w+\s+){0,3}ignored", re.IGNORECASE)


def realdata(name: str) -> Path:
    """A shared message file, or a skipped test when the shared folder is absent."""
    path = REALDATA / ("hl7" if name.endswith(".hl7") else "fhir") / name
    if not path.is_file():
        pytest.skip(f"the shared real messages are not here ({REALDATA})")
    return path


@dataclass
class Seen:
    """What a client sees after sending one file."""

    # HL7: one MSA-1 per message in the file; FHIR: the HTTP status, then each entry's status.
    acks: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    # (person, test type, result, status, specimen collection time in UTC, result id)
    stored: list[tuple[str, str, str | None, str, str, str]] = field(default_factory=list)
    # (reason, code label or None, result id, detail)
    held: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    ignored: int = 0
    severities: list[str] = field(default_factory=list)
    # HL7: MSA-2 of each ACK (the control id it answers), in order.
    controls: list[str] = field(default_factory=list)
    # The answer text of each refusal (an AE/AR message, a FHIR 4xx answer or entry).
    errors: list[str] = field(default_factory=list)

    def text(self) -> str:
        return " | ".join(self.texts)


def utc(value: str | None) -> str:
    """An ISO timestamp as `YYYY-MM-DDTHH:MM:SSZ` (UTC), for comparing stored times."""
    if not value:
        return ""
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def control_ids(name: str) -> list[str]:
    """MSH-10 of every message of an HL7 file, in order (what each ACK must echo)."""
    text = realdata(name).read_bytes().decode("latin-1")
    found = []
    for line in text.replace("\r\n", "\r").replace("\n", "\r").split("\r"):
        line = line.strip()
        if line.startswith("MSH") and len(line) > 3:
            fields = line.split(line[3])
            found.append(fields[9] if len(fields) > 9 else "")
    return found


def _ignored_in(text: str) -> int:
    found = _IGNORED.search(text)
    return int(found.group(1) or found.group(2)) if found else 0


def _read_acks(body: str, seen: Seen) -> None:
    """One text per acknowledged message (MSA-3 and its ERR details), in order."""
    for seg in (s.split("|") for s in body.split("\r") if s):
        if seg[0] == "MSA":
            seen.acks.append(seg[1])
            seen.controls.append(seg[2] if len(seg) > 2 else "")
            seen.texts.append(seg[3] if len(seg) > 3 else "")
        elif seg[0] == "ERR" and len(seg) > 4 and seen.texts:
            seen.severities.append(seg[4])
            detail = seg[8] if len(seg) > 8 else ""
            seen.texts[-1] = " / ".join(filter(None, [seen.texts[-1], detail]))
    for code, text in zip(seen.acks, seen.texts, strict=True):
        seen.ignored += _ignored_in(text)
        if code in ("AE", "AR"):
            seen.errors.append(text)


def _read_outcome(resource: dict[str, Any], seen: Seen, status: int) -> None:
    texts = []
    for issue in resource.get("issue", []):
        seen.severities.append(str(issue.get("severity")))
        text = str(issue.get("diagnostics", ""))
        texts.append(text)
        if issue.get("severity") == "information":
            seen.ignored += _ignored_in(text)
    seen.texts.extend(texts)
    if status >= 400:
        seen.errors.append(" / ".join(texts))


def send(feeds: Any, name: str) -> Seen:
    """Send one file as a laboratory would (HL7 body or FHIR JSON) and read the answer."""
    path = realdata(name)
    seen = Seen()
    if path.suffix == ".hl7":
        _read_acks(feeds.hl7(path.read_bytes()).text, seen)
        return seen
    document = json.loads(path.read_text(encoding="utf-8"))
    bundle = document.get("resourceType") == "Bundle"
    answer = feeds.fhir("/fhir" if bundle else "/fhir/Observation", path.read_bytes())
    seen.acks.append(str(answer.status_code))
    body = answer.json()
    if body.get("resourceType") == "OperationOutcome":
        _read_outcome(body, seen, answer.status_code)
    for entry in body.get("entry", []):
        response = entry.get("response", {})
        status = str(response.get("status", "")).split(" ")[0]
        seen.acks.append(status)
        if isinstance(response.get("outcome"), dict):
            _read_outcome(response["outcome"], seen, int(status) if status.isdigit() else 0)
    return seen


def look(feeds: Any, seen: Seen, persons: list[str]) -> Seen:
    """Fill in what was stored for these persons and what the inbox holds."""
    for person in persons:
        for row in feeds.results(person, history=True):
            seen.stored.append(
                (
                    person,
                    row["test_type"],
                    row["result"],
                    row["status"],
                    utc(row["specimen_collected_at"]),
                    row["external_id"],
                )
            )
    for item in feeds.inbox(limit=200):
        held = (item["reason"], item["code"], item["result_external_id"], item["detail"])
        seen.held.append(held)
    seen.stored.sort()
    seen.held.sort(key=lambda h: (h[0], h[1] or "", h[2]))
    return seen


def observe(feeds: Any, name: str, persons: list[str]) -> Seen:
    """Register the persons, send the file, and see what became of it."""
    for person in persons:
        feeds.person(person)
    return look(feeds, send(feeds, name), persons)
