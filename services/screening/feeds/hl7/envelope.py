"""An HL7 v2 body read as messages: its character set, segment ends, FHS/BHS batch, first MSH.

Pure: no database, nothing of what becomes of the messages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from services.screening.feeds.hl7 import ack as hl7_ack
from services.screening.feeds.hl7.mapping import Header, Rejected, read_header

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


class Malformed(Exception):
    """A body that is not readable HL7 v2 (refused whole with an AR)."""

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
    """The body as text with `\\r` segment ends; Malformed when it is not readable HL7."""
    if b"\x00" in data:
        raise Malformed("the message contains NUL bytes")
    try:
        text = data.decode(_charset(data.lstrip(b"\x0b"), declared_charset))
    except (LookupError, UnicodeDecodeError) as exc:
        raise Malformed("the message is not in its declared character set") from exc
    text = text.strip(_FRAMING).replace("\r\n", "\r").replace("\n", "\r")
    if not text:
        raise Malformed("the message is empty", "101")
    if _CONTROL.search(text):
        raise Malformed("the message contains control characters")
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
            raise Malformed(f"segment {name} outside any message")
        else:
            parts[-1].append(segment)
    if not parts:
        raise Malformed("no MSH segment: this is not an HL7 v2 message")
    envelope.messages = ["\r".join(p) for p in parts]
    return envelope


def fingerprint(text: str, header: Header) -> str:
    """A digest of the message without MSH-7 (a re-send differs only in its time)."""
    stable = text.replace(header.get(7), "", 1) if header.get(7) else text
    return hashlib.sha256(stable.encode()).hexdigest()


def first_header(data: bytes) -> Header | None:
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
    header = first_header(data)
    answer = hl7_ack.ack(header, "AR", detail, now.astimezone(zone), error=(code, detail))
    return answer, header.control_id if header is not None else ""
