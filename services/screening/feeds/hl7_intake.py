"""Receiving HL7 v2: decode, split a batch, take each message, answer an ACK per message.

The same function serves `POST /hl7/v2` and the MLLP listener, so both store and answer alike.
Each message runs in its own savepoint, each result in one inside it: a message whose
structure is broken (AR, or AE before anything was taken) leaves nothing behind; a result
refused for its own fault (AE naming it) leaves the others of the message stored. A broken
field nothing needed is skipped with a warning ERR; other tests' results are ignored, counted
in MSA-3 and listed in an informational ERR (see hl7_local).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlmodel import Session

from services.screening.feeds import hl7_ack
from services.screening.feeds import repository as feed_repo
from services.screening.feeds.findings import FeedError
from services.screening.feeds.hl7_ack import Note
from services.screening.feeds.hl7_local import ERROR, interpret_order, note
from services.screening.feeds.hl7_mapping import (
    Header,
    PatientResults,
    Rejected,
    check_header,
    parse_message,
    read_header,
    read_oru,
)
from services.screening.feeds.hl7_time import parse_timestamp
from services.screening.feeds.intake import Feeder, UnitOutcome, take_unit

_CHARSETS = {
    "": "utf-8",
    "ASCII": "ascii",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "8859/1": "latin-1",
    "GB 18030-2000": "gb18030",
}
_FRAMING = "\x0b\x1c\r\n \t"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSH_LINE = re.compile(rb"(?:\A\x0b?|[\r\n])[ \t]*(MSH)")


class _Malformed(Exception):
    def __init__(self, detail: str, code: str = "100") -> None:
        super().__init__(detail)
        self.detail, self.code = detail, code


@dataclass
class Envelope:
    """The messages of a body and the FHS/BHS it came in (None for a single message)."""

    messages: list[str] = field(default_factory=list)
    file_header: Header | None = None
    batch_header: Header | None = None
    declared: int | None = None


def _charset(data: bytes, declared: str | None) -> str:
    if declared:
        return declared
    first = data.split(b"\r", 1)[0].split(b"\n", 1)[0].decode("latin-1")
    fields = first.split(first[3]) if first.startswith("MSH") and len(first) > 3 else []
    name = fields[17].split("^")[0].strip().upper() if len(fields) > 17 else ""
    return _CHARSETS.get(name, "utf-8")


def decode(data: bytes, declared_charset: str | None) -> str:
    """The body as text with `\\r` segment ends; _Malformed when it is not readable HL7."""
    if b"\x00" in data:
        raise _Malformed("the message contains NUL bytes")
    try:
        text = data.decode(_charset(data.lstrip(b"\x0b"), declared_charset))
    except (LookupError, UnicodeDecodeError) as exc:
        raise _Malformed("the message is not in its declared character set") from exc
    text = text.strip(_FRAMING).replace("\r\n", "\r").replace("\n", "\r")
    if not text:
        raise _Malformed("the message is empty", "101")
    if _CONTROL.search(text):
        raise _Malformed("the message contains control characters")
    return text


def split(text: str) -> Envelope:
    """Messages of one body: a single message, or an FHS/BHS batch (BTS/FTS optional)."""
    envelope = Envelope()
    parts: list[list[str]] = []
    in_message = False
    for segment in (s.strip(" \t") for s in text.split("\r")):
        name = segment[:3]
        if not segment:
            continue
        if name == "FHS" and envelope.file_header is None and not parts:
            envelope.file_header = read_header(segment, "FHS")
        elif name == "BHS":
            if envelope.batch_header is None and not parts:
                envelope.batch_header = read_header(segment, "BHS")
            in_message = False
        elif name in ("BTS", "FTS"):
            count = segment[4:].split(segment[3:4] or "|")[0] if len(segment) > 4 else ""
            if name == "BTS" and count.isdigit():
                envelope.declared = (envelope.declared or 0) + int(count)
            in_message = False
        elif name == "MSH":
            parts.append([segment])
            in_message = True
        elif not in_message:
            raise _Malformed(f"segment {name} outside any message")
        else:
            parts[-1].append(segment)
    if not parts:
        raise _Malformed("no MSH segment: this is not an HL7 v2 message")
    envelope.messages = ["\r".join(p) for p in parts]
    return envelope


def _fingerprint(text: str, header: Header) -> str:
    stable = text.replace(header.get(7), "", 1) if header.get(7) else text
    return hashlib.sha256(stable.encode()).hexdigest()


@dataclass
class _Taken:
    """What became of one message: its units' outcome, ERR notes, refusals, ignored codes."""

    total: UnitOutcome = field(default_factory=UnitOutcome)
    notes: list[Note] = field(default_factory=list)
    refused: int = 0
    ignored: list[str] = field(default_factory=list)
    ignored_results: int = 0

    def merge(self, other: _Taken) -> None:
        """Add another patient's outcome to this message's."""
        _add(self.total, other.total)
        self.notes += other.notes
        self.refused += other.refused
        self.ignored += other.ignored
        self.ignored_results += other.ignored_results

    def taken(self) -> bool:
        t = self.total
        return bool(t.stored or t.duplicates or t.held or t.skipped)

    def summary(self) -> str:
        """MSA-3: what was refused first (it fits in 80 characters), then what was taken."""
        parts = [f"refused {self.refused}"] if self.refused else []
        if self.taken() or not (self.refused or self.ignored):
            parts.append(self.total.summary())
        if self.ignored:
            n = len(self.ignored)
            parts.append(f"ignored {n} result{'s' if n != 1 else ''} of other tests")
        skipped = sum(1 for n in dict.fromkeys(self.notes) if n.severity == "W")
        if skipped:
            parts.append(f"skipped {skipped} broken field{'s' if skipped != 1 else ''}")
        return "; ".join(parts)

    def ack_notes(self) -> list[Note]:
        notes = list(dict.fromkeys(self.notes))
        if self.ignored:
            codes = ", ".join(dict.fromkeys(self.ignored))
            notes.append(Note("0", f"ignored, not screening results: {codes}", "", "I"))
        return notes


def _take_findings(
    session: Session, patient_results: PatientResults, feeder: Feeder, ref: str, now: datetime
) -> _Taken:
    taken = _Taken()
    for order in patient_results.orders:
        got = interpret_order(order, patient_results.fault)
        taken.notes += got.notes
        taken.refused += got.refused
        taken.ignored += got.ignored
        taken.ignored_results += got.ignored_results
        for finding in got.findings:
            try:
                with session.begin_nested():
                    one = take_unit(session, patient_results.patient, [finding], feeder, ref, now)
            except FeedError as exc:
                where = exc.where or finding.where
                taken.notes.append(note(FeedError(exc.detail, where=where, code=exc.code), ERROR))
                taken.refused += 1
                continue
            _add(taken.total, one)
    return taken


def _add(total: UnitOutcome, one: UnitOutcome) -> None:
    total.stored += one.stored
    total.duplicates += one.duplicates
    total.held += one.held
    total.skipped += one.skipped


class _Replay(Exception):
    def __init__(self, earlier: dict[str, str]) -> None:
        super().__init__("replay")
        self.earlier = earlier


class _Untaken(Exception):
    """An AE for a message of which nothing was taken: its savepoint is rolled back."""

    def __init__(self, answer: str, detail: str) -> None:
        super().__init__(detail)
        self.answer, self.detail = answer, detail


def _take(
    session: Session, text: str, header: Header, feeder: Feeder, zone: tzinfo, now: datetime
) -> tuple[str, str, str]:
    """(ACK, MSA code, MSA-3) for a message whose header was accepted."""
    sender = f"{header.first(3)}/{header.first(4)}"[:200]
    control = header.control_id[:200]
    taken = _Taken()
    with session.begin_nested():
        earlier = feed_repo.claim_message(
            session, sender, control, _fingerprint(text, header), feeder.actor, now
        )
        if earlier is not None:
            raise _Replay(earlier)
        ref = f"MSH-10 {header.control_id}"
        for patient_results in read_oru(parse_message(text), zone):
            taken.merge(_take_findings(session, patient_results, feeder, ref, now))
        if not (taken.taken() or taken.refused or taken.ignored_results):
            # Nothing in it reads as a lab result, not even another test's: likely sent to
            # the wrong place (a message of other tests' results is AA, ignored and counted).
            codes = ", ".join(sorted(set(taken.ignored))[:5]) or "none"
            raise FeedError(f"no screening test in this message (codes: {codes})", code="103")
        code, detail = ("AE" if taken.refused else "AA"), taken.summary()
        answer = hl7_ack.ack(header, code, detail, now, notes=taken.ack_notes())
        if code == "AE" and not taken.taken():
            raise _Untaken(answer, detail)
        if code == "AE":
            # What was taken stays; the sender may correct and resend under the same MSH-10
            # (what was stored is recognised as already stored).
            feed_repo.release_message(session, sender, control)
        else:
            feed_repo.remember_ack(session, sender, control, answer)
    return answer, code, detail


def take_message(
    session: Session, text: str, feeder: Feeder, zone: tzinfo, now: datetime
) -> tuple[str, str]:
    """(ACK, MSA code) for one message: AA, AE (what could be taken is) or AR (nothing)."""
    header: Header | None = None
    try:
        header = read_header(text)
        check_header(header)
        parse_timestamp(header.first(7), zone, "MSH-7")  # a content error (AE), like OBX-14
        answer, code, detail = _take(session, text, header, feeder, zone, now)
    except _Untaken as exc:
        code, detail, answer = "AE", exc.detail, exc.answer
    except Rejected as exc:
        code, detail = "AR", exc.detail
        answer = hl7_ack.ack(header, "AR", exc.detail, now, error=(exc.code, exc.detail))
    except FeedError as exc:
        code, detail = "AE", exc.detail
        answer = hl7_ack.ack(
            header, "AE", exc.detail, now, error=(exc.code, exc.detail), where=exc.where
        )
    except _Replay as replay:
        assert header is not None
        if replay.earlier["fingerprint"] == _fingerprint(text, header):
            code, detail, answer = "AA", "a re-send: nothing new stored", replay.earlier["ack"]
        else:
            code, detail = "AE", "MSH-10 control id was already used for another message"
            answer = hl7_ack.ack(header, "AE", detail, now, error=("205", detail), where="MSH-10")
    control = header.control_id if header is not None else ""
    feeder.audit(
        "hl7.message",
        f"hl7/{control}"[:300],
        outcome={"AA": "ok", "AE": "error", "AR": "rejected"}[code],
        ack=code,
        detail=detail[:200],
    )
    return answer, code


def _first_header(data: bytes) -> Header | None:
    """The first readable MSH of a body refused as a whole, so its AR can echo MSH-10."""
    found = _MSH_LINE.search(data)
    if found is None:
        return None
    line = re.split(rb"[\r\n]", data[found.start(1) : found.start(1) + 65536], maxsplit=1)[0]
    try:
        return read_header(line.decode(_charset(line, None), errors="replace"))
    except Rejected:
        return None


def refusal(data: bytes, detail: str, code: str, zone: tzinfo, now: datetime) -> tuple[str, str]:
    """(AR ACK, MSH-10) for a body not taken at all, echoing its first MSH when readable."""
    header = _first_header(data)
    answer = hl7_ack.ack(header, "AR", detail, now.astimezone(zone), error=(code, detail))
    return answer, header.control_id if header is not None else ""


def receive(
    session: Session,
    data: bytes,
    feeder: Feeder,
    zone: tzinfo,
    now: datetime,
    charset: str | None = None,
) -> str:
    """The answer to one body: an ACK, or the batch of ACKs for a batch."""
    now = now.astimezone(zone)  # ACK timestamps in hospital local time, with the offset
    try:
        envelope = split(decode(data, charset))
    except (_Malformed, Rejected) as exc:
        answer, control = refusal(data, exc.detail, exc.code, zone, now)
        resource = f"hl7/{control or '-'}"[:300]
        feeder.audit("hl7.message", resource, outcome="rejected", ack="AR", detail=exc.detail)
        return answer
    acks = [take_message(session, m, feeder, zone, now)[0] for m in envelope.messages]
    if envelope.file_header is None and envelope.batch_header is None and len(acks) == 1:
        return acks[0]
    comment = ""
    if envelope.declared is not None and envelope.declared != len(acks):
        comment = f"BTS-1 declared {envelope.declared} messages, {len(acks)} received"
    return hl7_ack.batch(
        acks,
        now,
        file_header=envelope.file_header,
        batch_header=envelope.batch_header,
        comment=comment,
    )
