"""The service stack (middleware, errors, auth) around a constant answer, to price auth."""

from fastapi import APIRouter, Depends

from shared.audit import define_audit_table
from shared.auth import require
from shared.db import service_metadata
from shared.settings import WardGateSettings
from shared.web.app import create_service_app

router = APIRouter()


@router.get("/whoami", dependencies=[Depends(require("nurse"))])
async def whoami() -> dict[str, str]:
    """A constant answer behind the auth dependency."""
    return {"status": "ok"}


app = create_service_app(
    settings=WardGateSettings(service_name="bench"),
    title="bench",
    description="auth overhead",
    audit_table=define_audit_table(service_metadata()),
    routers=[router],
)
