"""Where reports go and how: a FHIR endpoint over HTTP, or an MLLP host:port (HL7 v2.5.1).

Each `send` answers None when the receiver took the report (2xx; `MSA|AA`) and a short error
otherwise. Errors name the failure only, never the report's content (no personal data).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Final

import httpx

from services.screening.feeds.hl7.frames import END, START
from services.screening.settings import ScreeningSettings
from shared.service_client import Deadline, ServiceClient

FHIR_JSON: Final = "application/fhir+json"
REPORT_ID_HEADER: Final = "X-WardGate-Report-Id"
_MOST_ACK: Final = 1024 * 1024


class ReportConfigError(RuntimeError):
    """The report destination is configured wrongly (the service refuses to start)."""


@dataclass(frozen=True)
class FhirTarget:
    """POST the Bundle to `url` (with a bearer token when one is set)."""

    url: str
    token: str | None
    channel: str = "fhir"


@dataclass(frozen=True)
class MllpTarget:
    """Send the ORU^R01 over MLLP to host:port; delivered on `MSA|AA`."""

    host: str
    port: int
    channel: str = "mllp"


Target = FhirTarget | MllpTarget


def report_target(settings: ScreeningSettings) -> Target | None:
    """The configured destination, or None (reports then stay pending)."""
    url = (settings.wardgate_report_url or "").strip()
    mllp = (settings.wardgate_report_mllp or "").strip()
    if url and mllp:
        raise ReportConfigError(
            "Set WARDGATE_REPORT_URL or WARDGATE_REPORT_MLLP, not both: reports go to one place."
        )
    if url:
        if not url.startswith(("http://", "https://")):
            raise ReportConfigError("WARDGATE_REPORT_URL must be an http(s) URL.")
        return FhirTarget(url, settings.wardgate_report_token or None)
    if mllp:
        host, _, port = mllp.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ReportConfigError("WARDGATE_REPORT_MLLP must be host:port.")
        return MllpTarget(host.strip("[]"), int(port))
    return None


async def post_bundle(
    http: ServiceClient, target: FhirTarget, report_id: int, body: bytes, timeout_s: float
) -> str | None:
    """POST one Bundle; None on 2xx."""
    headers = {
        "Content-Type": FHIR_JSON,
        "Accept": FHIR_JSON,
        REPORT_ID_HEADER: f"report-{report_id}",
    }
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    try:
        answer = await http.call(
            "POST", target.url, Deadline.after(timeout_s), content=body, headers=headers
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"
    if not 200 <= answer.status_code < 300:
        return f"HTTP {answer.status_code}"
    return None


def ack_code(ack: bytes) -> str | None:
    """MSA-1 of an ACK (AA, AE, AR, CA...), or None when there is no MSA segment."""
    text = ack.decode("utf-8", "replace")
    for segment in text.replace("\n", "\r").split("\r"):
        segment = segment.strip().lstrip("\x0b")
        if segment.startswith("MSA"):
            fields = segment.split(segment[3:4] or "|")
            return fields[1].strip().upper() if len(fields) > 1 else None
    return None


async def _exchange(target: MllpTarget, message: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(target.host, target.port)
    try:
        writer.write(START + message + END)
        await writer.drain()
        answer = bytearray()
        while END not in answer:
            chunk = await reader.read(65536)
            if not chunk:
                break
            answer += chunk
            if len(answer) > _MOST_ACK:
                break
        return bytes(answer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def send_mllp(target: MllpTarget, message: str, timeout_s: float) -> str | None:
    """Send one message over MLLP and read its ACK; None on `MSA|AA`."""
    try:
        async with asyncio.timeout(timeout_s):
            ack = await _exchange(target, message.encode())
    except TimeoutError:
        return "MLLP: no ACK in time"
    except OSError as exc:
        return f"MLLP: {type(exc).__name__}"
    code = ack_code(ack)
    if code == "AA":
        return None
    return f"MLLP: ACK {code}" if code else "MLLP: no ACK"
