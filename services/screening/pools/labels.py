"""The tube label: a PDF of about 50 x 30 mm with a Code 128 barcode of the specimen id, the
masked name and the collection time (hospital local), drawn by reportlab."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.screening.persons import repository as persons
from services.screening.pools import repository as repo
from services.screening.results.service import AuditLog
from shared.errors import NotFound
from shared.masking import mask_name

# reportlab is imported when the first label is drawn, not at startup: its ~15 MB would
# push every screening process over its memory budget for a route used at collection desks.
MM = 72 / 25.4  # points per millimetre (reportlab.lib.units.mm)
LABEL_SIZE = (50 * MM, 30 * MM)
# An Adobe CID font every PDF reader has: Chinese names without embedding a font file.
_CJK_FONT = "STSong-Light"
_registered: list[bool] = []


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
        _registered.append(True)
    return _CJK_FONT


def draw_label(specimen_id: str, name_masked: str, collected_at: datetime, zone: ZoneInfo) -> bytes:
    """The label's PDF bytes (uncompressed: small, and its text is searchable)."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    width, height = LABEL_SIZE
    canvas = Canvas(out, pagesize=LABEL_SIZE, pageCompression=0)
    canvas.setTitle(f"Specimen {specimen_id}")
    barcode = Code128(specimen_id, barHeight=12 * mm, barWidth=0.25 * mm, quiet=False)
    if barcode.width > width - 4 * mm:  # a long id: narrower bars, still within the label
        barcode = Code128(
            specimen_id,
            barHeight=12 * mm,
            barWidth=(width - 4 * mm) / barcode.width * 0.25 * mm,
            quiet=False,
        )
    barcode.drawOn(canvas, (width - barcode.width) / 2, height - 15 * mm)
    canvas.setFont("Helvetica", 7)
    canvas.drawCentredString(width / 2, height - 18.5 * mm, specimen_id)
    canvas.setFont(_font(), 7)
    canvas.drawString(2 * mm, 6.5 * mm, name_masked)
    local = collected_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    canvas.setFont("Helvetica", 7)
    canvas.drawString(2 * mm, 2.5 * mm, local)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def specimen_label(session: Session, audit: AuditLog, specimen_id: str, zone: ZoneInfo) -> bytes:
    """The label of a stored specimen, audited; NotFound `unknown_specimen`."""
    specimen = repo.get_specimen(session, specimen_id)
    if specimen is None:
        raise NotFound("No specimen with this specimen_id.", code="unknown_specimen")
    person = persons.get_person(session, specimen.person_external_id)
    name = mask_name(person.name if person is not None else None) or "-"
    audit.record("specimen.label", f"specimen/{specimen_id}")
    return draw_label(specimen_id, name, specimen.collected_at, zone)
