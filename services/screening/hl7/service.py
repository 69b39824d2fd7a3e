"""Receiving HL7 v2: decode, split a batch, take each message, answer an ACK per message.

The same function serves `POST /hl7/v2` and the MLLP listener, so both store and answer alike.
Each message runs in its own savepoint, each result in one inside it: a message whose
structure is broken (AR, or AE before anything was taken) leaves nothing behind; a result
refused for its own fault (AE naming it) leaves the others of the message stored. A broken
field nothing needed is skipped with a warning ERR; other tests' results are ignored, counted
in MSA-3 and listed in an informational ERR (see feeds/hl7/local.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlmodel import Session

from services.screening.feeds.findings import FeedError
from services.screening.feeds.hl7 import ack as hl7_ack
from services.screening.feeds.hl7.ack import Note
from services.screening.feeds.hl7.envelope import Malformed, decode, fingerprint, refusal, split
from services.screening.feeds.hl7.local import ERROR, interpret_order, note
from services.screening.feeds.hl7.mapping import (
    Header,
    PatientResults,
    Rejected,
    check_header,
    parse_message,
    read_header,
    read_oru,
)
from services.screening.feeds.hl7.time import parse_timestamp
from services.screening.hl7 import repository as ledger
from services.screening.hl7.repository import TakenMessage
from services.screening.intake.service import Feeder, UnitOutcome, take_unit


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
        """True when anything of the message was stored, held or skipped."""
        t = self.total
        return bool(t.stored or t.duplicates or t.held or t.skipped or t.pools)

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
        """The ERR notes of the ACK, once each, and the ignored codes as an informational one."""
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
    total.pools += one.pools


class _Replay(Exception):
    def __init__(self, earlier: TakenMessage) -> None:
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
        earlier = ledger.claim_message(
            session, sender, control, fingerprint(text, header), feeder.actor, now
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
            ledger.release_message(session, sender, control)
        else:
            ledger.remember_ack(session, sender, control, answer)
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
        if replay.earlier.fingerprint == fingerprint(text, header):
            code, detail, answer = "AA", "a re-send: nothing new stored", replay.earlier.ack
        else:
            code, detail = "AE", "MSH-10 control id was already used for another message"
            answer = hl7_ack.ack(header, "AE", detail, now, error=("205", detail), where="MSH-10")
    control = header.control_id if header is not None else ""
    feeder.audit.record(
        "hl7.message",
        f"hl7/{control}"[:300],
        outcome={"AA": "ok", "AE": "error", "AR": "rejected"}[code],
        ack=code,
        detail=detail[:200],
    )
    return answer, code


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
    except (Malformed, Rejected) as exc:
        answer, control = refusal(data, exc.detail, exc.code, zone, now)
        resource = f"hl7/{control or '-'}"[:300]
        feeder.audit.record(
            "hl7.message", resource, outcome="rejected", ack="AR", detail=exc.detail
        )
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
