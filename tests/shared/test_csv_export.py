"""CSV downloads open right in Excel: BOM, local times with offset, no formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shared.web.csv_export import BOM, attachment, csv_chunks, csv_text

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _rows(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


def test_a_document_starts_with_the_bom_and_shows_local_time_with_offset() -> None:
    at = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    text = csv_text(("name", "at"), [("张三", at)], SHANGHAI)
    assert _rows(text) == [["name", "at"], ["张三", "2026-12-07T09:30:00+08:00"]]


def test_cells_never_start_like_a_formula_and_none_is_empty() -> None:
    text = csv_text(("a", "b", "c"), [("=HYPERLINK(1)", "-1", None)])
    assert _rows(text)[1] == ["'=HYPERLINK(1)", "'-1", ""]


def test_streamed_pages_make_one_document_with_one_bom_and_one_header() -> None:
    chunks = list(csv_chunks(("n",), [[(1,), (2,)], [(3,)]]))
    assert len(chunks) == 2
    assert "".join(chunks).count(BOM) == 1
    assert _rows("".join(chunks)) == [["n"], ["1"], ["2"], ["3"]]
    assert _rows("".join(csv_chunks(("n",), []))) == [["n"]]


def test_the_file_name_is_made_safe_for_the_header() -> None:
    assert attachment('exposures-P1"; x.csv') == {
        "Content-Disposition": 'attachment; filename="exposures-P1___x.csv"'
    }
