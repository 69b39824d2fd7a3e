"""Self-checks of the layout rules: each one, fed a small tree that breaks it, must say so.

Every case writes a synthetic services/ + shared/ tree under tmp_path; `caught` is a text the
violation must contain (None: the tree keeps the rule and nothing may be reported).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.architecture import layout_rules as rules

Rule = Callable[[rules.Codebase], list[str]]

SKELETON = {
    "services/__init__.py": "",
    "services/a/__init__.py": "",
    "services/b/__init__.py": "",
    "services/a/bookings/__init__.py": "",
    "services/a/bookings/router.py": "from services.a.bookings import service\n",
    "services/a/bookings/service.py": "from services.a.bookings import repository\n",
    "services/a/bookings/repository.py": "from services.a import models\n",
    "services/a/api/__init__.py": "",
    "services/a/api/deps.py": "",
    "services/a/repository/__init__.py": "",
    "services/a/repository/rows.py": "",
    "services/a/models.py": "import sqlalchemy\n",
    "services/a/domain/__init__.py": "",
    "services/a/domain/other.py": "",
    "services/a/ui/__init__.py": "",
    "shared/__init__.py": "",
    "shared/vocabulary.py": 'CODES = ("nucleic_acid", "chest_ct", "staff", "inpatient")\n',
    "shared/fields.py": 'IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\\-/]{0,63}$"\n',
    "shared/masking.py": "def mask_phone(value):\n    return value\n",
}

PAGE = "services/a/ui/page.py"
ROUTER = "services/a/bookings/router.py"
DOMAIN = "services/a/domain/rule.py"


def ui(code: rules.Codebase) -> list[str]:
    return rules.ui_imports_routers(code, "a")


def router(code: rules.Codebase) -> list[str]:
    return rules.routers_import_repositories(code, "a")


def across_a(code: rules.Codebase) -> list[str]:
    return rules.cross_package_imports(code, "a")


def across_shared(code: rules.Codebase) -> list[str]:
    return rules.cross_package_imports(code, "shared")


def domain(code: rules.Codebase) -> list[str]:
    return rules.impure_domain_imports(code, "a")


CASES: list[tuple[str, Rule, dict[str, str], str | None]] = [
    ("1 page->router", ui, {PAGE: "from services.a.bookings.router import book\n"}, "router"),
    ("1 page->api relative", ui, {PAGE: "from ..api import deps\n"}, "services.a.api.deps"),
    (
        "1 page->api in function",
        ui,
        {PAGE: "def f():\n    import services.a.api.deps\n"},
        "page.py:2",
    ),
    ("1 page->service ok", ui, {PAGE: "from services.a.bookings import service\n"}, None),
    (
        "2 router->repository",
        router,
        {ROUTER: "from . import repository\n"},
        "services.a.bookings.repository",
    ),
    (
        "2 router->repository package",
        router,
        {ROUTER: "def f():\n    from services.a.repository.rows import Row\n"},
        "router.py:2",
    ),
    ("2 api->repository", router, {"services/a/api/x.py": "from ..repository import rows\n"}, "x"),
    ("2 router->service ok", router, {}, None),
    (
        "3 cycle",
        rules.import_cycles,
        {
            "services/a/feeds/__init__.py": "",
            "services/a/feeds/models.py": "from ..models import X\n",
            "services/a/models.py": "def f():\n    from services.a.feeds import models\n",
        },
        "services.a.feeds.models -> (services/a/feeds/models.py:1) services.a.models"
        " -> (services/a/models.py:2) services.a.feeds.models",
    ),
    ("3 no cycle", rules.import_cycles, {}, None),
    ("4 service->service", across_a, {"services/a/x.py": "import services.b.y\n"}, "services.b"),
    ("4 shared->service", across_shared, {"shared/x.py": "from services.a import models\n"}, "x"),
    (
        "4 service->shared ok",
        across_a,
        {"services/a/x.py": "from shared import vocabulary\n"},
        None,
    ),
    ("5 domain->sqlalchemy", domain, {DOMAIN: "from sqlalchemy import select\n"}, "database"),
    ("5 domain->service", domain, {DOMAIN: "from ..models import X\n"}, "services.a.models"),
    ("5 domain->shared.db", domain, {DOMAIN: "from shared import fields\n"}, "shared.fields"),
    (
        "5 domain pure ok",
        domain,
        {DOMAIN: "import datetime\nfrom shared.vocabulary import T\nfrom .other import Y\n"},
        None,
    ),
    (
        "6 Literal of test types",
        rules.vocabulary_copies,
        {"services/a/schemas.py": 'T = Literal["nucleic_acid", "chest_ct"]\n'},
        "test types",
    ),
    (
        "6 nested table of statuses",
        rules.vocabulary_copies,
        {"services/a/x.py": 'S = frozenset({("final", 1), ("corrected", 2)})\n'},
        "result statuses",
    ),
    (
        "6 local enum of categories",
        rules.vocabulary_copies,
        {"services/a/x.py": 'class C(StrEnum):\n    STAFF = "staff"\n    CARER = "caregiver"\n'},
        "categories",
    ),
    (
        "6 one code ok",
        rules.vocabulary_copies,
        {"services/a/x.py": 'T = ("nucleic_acid", "positive")\n'},
        None,
    ),
    (
        "6 identifier regex copy",
        rules.identifier_regex_copies,
        {"services/a/x.py": 'ID = r"^[A-Za-z0-9][A-Za-z0-9._:\\-/]*$"\n'},
        "services/a/x.py:1",
    ),
    ("6 identifier regex once", rules.identifier_regex_copies, {}, None),
    (
        "6 second phone masker",
        rules.phone_maskers,
        {"services/a/privacy.py": "def mask_phone(v):\n    return v\n"},
        "services/a/privacy.py:1",
    ),
    ("6 one phone masker", rules.phone_maskers, {}, None),
    ("7 401 lines", rules.long_modules, {"shared/big.py": "x = 1\n" * 401}, "401 lines"),
    ("7 400 lines ok", rules.long_modules, {"shared/big.py": "x = 1\n" * 400}, None),
]


def build(root: Path, files: dict[str, str]) -> rules.Codebase:
    """Write the skeleton plus `files` under root and parse it."""
    for relative, text in {**SKELETON, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return rules.load(root)


@pytest.mark.parametrize(
    ("rule", "files", "caught"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_catches_its_violation(
    tmp_path: Path, rule: Rule, files: dict[str, str], caught: str | None
) -> None:
    """The rule reports the planted violation (and nothing on a tree that keeps it)."""
    violations = rule(build(tmp_path, files))
    if caught is None:
        assert violations == []
    else:
        assert violations, "the planted violation was not reported"
        assert any(caught in line for line in violations), violations
