"""Dependencies the discharge routers share: the screening client, the rule, who may call."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from services.discharge.clients.screening import ScreeningClient, screening_client
from services.discharge.domain.discharge_rule import RuleWindows
from services.discharge.settings import DischargeSettings
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS, REPORT_READERS


async def _windows(request: Request) -> RuleWindows:
    settings: DischargeSettings = request.app.state.settings
    return settings.rule_windows()


async def _zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.settings.timezone
    return zone


Screening = Annotated[ScreeningClient, Depends(screening_client)]
Windows = Annotated[RuleWindows, Depends(_windows)]
HospitalZone = Annotated[ZoneInfo, Depends(_zone)]
# Checks and home/transfer discharges: the clinical writers of the contract's role table.
ClinicalWriter = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]
# Stored checks, discharges and the compliance report: infection control, auditors, admins.
ReportReader = Annotated[Principal, Depends(require(*REPORT_READERS))]
