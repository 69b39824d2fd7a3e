"""HL7 v2 ORU^R01 (2.3 to 2.5.1) -> patients and observation groups, with the `hl7` package.

Headers are checked by hand first (so a broken message still gets an ACK); the body is
parsed by `hl7.parse`. Segments of one message are walked in order: PID opens a patient,
ORC/OBR an order, OBX/NTE/SPM belong to the open order.

A broken field is a fault of the segment that owns it, not of the message: an OBX's own
fields (OBX-5/14/19) fault that OBX, OBR-3/7/22 and SPM-17 the order, PID-3 the patient.
The field is left empty and the fault kept, so the intake can refuse only what needed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

import hl7

from services.screening.feeds import terminology as t
from services.screening.feeds.findings import Code, FeedError, Group, Observed
from services.screening.feeds.hl7.time import parse_timestamp
from services.screening.feeds.patient import Patient, clean_text, usable_identifier

VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
# PID-3 identifier types that may be the hospital's person id (national ids never are).
_PERSON_ID_TYPES = frozenset({"", "MR", "MRN", "PI", "PT"})
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")


class Rejected(Exception):
    """A message that cannot be taken at all (MSA|AR): header, type, version."""

    def __init__(self, detail: str, code: str, where: str = "MSH") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.where = where


@dataclass
class Header:
    """What the ACK needs from MSH (raw, still escaped, for echoing)."""

    field_sep: str = "|"
    encoding: str = "^~\\&"
    fields: dict[int, str] = field(default_factory=dict)

    def get(self, number: int) -> str:
        """Raw MSH-n text ('' when absent)."""
        return self.fields.get(number, "")

    def first(self, number: int) -> str:
        """The first component of MSH-n."""
        return self.get(number).split(self.encoding[0])[0] if self.encoding else self.get(number)

    @property
    def control_id(self) -> str:
        """MSH-10."""
        return self.get(10)

    @property
    def version(self) -> str:
        """MSH-12 version id."""
        return self.first(12)


def read_header(text: str, name: str = "MSH") -> Header:
    """MSH (or BHS/FHS) fields; Rejected when its delimiters cannot be read."""
    if not text.startswith(name) or len(text) < 8:
        raise Rejected(f"the message does not start with an {name} segment", "100", name)
    sep = text[3]
    if sep.isalnum() or sep.isspace():
        raise Rejected(f"{name}-1 field separator is not valid", "102", name)
    first_segment = text.split("\r", 1)[0]
    parts = first_segment.split(sep)
    enc = parts[1] if len(parts) > 1 else ""
    # Four encoding characters, or five with the v2.7 truncation character (`^~\&#`).
    distinct = len(set(enc + sep)) == len(enc) + 1
    if len(enc) not in (4, 5) or not distinct or any(c.isalnum() or c.isspace() for c in enc):
        raise Rejected(f"{name}-2 encoding characters are broken", "102", name)
    fields = {n: value for n, value in enumerate(parts[1:], start=2) if n > 2}
    return Header(sep, enc, fields)


def check_header(header: Header) -> None:
    """Rejected unless this is an ORU^R01 we take, in a version we take, for production."""
    components = header.get(9).split(header.encoding[0])
    kind, event = components[0], components[1] if len(components) > 1 else ""
    if not header.control_id:
        raise Rejected("MSH-10 message control id is missing", "101")
    if kind != "ORU":
        raise Rejected(f"message type {kind or '(none)'} is not supported (ORU only)", "200")
    if event != "R01":
        raise Rejected(f"trigger event {event or '(none)'} is not supported (R01 only)", "201")
    if header.version not in VERSIONS:
        raise Rejected(f"HL7 version {header.version or '(none)'} is not supported", "203")
    if header.first(11) in ("T", "D"):
        raise Rejected("processing id T/D: only production (P) messages are taken", "202")


def _get(segment: Any, number: int, rep: int = 1, comp: int = 1, sub: int = 1) -> str:
    try:
        value = segment.extract_field(1, number, rep, comp, sub)
    except (IndexError, KeyError, TypeError, AttributeError):
        return ""
    return str(value).strip()


def _repetitions(segment: Any, number: int) -> int:
    if number >= len(segment):
        return 0
    value = segment(number)
    return max(1, sum(1 for part in value if isinstance(part, hl7.Repetition)))


def _codes(segment: Any, number: int) -> tuple[Code, ...]:
    codes = []
    for start in (1, 4):
        code = _get(segment, number, 1, start)
        if code:
            system = t.coding_system(_get(segment, number, 1, start + 2))
            codes.append(Code(system, code, _get(segment, number, 1, start + 1)))
    return tuple(codes)


def _patient(pid: Any) -> Patient:
    ids = []
    for rep in range(1, _repetitions(pid, 3) + 1):
        value, kind = _get(pid, 3, rep, 1), _get(pid, 3, rep, 5).upper()
        if kind in _PERSON_ID_TYPES and usable_identifier(value) and value not in ids:
            ids.append(value)
    if not ids:
        raise FeedError("PID-3 has no usable patient identifier", where="PID-3", code="101")
    family, given = _get(pid, 5, 1, 1), _get(pid, 5, 1, 2)
    return Patient(ids, clean_text(f"{family} {given}", 200), _birth_date(_get(pid, 7)))


def _birth_date(value: str) -> str | None:
    # Only shown in the inbox to help a person match a held result: a broken PID-7 is left
    # out rather than refusing the result it came with.
    try:
        born = parse_timestamp(value[:8], UTC, "PID-7")
    except FeedError:
        return None
    return born.date().isoformat() if born is not None and len(value) >= 8 else None


def _value(obx: Any, obs: Observed) -> None:
    """OBX-5/6/8 into `obs`; FeedError (after the rest is read) when NM/SN is not a number."""
    kind = _get(obx, 2).upper()
    unreadable = ""
    if kind in ("CE", "CWE", "CNE", "CF"):
        obs.value_codes = _codes(obx, 5)
        if not _get(obx, 5, 1, 1):
            obs.value_text = _get(obx, 5, 1, 9) or _get(obx, 5, 1, 2) or None
    elif kind in ("NM", "SN"):
        raw = _get(obx, 5, 1, 2) if kind == "SN" and _get(obx, 5, 1, 1) in ("", "=") else None
        raw = raw if raw is not None else _get(obx, 5, 1, 1)
        try:
            obs.value_number = float(raw) if raw else None
        except ValueError:
            unreadable = raw
    else:
        obs.value_text = clean_text(_get(obx, 5), 2000)
    obs.unit = clean_text(_get(obx, 6, 1, 1) or _get(obx, 6, 1, 2), 32)
    flags = (_get(obx, 8, rep) for rep in range(1, _repetitions(obx, 8) + 1))
    obs.interpretation = tuple(f for f in flags if f)
    if unreadable:
        where = f"{obs.where}-5"
        raise FeedError(f"{where} is not a number", where=where, code="102")


def _time(value: str, zone: tzinfo, where: str, faults: list[FeedError]) -> datetime | None:
    """A timestamp field; a broken one is None and a fault of its segment."""
    try:
        return parse_timestamp(value, zone, where)
    except FeedError as exc:
        faults.append(exc)
        return None


@dataclass
class _Order:
    accession: str
    obr: Any
    observations: list[tuple[Observed, datetime | None]] = field(default_factory=list)
    specimen_at: datetime | None = None
    specimen_ids: tuple[str, ...] = ()  # SPM-2: placer's and filler's specimen ids
    # Broken fields of the order (OBR-3/7/22, SPM-17) and of each OBX (by its `where`).
    faults: list[FeedError] = field(default_factory=list)
    obx_faults: dict[str, list[FeedError]] = field(default_factory=dict)


def _observed(obx: Any, order: _Order, position: int, zone: tzinfo) -> tuple[Observed, Any]:
    set_id = _get(obx, 1) or str(position)
    where = f"OBX[{set_id}]"
    faults = order.obx_faults.setdefault(where, [])
    raw_status = _get(obx, 11).upper()
    obs = Observed(
        result_id=f"{order.accession}-{set_id}",
        codes=_codes(obx, 3),
        where=where,
        status=t.HL7_RESULT_STATUS.get(raw_status),
        raw_status=raw_status,
        question=_get(obx, 29).upper() == "QST",
        resulted_at=_time(_get(obx, 19), zone, f"{where}-19", faults),
        performer=clean_text(_get(obx, 23, 1, 1) or _get(obx, 15, 1, 2), 200),
    )
    try:
        _value(obx, obs)
    except FeedError as exc:
        faults.append(exc)
    return obs, _time(_get(obx, 14), zone, f"{where}-14", faults)


@dataclass
class Order:
    """One order's observations as a group, and the faults of its broken fields."""

    group: Group
    faults: list[FeedError] = field(default_factory=list)
    obx_faults: dict[str, list[FeedError]] = field(default_factory=dict)


def _close(order: _Order, zone: tzinfo) -> Order:
    obr_time = _time(_get(order.obr, 7), zone, "OBR-7", order.faults)
    group = Group(
        [],
        resulted_at=_time(_get(order.obr, 22), zone, "OBR-22", order.faults),
        panel_result_id=None,
    )
    for obs, obx_time in order.observations:
        obs.specimen_collected_at = order.specimen_at or obr_time or obx_time
        obs.specimen_ids = order.specimen_ids
        group.observations.append(obs)
    panel = _codes(order.obr, 4)
    if any(c.system == t.LOINC and c.code == "58410-2" for c in panel) and order.observations:
        group.panel_result_id = order.observations[0][0].result_id
    faults = {where: found for where, found in order.obx_faults.items() if found}
    return Order(group, order.faults, faults)


@dataclass
class PatientResults:
    """One PID and the orders that follow it; `fault` when PID-3 names no one usable."""

    patient: Patient
    orders: list[Order] = field(default_factory=list)
    fault: FeedError | None = None

    @property
    def groups(self) -> list[Group]:
        """The observation groups, one per order."""
        return [order.group for order in self.orders]


def _open_patient(pid: Any) -> PatientResults:
    try:
        return PatientResults(_patient(pid))
    except FeedError as exc:
        return PatientResults(Patient([]), fault=exc)


def _open_order(obr: Any, orc: Any | None) -> _Order:
    accession = _get(obr, 3) or (_get(orc, 3) if orc is not None else "")
    if not accession:
        # Result ids are made from the accession: every result of this order is refused.
        fault = FeedError("no accession number (OBR-3 or ORC-3)", where="OBR-3", code="101")
        return _Order("", obr, faults=[fault])
    return _Order(accession, obr)


def read_oru(message: Any, zone: tzinfo) -> list[PatientResults]:
    """Every patient's orders of one parsed ORU^R01 (FeedError when its structure is broken)."""
    found: list[PatientResults] = []
    order: _Order | None = None
    orc: Any | None = None
    last_obs: Observed | None = None
    for segment in list(message)[1:]:
        name = str(segment[0]) if len(segment) else ""
        if name == "PID":
            if order is not None and found:
                found[-1].orders.append(_close(order, zone))
            order, orc, last_obs = None, None, None
            found.append(_open_patient(segment))
        elif name == "ORC":
            orc = segment
        elif name == "OBR":
            if not found:
                raise FeedError("OBR before any PID", where="OBR", code="100")
            if order is not None:
                found[-1].orders.append(_close(order, zone))
            order, last_obs = _open_order(segment, orc), None
            orc = None
        elif name == "OBX" and order is not None:
            obs, obx_time = _observed(segment, order, len(order.observations) + 1, zone)
            order.observations.append((obs, obx_time))
            last_obs = obs
        elif name == "NTE" and last_obs is not None:
            text = clean_text(_get(segment, 3), 2000)
            last_obs.note = clean_text(" ".join(filter(None, [last_obs.note, text])), 2000)
        elif name == "SPM" and order is not None:
            spm = _get(segment, 17, 1, 1, 1)
            at = _time(spm, zone, "SPM-17", order.faults) if spm else None
            order.specimen_at = order.specimen_at or at
            found_ids = (_get(segment, 2, 1, 1, 1), _get(segment, 2, 1, 2, 1))
            order.specimen_ids += tuple(i for i in found_ids if i and i not in order.specimen_ids)
    if order is not None and found:
        found[-1].orders.append(_close(order, zone))
    if not found:
        raise FeedError("the message has no PID segment", where="PID", code="100")
    return found


def parse_message(text: str) -> Any:
    """`hl7.parse` of one message whose header was checked; FeedError on broken segments."""
    for number, segment in enumerate(text.split("\r"), start=1):
        if segment and not _SEGMENT_ID.match(segment[:3]):
            raise FeedError(f"segment {number} is not a valid HL7 segment", code="100")
        if segment and len(segment) > 3 and segment[3] != text[3]:
            raise FeedError(f"segment {number} ({segment[:3]}) is broken", code="100")
    try:
        return hl7.parse(text)
    except (hl7.ParseException, ValueError, IndexError) as exc:
        raise FeedError("the message cannot be parsed", code="100") from exc
