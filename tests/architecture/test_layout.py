"""The shape of the code, checked on the source: one test per rule of the layout.

Rules (docs: the README's architecture section and the design notes):
1. pages (services/<svc>/ui/) never import a router nor the old api/ package;
2. routers never import a repository;
3. no import cycle between modules of services/ and shared/;
4. no service imports another service; shared never imports services;
5. domain/ is pure: standard library, its own domain/, shared.vocabulary, shared.counting, orjson;
6. one vocabulary: code lists in shared/vocabulary.py, the identifier regex in shared/fields.py,
   phone masking in shared/masking.py;
7. no module over 400 lines.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.architecture import layout_rules as rules

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(
    path.name
    for path in (ROOT / "services").iterdir()
    if path.is_dir() and (path / "__init__.py").exists()
)


def _holds(violations: list[str]) -> None:
    """Fail with one line per violation (file:line and the import or definition at fault)."""
    if violations:
        pytest.fail(rules.report(violations), pytrace=False)


@cache
def codebase() -> rules.Codebase:
    """The repository's services/ and shared/, parsed once per run."""
    return rules.load(ROOT)


@pytest.mark.parametrize("service", SERVICES)
def test_pages_never_import_routers(service: str) -> None:
    """Rule 1: ui/ calls <feature>.service functions, never routers or api/ modules."""
    violations = rules.ui_imports_routers(codebase(), service)
    _holds(violations)


@pytest.mark.parametrize("service", SERVICES)
def test_routers_never_import_repositories(service: str) -> None:
    """Rule 2: a router calls one service function; SQL stays in the repository behind it."""
    violations = rules.routers_import_repositories(codebase(), service)
    _holds(violations)


def test_no_import_cycles() -> None:
    """Rule 3: imports between modules of services/ and shared/ form no cycle."""
    violations = rules.import_cycles(codebase())
    _holds(violations)


@pytest.mark.parametrize("owner", [*SERVICES, "shared"])
def test_no_imports_across_services(owner: str) -> None:
    """Rule 4: services/<a> never imports services/<b>; shared never imports services."""
    violations = rules.cross_package_imports(codebase(), owner)
    _holds(violations)


@pytest.mark.parametrize("service", SERVICES)
def test_domain_is_pure(service: str) -> None:
    """Rule 5: domain/ imports no web framework, database or HTTP client, nor the service."""
    violations = rules.impure_domain_imports(codebase(), service)
    _holds(violations)


def test_code_lists_spelled_once() -> None:
    """Rule 6a: test types, categories and result statuses are spelled in shared/vocabulary."""
    violations = rules.vocabulary_copies(codebase())
    _holds(violations)


def test_identifier_regex_written_once() -> None:
    """Rule 6b: the identifier regex lives in shared/fields.py only."""
    violations = rules.identifier_regex_copies(codebase())
    _holds(violations)


def test_one_phone_masking_rule() -> None:
    """Rule 6c: mask_phone is defined in shared/masking.py and nowhere else."""
    violations = rules.phone_maskers(codebase())
    _holds(violations)


def test_no_module_over_400_lines() -> None:
    """Rule 7: every module of services/ and shared/ stays under 400 lines."""
    violations = rules.long_modules(codebase())
    _holds(violations)
