"""Patients' names for the discharge pages, asked of the screening service (discharge keeps none).

One `GET /persons/{id}` per distinct patient of a page of rows, all at once (at most
`AT_ONCE` in flight) through the service's one pooled screening client, under one deadline.
A name screening cannot give in time is simply not shown: the id always is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import anyio.from_thread

from services.discharge.clients.screening import ScreeningClient
from shared.auth import Principal
from shared.service_client import Deadline

AT_ONCE = 10


async def patient_names(
    client: ScreeningClient, principal: Principal, external_ids: Iterable[str], timeout_s: float
) -> dict[str, str]:
    """{external id: name} for the patients screening knows, asked concurrently."""
    wanted = list(dict.fromkeys(external_ids))
    if not wanted:
        return {}
    deadline, gate = Deadline.after(timeout_s), asyncio.Semaphore(AT_ONCE)

    async def one(external_id: str) -> str | None:
        async with gate:
            return await client.person_name(principal, external_id, deadline)

    names = await asyncio.gather(*(one(i) for i in wanted))
    return {i: n for i, n in zip(wanted, names, strict=True) if n}


def patient_names_blocking(
    client: ScreeningClient, principal: Principal, external_ids: Iterable[str], timeout_s: float
) -> dict[str, str]:
    """`patient_names` from a page running in a worker thread (on the app's event loop)."""
    ids = list(external_ids)
    return anyio.from_thread.run(patient_names, client, principal, ids, timeout_s)
