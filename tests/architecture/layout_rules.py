"""The layout rules as functions over a parsed source tree (AST only, nothing imported).

Each rule takes a `Codebase` and returns violations as printable lines naming the file, the
line and the import or definition at fault; an empty list means the rule holds.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from tests.architecture.graph import one_cycle, strongly_connected

PACKAGES = ("services", "shared")
MAX_LINES = 400

# Rule 5: what a pure domain module may import besides the standard library and its own
# service's domain/. orjson: versions.py serialises a result canonically to hash it (no I/O).
DOMAIN_ALLOWED = ("shared.vocabulary", "shared.counting", "orjson")
DOMAIN_FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "httpx")

# Rule 6: the contract's code lists, spelled only in shared/vocabulary.py.
CODE_LISTS = {
    "test types": frozenset(
        {"nucleic_acid", "antibody_igm", "antibody_igg", "chest_ct", "blood_routine"}
    ),
    "categories": frozenset({"staff", "inpatient", "outpatient", "caregiver", "public"}),
    "result statuses": frozenset({"preliminary", "final", "corrected", "entered_in_error"}),
}
VOCABULARY_HOMES = ("shared/vocabulary.py", "shared/web/ui/vocabulary.py")
IDENTIFIER_HOME = "shared/fields.py"
IDENTIFIER_REGEX = re.compile(re.escape("[A-Za-z0-9][A-Za-z0-9._:"))
MASKING_HOME = "shared/masking.py"
PHONE_MASKER = re.compile(r"mask.*phone|phone.*mask", re.IGNORECASE)


@dataclass(frozen=True)
class Module:
    """One parsed source file."""

    name: str
    path: str
    tree: ast.Module
    lines: int

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        if self.path.endswith("__init__.py"):
            return self.name
        return self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to a dotted name."""

    source: Module
    target: str
    line: int

    def where(self) -> str:
        """`path:line` of the statement."""
        return f"{self.source.path}:{self.line}"


@dataclass
class Codebase:
    """Every module under services/ and shared/, and every import they make."""

    modules: dict[str, Module] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)


def module_name(relative: Path) -> str:
    """services/x/y.py -> services.x.y; a package's __init__.py names the package."""
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def load(root: Path) -> Codebase:
    """Parse every .py file under root/services and root/shared."""
    code = Codebase()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            relative = path.relative_to(root)
            try:
                source = path.read_text(encoding="utf-8")
            except FileNotFoundError:  # moved away while we read (helpers at work)
                continue
            tree = ast.parse(source, filename=str(relative))
            name = module_name(relative)
            lines = len(source.splitlines())
            code.modules[name] = Module(name, relative.as_posix(), tree, lines)
    for module in code.modules.values():
        code.imports.extend(_imports(module, code.modules))
    return code


def _known(name: str, modules: dict[str, Module]) -> str:
    """The longest prefix of `name` that is a module of the tree (else `name` itself)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return name


def _imports(module: Module, modules: dict[str, Module]) -> Iterator[Import]:
    """Every import of the module, top level and inside functions, relative ones resolved."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, _known(alias.name, modules), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            base = node.module or ""
            if node.level:
                package = module.package.split(".")
                anchor = ".".join(package[: len(package) - (node.level - 1)])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in modules else _known(base, modules)
                yield Import(module, target, node.lineno)


def _unique(lines: Iterable[str]) -> list[str]:
    """Each violation once (one statement may import several names of one module)."""
    return list(dict.fromkeys(lines))


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def services(code: Codebase) -> list[str]:
    """The service packages (services/<svc>/)."""
    return sorted({m.split(".")[1] for m in code.modules if m.startswith("services.")})


def _is_router(name: str) -> bool:
    parts = name.split(".")
    return parts[-1] == "router" or (len(parts) > 3 and parts[2] == "api")


def _is_repository(name: str) -> bool:
    return "repository" in name.split(".")[2:]


# Rule 1 ------------------------------------------------------------------------------------
def ui_imports_routers(code: Codebase, service: str) -> list[str]:
    """Pages call <feature>.service functions, never a router nor the old api/ package."""
    ui = f"services.{service}.ui"
    return _unique(
        f"{imp.where()}: page module {imp.source.name} imports {imp.target} "
        "(pages call <feature>.service, never a router or api/ module)"
        for imp in code.imports
        if _under(imp.source.name, ui)
        and imp.target.startswith("services.")
        and (imp.target.split(".")[-1] == "router" or imp.target.split(".")[2:3] == ["api"])
    )


# Rule 2 ------------------------------------------------------------------------------------
def routers_import_repositories(code: Codebase, service: str) -> list[str]:
    """A router (router.py, or a module of the old api/ package) never imports a repository."""
    prefix = f"services.{service}"
    return _unique(
        f"{imp.where()}: router {imp.source.name} imports repository {imp.target} "
        "(routers call one <feature>.service function; SQL stays behind it)"
        for imp in code.imports
        if _under(imp.source.name, prefix)
        and _is_router(imp.source.name)
        and imp.target.startswith("services.")
        and _is_repository(imp.target)
    )


# Rule 3 ------------------------------------------------------------------------------------
def import_cycles(code: Codebase) -> list[str]:
    """Every strongly connected group of modules, shown as one cycle with file:line per edge."""
    edges: dict[str, dict[str, Import]] = {name: {} for name in code.modules}
    for imp in code.imports:
        if imp.target in code.modules and imp.target != imp.source.name:
            edges[imp.source.name].setdefault(imp.target, imp)
    found = []
    for group in strongly_connected(edges):
        if len(group) < 2:
            continue
        cycle = one_cycle(min(group), edges, group)
        steps = "".join(f" -> ({edges[a][b].where()}) {b}" for a, b in pairwise([*cycle, cycle[0]]))
        found.append(f"import cycle among {len(group)} modules: {cycle[0]}{steps}")
    return found


# Rule 4 ------------------------------------------------------------------------------------
def cross_package_imports(code: Codebase, owner: str) -> list[str]:
    """services/<a> never imports services/<b>; shared never imports services."""
    source_prefix = "shared" if owner == "shared" else f"services.{owner}"
    allowed = None if owner == "shared" else f"services.{owner}"
    return _unique(
        f"{imp.where()}: {imp.source.name} imports {imp.target} "
        + (
            "(shared never imports services)"
            if owner == "shared"
            else "(services talk over HTTP through shared's client, never by import)"
        )
        for imp in code.imports
        if _under(imp.source.name, source_prefix)
        and imp.target.startswith("services.")
        and (allowed is None or not _under(imp.target, allowed))
    )


# Rule 5 ------------------------------------------------------------------------------------
def _pure(target: str, domain: str) -> bool:
    """Standard library, the service's own domain/, or an allowed pure module."""
    if target.split(".")[0] in sys.stdlib_module_names or _under(target, domain):
        return True
    return any(_under(target, allowed) for allowed in DOMAIN_ALLOWED)


def impure_domain_imports(code: Codebase, service: str) -> list[str]:
    """domain/ imports the standard library, its own domain/ and the pure shared modules only."""
    domain = f"services.{service}.domain"
    found = []
    for imp in code.imports:
        if not _under(imp.source.name, domain):
            continue
        top = imp.target.split(".")[0]
        if top in DOMAIN_FORBIDDEN:
            why = "the web framework, the database and HTTP stay out of domain/"
        elif _pure(imp.target, domain):
            continue
        else:
            why = f"domain/ may import the standard library, its own domain/ and {DOMAIN_ALLOWED}"
        found.append(f"{imp.where()}: {imp.source.name} imports {imp.target} ({why})")
    return _unique(found)


# Rule 6 ------------------------------------------------------------------------------------
def _strings(node: ast.AST) -> Iterator[str]:
    """String constants of a literal, nested tuples/lists/sets included."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _strings(element)


def _literals(tree: ast.AST) -> Iterator[tuple[int, list[str]]]:
    """(line, strings) of every outermost tuple/list/set literal and of every class body."""
    seen: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and id(node) not in seen:
            for inner in ast.walk(node):
                seen.add(id(inner))
            yield node.lineno, list(_strings(node))
        elif isinstance(node, ast.ClassDef):
            values = [
                stmt.value.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign | ast.AnnAssign)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ]
            yield node.lineno, values


def vocabulary_copies(code: Codebase) -> list[str]:
    """No literal or class outside shared/vocabulary.py spells two codes of one code list."""
    found = []
    for module in code.modules.values():
        if module.path in VOCABULARY_HOMES:
            continue
        for line, strings in _literals(module.tree):
            for list_name, codes in CODE_LISTS.items():
                hits = sorted(codes.intersection(strings))
                if len(hits) >= 2:
                    found.append(
                        f"{module.path}:{line}: spells the {list_name} {hits} "
                        "(use the StrEnums of shared/vocabulary.py)"
                    )
    return found


def identifier_regex_copies(code: Codebase) -> list[str]:
    """The identifier regex is written once, in shared/fields.py."""
    return [
        f"{module.path}:{node.lineno}: a copy of the identifier regex {node.value!r} "
        "(use shared.fields: Identifier, IDENTIFIER_RE, is_identifier)"
        for module in code.modules.values()
        if module.path != IDENTIFIER_HOME
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and IDENTIFIER_REGEX.search(node.value)
    ]


def phone_maskers(code: Codebase) -> list[str]:
    """One phone-masking function: shared.masking.mask_phone."""
    found = [
        f"{module.path}:{node.lineno}: defines {node.name}() "
        "(the one phone-masking rule is shared.masking.mask_phone)"
        for module in code.modules.values()
        if module.path != MASKING_HOME
        for node in ast.walk(module.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and PHONE_MASKER.search(node.name)
    ]
    home = next((m for m in code.modules.values() if m.path == MASKING_HOME), None)
    if home is not None and not any(
        isinstance(node, ast.FunctionDef) and node.name == "mask_phone" for node in home.tree.body
    ):
        found.append(f"{MASKING_HOME}: mask_phone is not defined here")
    return found


# Rule 7 ------------------------------------------------------------------------------------
def long_modules(code: Codebase, limit: int = MAX_LINES) -> list[str]:
    """No module over `limit` lines."""
    return [
        f"{module.path}: {module.lines} lines (limit {limit}; split it by feature)"
        for module in sorted(code.modules.values(), key=lambda m: m.path)
        if module.lines > limit
    ]


def report(violations: Iterable[str]) -> str:
    """The failure message: one violation a line."""
    lines = list(violations)
    return f"{len(lines)} violation(s):\n  " + "\n  ".join(lines)
