"""Mutated FHIR messages on every intake path: never a 5xx, never a result lost in silence.

Valid messages (a single Observation, one with contained members, batch, transaction,
collection with a DiagnosticReport, message, panels with `hasMember`) are mutated: fields
dropped, list items repeated, values of the wrong type, odd references and loops, odd dates
and offsets, empty and huge strings, odd statuses. Whatever comes out, every Observation in
the input that carries a readable SARS-CoV-2 result is stored, held in the inbox, or refused
visibly: the whole request with a 4xx, or its own Bundle entry answered with a 4xx.
Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.screening.feeds import terminology as t
from services.screening.feeds.intake import usable_identifier
from tests.feeds.conftest import fhir_sample, unique
from tests.feeds.fhir_shapes import SHAPES, bundle, contained

FHIR_JSON = "application/fhir+json"
_SCREENING = {"nucleic_acid", "antibody_igm", "antibody_igg"}
_READABLE_STATUSES = {"final", "amended", "corrected", "preliminary", "registered"}

ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", " ", [], {}, [None], {"x": 1}]
ODD_STRINGS = ["", " ", "x" * 70_000, "\u0000nul", "\u202eevil\u200b", "é" * 65, "9" * 64]
ODD_DATES = [
    "2024-01-10",
    "2024-01",
    "2024",
    "2024-01-10T08:00:00",
    "2024-01-10T08:00:00Z",
    "2024-01-10T08:00:00+14:00",
    "2024-01-10T08:00:00-12:00",
    "2024-01-10T08:00:00+23:59",
    "2024-01-10T08:00:00.123456789+08:00",
    "2024-02-30T08:00:00+08:00",
    "2024-01-10T24:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "not a date",
]
ODD_STATUSES = ["final", "cancelled", "entered-in-error", "amended", "preliminary", "unknown", ""]
# References, loops and dates weigh more: type errors mostly end in a 400 before any mapping.
MUTATIONS = ["drop", "repeat", "retype", "string", "status"] + ["date", "reference", "loop"] * 2
DATE_FIELDS = ("effectiveDateTime", "issued", "effectiveInstant", "collectedDateTime")


def _bases(mrn: str, prefix: str) -> list[tuple[str, Any]]:
    """(path, document): one valid message per intake shape."""
    diamond, valued, _ = SHAPES["diamond, every node a value"]
    batch_with_report = fhir_sample("bundle_batch.json", MRN=mrn, RESULT_ID=f"{prefix}r")
    batch_with_report["entry"].append(
        {
            "resource": {
                "resourceType": "DiagnosticReport",
                "identifier": [{"value": f"{prefix}-dr"}],
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "94504-8"}]},
                "subject": {"identifier": {"value": mrn}},
                "effectiveDateTime": "2024-01-10T07:30:00+08:00",
                "result": [{"reference": e["fullUrl"]} for e in batch_with_report["entry"][:2]],
            }
        }
    )
    transaction = fhir_sample("bundle_batch.json", MRN=mrn, RESULT_ID=f"{prefix}t")
    transaction["type"] = "transaction"
    return [
        ("/fhir/Observation", fhir_sample("observation_naat.json", MRN=mrn, RESULT_ID=prefix)),
        ("/fhir/Observation", contained(diamond, valued, f"{prefix}c", mrn)),
        ("/fhir", fhir_sample("bundle_batch.json", MRN=mrn, RESULT_ID=f"{prefix}b")),
        ("/fhir", transaction),
        ("/fhir", fhir_sample("bundle_transaction.json", MRN=mrn, RESULT_ID=f"{prefix}x")),
        (
            "/fhir",
            fhir_sample("bundle_collection_diagnosticreport.json", MRN=mrn, RESULT_ID=prefix),
        ),
        ("/fhir", fhir_sample("bundle_message.json", MRN=mrn, RESULT_ID=f"{prefix}m")),
        ("/fhir", bundle(diamond, valued, f"{prefix}d", mrn, "batch")),
        ("/fhir", batch_with_report),
    ]


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) in the document, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        keys = range(len(current)) if isinstance(current, list) else list(current)
        for key in keys:
            yield current, key
            if isinstance(current[key], (dict, list)):
                stack.append(current[key])


def _resources(node: Any, kind: str) -> list[dict[str, Any]]:
    return [
        c[k]
        for c, k in _slots({"_": node})
        if isinstance(c[k], dict) and c[k].get("resourceType") == kind
    ]


def _entries(doc: dict[str, Any]) -> list[Any]:
    entries = doc.get("entry")
    return entries if isinstance(entries, list) else []


def _append(node: dict[str, Any], field: str, item: Any) -> None:
    """Add to a list that a mutation may already have made something else."""
    existing = node.get(field)
    node[field] = [*(existing if isinstance(existing, list) else []), item]


def _pick(data: st.DataObject, items: list[Any]) -> Any:
    return items[data.draw(st.integers(0, len(items) - 1))] if items else None


def _reference(data: st.DataObject, doc: Any) -> str:
    """A reference that may resolve, loop, or name nothing."""
    named = [f"Observation/{o['id']}" for o in _resources(doc, "Observation") if "id" in o]
    named += [f"#{o['id']}" for o in _resources(doc, "Observation") if "id" in o]
    named += [e.get("fullUrl") for e in _entries(doc) if isinstance(e, dict)]
    odd = ["#", "#nothing", "", "Observation/", "Observation/nothing", "urn:uuid:nothing"]
    return str(_pick(data, [n for n in named if isinstance(n, str)] + odd))


def _ref_to(doc: Any, one: dict[str, Any], other: dict[str, Any]) -> str:
    """How `one` names `other`: `#` for its container, `#id` inside it, else `Observation/id`."""
    if doc.get("resourceType") == "Observation":
        if other is doc:
            return "#" if one is not doc else f"Observation/{other['id']}"
        return f"#{other['id']}"
    tops = {id(e.get("resource")) for e in _entries(doc) if isinstance(e, dict)}
    return f"Observation/{other['id']}" if id(other) in tops else f"#{other['id']}"


def _mutate(data: st.DataObject, doc: Any) -> None:
    how = data.draw(st.sampled_from(MUTATIONS))
    slots = list(_slots(doc))
    observations = _resources(doc, "Observation") or [doc]
    if how == "drop":
        slot = _pick(data, [s for s in slots if isinstance(s[0], dict)])
        if slot:
            del slot[0][slot[1]]
    elif how == "repeat":
        lists = [c[k] for c, k in slots if isinstance(c[k], list) and c[k]]
        target = _pick(data, lists)
        if target:
            target.append(copy.deepcopy(_pick(data, target)))
    elif how == "retype":
        slot = _pick(data, slots)
        if slot:
            slot[0][slot[1]] = copy.deepcopy(data.draw(st.sampled_from(ODD_VALUES)))
    elif how == "string":
        slot = _pick(data, [s for s in slots if isinstance(s[0][s[1]], str)])
        if slot:
            slot[0][slot[1]] = data.draw(st.sampled_from(ODD_STRINGS))
    elif how == "date":
        target = _pick(data, observations)
        target[data.draw(st.sampled_from(DATE_FIELDS[:3]))] = data.draw(st.sampled_from(ODD_DATES))
    elif how == "reference":
        target = _pick(data, observations + _resources(doc, "DiagnosticReport"))
        field = "result" if target.get("resourceType") == "DiagnosticReport" else "hasMember"
        _append(target, field, {"reference": _reference(data, doc)})
    elif how == "loop":
        first, second = _pick(data, observations), _pick(data, observations)
        for one, other in ((first, second), (second, first)):
            other.setdefault("id", unique("loop"))
            ref = {"reference": _ref_to(doc, one, other)}
            _append(one, "hasMember", ref)
    else:
        _pick(data, observations)["status"] = data.draw(st.sampled_from(ODD_STATUSES))


def _readable(obs: dict[str, Any]) -> str | None:
    """The result id of an Observation carrying a readable SARS-CoV-2 result, else None."""
    status = obs.get("status")
    if not isinstance(status, str) or status not in _READABLE_STATUSES:
        return None
    codings = (obs.get("code") or {}).get("coding") if isinstance(obs.get("code"), dict) else None
    values = obs.get("valueCodeableConcept")
    values = values.get("coding") if isinstance(values, dict) else None
    if not isinstance(codings, list) or not isinstance(values, list):
        return None

    def pairs(items: list[Any]) -> list[tuple[str, str]]:
        return [
            (t.coding_system(c.get("system")), c["code"])
            for c in items
            if isinstance(c, dict)
            and isinstance(c.get("code"), str)
            and isinstance(c.get("system"), (str, type(None)))
        ]

    tests = [t.test_code(s, c) for s, c in pairs(codings)]
    if not any(x is not None and x.test_type in _SCREENING for x in tests):
        return None
    if not any(t.coded_result(s, c) for s, c in pairs(values)):
        return None
    idents = obs.get("identifier")
    for ident in idents if isinstance(idents, list) else []:
        value = ident.get("value") if isinstance(ident, dict) else None
        if isinstance(value, str) and usable_identifier(value):
            return value
    return None


def _expected(path: str, doc: Any) -> list[tuple[str, int | None]]:
    """(result id, Bundle entry or None) for every readable Observation anywhere in the input."""
    if path == "/fhir/Observation":
        return [(rid, None) for o in _resources(doc, "Observation") if (rid := _readable(o))]
    entries = doc.get("entry") if isinstance(doc, dict) else None
    found = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        for obs in _resources(entry, "Observation"):
            if rid := _readable(obs):
                found.append((rid, index))
    return found


def _held_ids(feeds) -> set[str]:
    held: set[str] = set()
    cursor = None
    while True:
        params = {"state": "all", "limit": 500} | ({"cursor": cursor} if cursor else {})
        r = feeds.client.get("/inbox", params=params, headers=feeds.nurse)
        assert r.status_code == 200, r.text
        held |= {i["result_external_id"] for i in r.json()["items"]}
        cursor = r.json()["next_cursor"]
        if not cursor:
            return held


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_mutated_fhir_is_never_a_5xx_and_never_loses_a_result(feeds, data):
    mrn, prefix = unique("FZ"), unique("Z")
    feeds.person(mrn)
    path, doc = data.draw(st.sampled_from(_bases(mrn, prefix)))
    for _ in range(data.draw(st.integers(0, 4))):
        _mutate(data, doc)
    body = json.dumps(doc).encode()
    r = feeds.client.post(
        path, content=body, headers={**feeds.integration, "Content-Type": FHIR_JSON}
    )
    assert r.status_code < 500, r.text
    assert r.headers["content-type"] == FHIR_JSON
    stored = {x["external_id"] for x in feeds.results(mrn, history=True)}
    expected = _expected(path, doc)
    event(f"{path} answered {r.status_code}, readable results: {len(expected) > 0}")
    if r.status_code >= 400:  # refused whole: nothing of it is kept
        assert r.json()["resourceType"] == "OperationOutcome"
        assert stored == set()
        assert not any(rid in _held_ids(feeds) for rid, _ in expected)
        return
    answers = r.json().get("entry", []) if path == "/fhir" else []
    held = _held_ids(feeds) if expected else set()
    for rid, entry in expected:
        if entry is not None and answers[entry]["response"]["status"][0] == "4":
            continue  # its entry was refused, visibly
        assert rid in stored | held, f"{rid} (entry {entry}) lost: {r.text[:2000]}"
