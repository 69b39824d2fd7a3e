"""Reading a FHIR document: validate what WardGate reads, report the rest as not read.

`fhir.resources` validates a Bundle whole, so one resource WardGate never looks at (a
Provenance without `target`, a ServiceRequest without `intent`, a type the library does not
know) refused every result in it, and so did primitive extensions such as `_valueDateTime`
inside an extension, which is valid FHIR JSON that the library rejects. Here the Bundle's own
elements and every Patient, Specimen, Observation and DiagnosticReport are validated with the
library; any other resource is kept only as its type, to be answered "not read". Primitive
extensions (`_field` keys) are dropped before validating: WardGate reads no extension, and a
primitive extension never changes the meaning of its value (it cannot be a modifier).
Pure: no web framework, no database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.specimen import Specimen
from pydantic import ValidationError

READ: dict[str, type[Any]] = {
    "Patient": Patient,
    "Specimen": Specimen,
    "Observation": Observation,
    "DiagnosticReport": DiagnosticReport,
}
_MAX_ISSUES = 20
# What a resource type's name looks like: only such a resource is passed over as "not read";
# anything else (empty, NUL, digits) is no FHIR resource and refuses the document as before.
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z]{0,63}$")


def _unread_type(kind: Any) -> bool:
    return isinstance(kind, str) and kind not in READ and _TYPE_NAME.match(kind) is not None


class Unreadable(Exception):
    """A body that is not a valid FHIR resource of the expected type (400)."""

    def __init__(self, detail: str, issues: list[tuple[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.issues = issues or []


@dataclass
class Entry:
    """One Bundle entry: its resource validated when WardGate reads that type, else None."""

    index: int
    full_url: str | None
    kind: str  # the resourceType, "" for an entry without a resource
    resource: Any = None
    # Contained resources of types that are not read, dropped before validating.
    not_read: list[str] = field(default_factory=list)


@dataclass
class ReadBundle:
    """A Bundle's type and its entries, in order."""

    type: str
    entries: list[Entry]


def without_primitive_extensions(node: Any) -> Any:
    """A copy of a JSON document without `_field` keys (iterative: no recursion limit)."""
    holder: dict[str, Any] = {}
    stack: list[tuple[Any, Any]] = [({"v": node}, holder)]
    while stack:
        source, target = stack.pop()
        items = enumerate(source) if isinstance(source, list) else source.items()
        for key, value in items:
            if isinstance(key, str) and key.startswith("_"):
                continue
            copied: Any = (
                {} if isinstance(value, dict) else [] if isinstance(value, list) else value
            )
            if isinstance(target, list):
                target.append(copied)
            else:
                target[key] = copied
            if isinstance(value, (dict, list)):
                stack.append((value, copied))
    return holder["v"]


def _drop_unread_contained(document: dict[str, Any]) -> list[str]:
    """Remove contained resources of types that are not read; their labels."""
    contained = document.get("contained")
    if not isinstance(contained, list):
        return []
    kept, dropped = [], []
    for index, inner in enumerate(contained):
        kind = inner.get("resourceType") if isinstance(inner, dict) else None
        if _unread_type(kind):
            dropped.append(f"contained[{index}] {kind}")
        else:
            kept.append(inner)
    document["contained"] = kept
    return dropped


def _issues(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    return [
        (prefix + ".".join(str(p) for p in e["loc"]), str(e["msg"])[:300])
        for e in exc.errors(include_url=False, include_input=False)[:_MAX_ISSUES]
    ]


def _model(document: dict[str, Any], model: type[Any], prefix: str = "") -> tuple[Any, list[str]]:
    """(the validated model, contained resources not read); ValidationError or ValueError."""
    plain = without_primitive_extensions(document)
    dropped = _drop_unread_contained(plain)
    try:
        return model.model_validate(plain), dropped
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{prefix}contains an unknown resource type") from exc


def validated(document: Any, model: type[Any]) -> Any:
    """One resource as a validated fhir.resources model, or Unreadable with every issue."""
    if not isinstance(document, dict):
        raise Unreadable("The body is not a JSON object.")
    expected = model.__name__
    if document.get("resourceType") != expected:
        raise Unreadable(f"resourceType must be {expected}.")
    try:
        return _model(document, model)[0]
    except ValidationError as exc:
        raise Unreadable(f"The {expected} is not valid FHIR R4.", _issues(exc)) from exc
    except ValueError as exc:
        raise Unreadable(f"The {expected} contains an unknown resource type.") from exc


def _shell(document: dict[str, Any]) -> tuple[Any, list[Any]]:
    """The Bundle validated without its entries' resources, and those resources (raw)."""
    plain = without_primitive_extensions(document)
    resources: list[Any] = []
    entries = plain.get("entry")
    if isinstance(entries, list):
        for entry in entries:
            resources.append(entry.pop("resource", None) if isinstance(entry, dict) else None)
    try:
        return Bundle.model_validate(plain), resources
    except ValidationError as exc:
        raise Unreadable("The Bundle is not valid FHIR R4.", _issues(exc)) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable("The Bundle is not valid FHIR R4.") from exc


def read_bundle(document: Any) -> ReadBundle:
    """The Bundle with what is read validated; Unreadable (400) naming every issue."""
    if not isinstance(document, dict):
        raise Unreadable("The body is not a JSON object.")
    if document.get("resourceType") != "Bundle":
        raise Unreadable("resourceType must be Bundle.")
    shell, resources = _shell(document)
    entries: list[Entry] = []
    issues: list[tuple[str, str]] = []
    for index, (entry, raw) in enumerate(zip(shell.entry or [], resources, strict=True)):
        read = Entry(index, entry.fullUrl, "")
        entries.append(read)
        if raw is None:
            continue
        kind = raw.get("resourceType") if isinstance(raw, dict) else None
        where = f"entry.{index}.resource"
        if _unread_type(kind):
            read.kind = str(kind)
            continue
        if kind not in READ:
            issues.append((f"{where}.resourceType", "not a FHIR resource type"))
            continue
        read.kind = str(kind)
        try:
            read.resource, read.not_read = _model(raw, READ[kind], f"{where}: ")
        except ValidationError as exc:
            issues += _issues(exc, f"{where}.")
        except ValueError as exc:
            issues.append((where, str(exc)))
    if issues:
        raise Unreadable("The Bundle is not valid FHIR R4.", issues[:_MAX_ISSUES])
    return ReadBundle(str(shell.type), entries)


def parse_json(data: bytes) -> Any:
    """The body as JSON; Unreadable for anything else (NUL bytes and bad UTF-8 included)."""
    if b"\x00" in data:
        raise Unreadable("The body contains NUL bytes.")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Unreadable("The body is not valid JSON.") from exc
