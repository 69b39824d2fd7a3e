"""HTTP in and out: specimens, pools of up to ten swabs, their results and the retests they open."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from services.screening.pools import labels, service
from services.screening.pools.schemas import (
    PoolCreate,
    PoolResultCreate,
    PoolView,
    RetestView,
    SpecimenCreate,
    SpecimenView,
)
from services.screening.web import utc_now
from shared.audit import Audit
from shared.auth import Principal, require
from shared.auth.roles import CLINICAL_WRITERS, READERS
from shared.auth.routes import AuthorizedRoute
from shared.db import DbSession
from shared.errors import NotFound
from shared.fields import IDENTIFIER_PATTERN
from shared.pagination import CursorParam, Limit, Page, page_size
from shared.vocabulary import RetestState

router = APIRouter(tags=["pools"], route_class=AuthorizedRoute)
Writer = Annotated[Principal, Depends(require(*CLINICAL_WRITERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]
Code = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)]


def _pool_max(request: Request) -> int:
    return int(request.app.state.settings.wardgate_pool_max)


@router.post(
    "/specimens",
    response_model=SpecimenView,
    status_code=201,
    summary="Record a collected specimen (a tube), optionally into a pool",
    description=(
        "201 with the specimen. The same body again: 200 (nothing written). The same "
        "`specimen_id` with another body: 409 `specimen_conflict`. A `pool_id` adds the "
        "specimen to that pool, created on first use (at most `WARDGATE_POOL_MAX` specimens: "
        "422 `pool_too_large`; a pool with a result: 409 `pool_closed`)."
    ),
    responses={
        200: {"description": "A retry: the stored specimen", "model": SpecimenView},
        404: {"description": "`unknown_person`"},
        409: {"description": "`specimen_conflict` or `pool_closed`"},
        422: {"description": "`validation_error` or `pool_too_large`"},
    },
)
def post_specimen(
    body: SpecimenCreate,
    request: Request,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Writer,
) -> SpecimenView:
    view, created = service.record_specimen(
        session, body, principal.sub, audit, utc_now(), pool_max=_pool_max(request)
    )
    response.status_code = 201 if created else 200
    return view


@router.get(
    "/specimens/{specimen_id}/label.pdf",
    summary="A tube label (PDF, about 50 x 30 mm): Code 128 of the specimen id",
    description="The label shows the barcode, the masked name and the collection time.",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The label"},
        404: {"description": "`unknown_specimen`"},
    },
)
def specimen_label(
    specimen_id: Code, request: Request, session: DbSession, audit: Audit, principal: Reader
) -> Response:
    pdf = labels.specimen_label(session, audit, specimen_id, request.app.state.settings.timezone)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{specimen_id.replace("/", "_")}.pdf"'},
    )


@router.post(
    "/pools",
    response_model=PoolView,
    status_code=201,
    summary="Put recorded specimens in a pool",
    description=(
        "201 with the pool (created on first use). Nothing new (every specimen already in "
        "this pool): 200. More than `WARDGATE_POOL_MAX` specimens: 422 `pool_too_large`; a "
        "specimen in another pool: 409 `specimen_pooled`; a pool with a result: 409 "
        "`pool_closed`; an unknown specimen id: 422 `unknown_specimen`."
    ),
    responses={
        200: {"description": "Nothing new: the pool", "model": PoolView},
        409: {"description": "`specimen_pooled` or `pool_closed`"},
        422: {"description": "`validation_error`, `pool_too_large` or `unknown_specimen`"},
    },
)
def post_pool(
    body: PoolCreate,
    request: Request,
    response: Response,
    session: DbSession,
    audit: Audit,
    principal: Writer,
) -> PoolView:
    view, changed = service.create_pool(
        session, body, principal.sub, audit, utc_now(), _pool_max(request)
    )
    response.status_code = 201 if changed else 200
    return view


@router.get(
    "/pools/{pool_id}",
    response_model=PoolView,
    summary="Read a pool: size, state and members",
    responses={404: {"description": "`unknown_pool`"}},
)
def get_pool(pool_id: Code, session: DbSession, audit: Audit, principal: Reader) -> PoolView:
    view = service.pool_view(session, pool_id)
    if view is None:
        raise NotFound("No pool with this pool_id.", code="unknown_pool")
    audit.record("pool.read", f"pool/{pool_id}")
    return view


@router.post(
    "/pools/{pool_id}/result",
    response_model=PoolView,
    summary="Record a pool's result: it becomes each member's pooled result",
    description=(
        "`negative`: every member gets a final pooled negative `nucleic_acid` result "
        "(`<external_id>:<specimen_id>`). `positive` or `indeterminate`: every member gets a "
        "preliminary pooled result (state `pending`) and an open retest. `corrected` and "
        "`entered_in_error` become new versions of the members' results. The same "
        "`external_id` and content again: 200, nothing new. One transaction per pool."
    ),
    responses={
        404: {"description": "`unknown_pool`"},
        409: {"description": "`result_conflict` or `pool_empty`"},
        422: {"description": "`validation_error` or `unknown_result`"},
    },
)
def post_pool_result(
    pool_id: Code, body: PoolResultCreate, session: DbSession, audit: Audit, principal: Writer
) -> PoolView:
    return service.record_pool_result(session, pool_id, body, principal.sub, audit, utc_now())


@router.get(
    "/retests",
    response_model=Page[RetestView],
    summary="Members of positive or indeterminate pools who need an individual test",
    description="Oldest first. `state` defaults to `open`.",
)
def list_retests(
    session: DbSession,
    audit: Audit,
    principal: Reader,
    state: RetestState = RetestState.OPEN,
    limit: Limit = None,
    cursor: CursorParam = None,
) -> Page[RetestView]:
    return service.open_retests(session, audit, state=state, size=page_size(limit), cursor=cursor)
