"""discharges.csv for the people who open it: Excel-ready, hospital time, codes in words.

Each code column (where the patient went, the outcome, the reasons) has a column beside it
with the code in the reader's language. Built with
`shared.web.csv_export` (a BOM first, local times with their offset, no formula cells).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from services.discharge.discharges.schemas import DischargePublic
from services.discharge.ui.words import DISPOSITIONS, OUTCOMES, reason_text
from shared.web.csv_export import csv_chunks
from shared.web.ui import N_, Ui
from shared.web.ui.vocabulary import RESULTS, TEST_TYPES

# Headers: the codes of the API's CSV (English pages keep them, so scripts keep working);
# the Chinese catalogue puts each in words. Every code column has a words column beside it.
COLUMNS = (
    N_("id"),
    N_("created_at"),
    N_("patient_external_id"),
    N_("department"),
    N_("ward"),
    N_("disposition"),
    N_("disposition_words"),
    N_("outcome"),
    N_("outcome_words"),
    N_("reasons"),
    N_("reasons_words"),
    N_("reason"),
    N_("evidence"),
    N_("actor"),
    N_("admitted_at"),
    N_("rule_version"),
)


def _admitted(key: str) -> datetime | None:
    try:
        return datetime.fromisoformat(key)
    except ValueError:  # "unknown": screening did not know the admission
        return None


def _evidence(ui: Ui, d: DischargePublic) -> str:
    zone = ui.settings.timezone
    return "; ".join(
        " ".join(
            (
                ui.gettext(TEST_TYPES.get(e.test_type, e.test_type)),
                ui.gettext(RESULTS[e.result]) if e.result in RESULTS else str(e.result or ""),
                e.result_external_id,
                e.specimen_collected_at.astimezone(zone).isoformat(timespec="minutes"),
            )
        )
        for e in d.evidence
    )


def attempt_row(ui: Ui, d: DischargePublic) -> list[Any]:
    """One attempt as a CSV row (times stay datetimes: the writer puts them in local time)."""
    reasons = [r.model_dump(mode="json") for r in d.reasons]
    return [
        d.id,
        d.created_at,
        d.patient_external_id,
        d.department,
        d.ward,
        d.disposition,
        ui.gettext(DISPOSITIONS[d.disposition]),
        d.outcome,
        ui.gettext(OUTCOMES[d.outcome]),
        "; ".join(r["code"] for r in reasons),
        " ".join(reason_text(ui, r) for r in reasons),
        d.reason,
        _evidence(ui, d),
        d.actor,
        _admitted(d.admission_key),
        d.rule_version,
    ]


def attempts_csv(ui: Ui, pages: Iterator[list[DischargePublic]]) -> Iterator[str]:
    """The CSV text, one chunk per page of attempts (read while the client takes them)."""
    header = [ui.gettext(c) for c in COLUMNS]
    rows = ([attempt_row(ui, d) for d in page] for page in pages)
    return csv_chunks(header, rows, ui.settings.timezone)
