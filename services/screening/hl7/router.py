"""HL7 v2 over HTTP: one ORU^R01 message or an FHS/BHS batch in, the ACKs out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.screening.hl7.service import receive
from services.screening.intake.service import Feeder
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import INTEGRATION
from shared.db import DbSession
from shared.errors import Problem

router = APIRouter(tags=["HL7 v2"])
HL7_MEDIA_TYPES = (
    "application/hl7-v2",
    "application/hl7-v2+er7",
    "x-application/hl7-v2+er7",
    "text/plain",
)
_EXAMPLE = (
    "MSH|^~\\&|LIS|LAB|WARDGATE|HOSP|20240110093000+0800||ORU^R01^ORU_R01|MSG0001|P|2.5.1\r"
    "PID|1||P100^^^HOSP^MR||Zhang^San\r"
    "OBR|1||ACC123|94500-6^SARS-CoV-2 RNA^LN|||20240110080000+0800\r"
    "OBX|1|CWE|94500-6^SARS-CoV-2 RNA^LN||260415000^Not detected^SCT||||||F\r"
)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def _media_type(header: str | None) -> tuple[str, str | None]:
    parts = [p.strip() for p in (header or "").split(";")]
    charset = None
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return parts[0].lower(), charset


@router.post(
    "/hl7/v2",
    summary="Receive HL7 v2 ORU^R01 results (one message or an FHS/BHS batch)",
    description=(
        "The body is ER7 text (`application/hl7-v2` or `text/plain`; segments end in CR, LF "
        "is accepted). The answer is 200 with the ACK per message in the same content type: "
        "`MSA|AA` accepted (MSA-3 says what was stored, held in the inbox, ignored as other "
        "tests' results, or skipped as a broken field nothing needed: ERR severity I/W), "
        "`MSA|AE` when a result was refused for its own fault (an ERR names each; the "
        "message's other results are stored and MSA-3 counts them), `MSA|AR` "
        "for an unsupported message type, version or processing id, or a message that "
        "cannot be read. A batch is answered with a BHS/BTS (and FHS/FTS) batch of ACKs. "
        "A re-sent MSH-10 control id, or the same accession and OBX set id again, stores "
        "nothing new. See docs/integration.md. Integration clients only."
    ),
    response_class=Response,
    responses={
        200: {
            "content": {
                t: {"example": "MSH|^~\\&|...\rMSA|AA|MSG0001|stored 1"} for t in HL7_MEDIA_TYPES
            }
        },
        415: {"description": "Not an HL7 v2 content type"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string"}, "example": _EXAMPLE} for t in HL7_MEDIA_TYPES
            },
        }
    },
)
def post_hl7_v2(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    session: DbSession,
    audit: Audit,
    principal: Annotated[Principal, Depends(require(INTEGRATION))],
) -> Response:
    media_type, charset = _media_type(request.headers.get("content-type"))
    if media_type not in HL7_MEDIA_TYPES:
        raise Problem(
            "Send HL7 v2 as application/hl7-v2 or text/plain.",
            status=415,
            code="unsupported_media_type",
        )
    feeder = Feeder(principal.sub, "hl7", audit)
    zone = request.app.state.settings.timezone
    answer = receive(session, body, feeder, zone, utc_now(), charset)
    return Response(answer.encode("utf-8"), media_type=f"{media_type}; charset=utf-8")
