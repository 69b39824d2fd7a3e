"""The screening code table (`loinc.csv`): which LOINC code means which test, in what role.

The table is data, not code: it names its sources and versions in its `#` header (LOINC
version, the CDC LIVD SARS-CoV-2 mapping it was checked against, the table's own date), and an
operator can read or extend it without reading Python. It is read once, on first use, and
checked whole: a malformed row stops the service from starting its feeds, never guesses.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from shared.vocabulary import TestType

RESULT: Final = "result"
GENE_TARGET: Final = "gene_target"
CT_VALUE: Final = "ct_value"
REVIEW: Final = "review"
PANEL: Final = "panel"
COMPONENT: Final = "component"
UNMAPPED: Final = "unmapped"
OTHER_TEST: Final = "other_test"
ROLES: Final = frozenset(
    {RESULT, GENE_TARGET, CT_VALUE, REVIEW, PANEL, COMPONENT, UNMAPPED, OTHER_TEST}
)
# Roles under which a stored result may carry the code as its `loinc` (the code it was sent as).
STORED_ROLES: Final = frozenset({RESULT, GENE_TARGET, REVIEW, PANEL})
_TEST_TYPES: Final = frozenset(TestType)
_LOINC: Final = re.compile(r"^[0-9]{1,7}-[0-9]$")
_COLUMNS: Final = ["loinc", "role", "test_type", "value_name", "long_common_name", "note"]


@dataclass(frozen=True)
class CodeRow:
    """One row of the table."""

    loinc: str
    role: str
    test_type: str | None
    value_name: str | None
    name: str
    note: str


def _row(line: int, values: dict[str, str]) -> CodeRow:
    loinc, role, test_type = values["loinc"], values["role"], values["test_type"] or None
    problem = None
    if not _LOINC.match(loinc):
        problem = f"'{loinc}' is not a LOINC code"
    elif role not in ROLES:
        problem = f"unknown role '{role}'"
    elif test_type is not None and test_type not in _TEST_TYPES:
        problem = f"unknown test type '{test_type}'"
    elif (test_type is None) != (role in (UNMAPPED, OTHER_TEST)):
        problem = f"role '{role}' and test type '{test_type}' do not go together"
    elif (role == COMPONENT) != bool(values["value_name"]):
        problem = "value_name is for components only, and every component needs one"
    if problem:
        raise ValueError(f"loinc.csv line {line}: {problem}")
    return CodeRow(
        loinc,
        role,
        test_type,
        values["value_name"] or None,
        values["long_common_name"],
        values["note"],
    )


def parse_table(text: str) -> tuple[dict[str, str], dict[str, CodeRow]]:
    """(header facts, rows by code) of a code table's text; ValueError naming a bad line."""
    facts: dict[str, str] = {}
    lines = text.splitlines()
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):  # the header comes first
        key, _, value = lines[skipped][1:].partition(":")
        if value and " " not in key.strip():
            facts[key.strip()] = value.strip()
        skipped += 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[skipped:])))
    if reader.fieldnames != _COLUMNS:
        raise ValueError(f"loinc.csv columns must be {', '.join(_COLUMNS)}")
    rows: dict[str, CodeRow] = {}
    for values in reader:
        line = reader.line_num + skipped
        row = _row(line, values)
        if row.loinc in rows:
            raise ValueError(f"loinc.csv line {line}: {row.loinc} is listed twice")
        rows[row.loinc] = row
    return facts, rows


@cache
def _loaded() -> tuple[dict[str, str], dict[str, CodeRow]]:
    text = resources.files(__package__).joinpath("loinc.csv").read_text(encoding="utf-8")
    return parse_table(text)


def table() -> dict[str, CodeRow]:
    """Every row, by LOINC code."""
    return _loaded()[1]


def source() -> dict[str, str]:
    """The table's header facts: `table-version`, `loinc-version`, `livd-source`, ..."""
    return dict(_loaded()[0])


def stored_codes(test_type: str) -> frozenset[str]:
    """The LOINC codes a result of `test_type` may be stored under (the code it was sent as)."""
    return _stored_codes(test_type)


@cache
def _stored_codes(test_type: str) -> frozenset[str]:
    return frozenset(
        r.loinc for r in table().values() if r.test_type == test_type and r.role in STORED_ROLES
    )
