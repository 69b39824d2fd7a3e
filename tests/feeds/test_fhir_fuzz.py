"""Mutated FHIR messages on every intake path: never a 5xx, never a result lost in silence.

Valid messages (a single Observation, one with contained members, batch, transaction,
collection with a DiagnosticReport, message, panels with `hasMember`) are mutated: fields
dropped, list items repeated, values of the wrong type, odd references and loops, odd dates
and offsets, empty and huge strings, odd statuses; resources WardGate does not read, with
broken content, added to Bundles and as contained resources; primitive extensions (`_field`,
`_valueDateTime` inside extensions) anywhere. Whatever comes out, every Observation in the
input that carries a readable SARS-CoV-2 result is stored, held in the inbox, or refused
visibly: the whole request with a 4xx, or its own Bundle entry answered with a 4xx; an entry
that is not read says so; and nothing is stored that no Observation in the input carried.
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
from services.screening.feeds.patient import usable_identifier
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
# Resources WardGate does not read, as real senders send them: required elements missing,
# a type the model library does not know, junk inside.
UNREAD: list[dict[str, Any]] = [
    {"resourceType": "Provenance", "recorded": "2024-01-10T08:00:00Z"},  # no target
    {"resourceType": "ServiceRequest", "status": "active", "subject": {"reference": "x"}},
    {"resourceType": "MessageHeader", "eventCoding": 5},
    {"resourceType": "NotAFhirType", "anything": [None, {"resourceType": 1}], "id": "#"},
    {"resourceType": "Organization", "_name": {"extension": "not a list"}, "name": ["x"]},
]
# Primitive extensions: valid FHIR JSON, some of which the model library rejects.
EXTENSIONS: list[tuple[str, Any]] = [
    ("_effectiveDateTime", {"extension": [{"url": "http://x", "_valueDateTime": {"id": "a"}}]}),
    ("_status", {"extension": [{"url": "http://x", "valueString": "y"}]}),
    ("_value", {"id": "v"}),
    ("_given", [None, {"extension": [{"url": "http://x", "valueCode": "IN"}]}]),
    ("_issued", "not even an element"),
]
LENIENT = ["unread", "extension"]
# References, loops and dates weigh more: type errors mostly end in a 400 before any mapping.
MUTATIONS = ["drop", "repeat", "retype", "string", "status", "unread", "extension"] + [
    "date",
    "reference",
    "loop",
] * 2
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


def _mutate(data: st.DataObject, doc: Any, kinds: list[str]) -> str:
    how = data.draw(st.sampled_from(kinds))
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
    elif how == "unread":
        junk = copy.deepcopy(data.draw(st.sampled_from(UNREAD)))
        tops = [
            e["resource"]
            for e in _entries(doc)
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
        if isinstance(doc.get("entry"), list) and data.draw(st.booleans()):
            doc["entry"].insert(data.draw(st.integers(0, len(doc["entry"]))), {"resource": junk})
        elif tops or "entry" not in doc:
            junk["id"] = unique("j")
            _append(_pick(data, tops) if tops else doc, "contained", junk)
    elif how == "extension":
        slot = _pick(data, [c[k] for c, k in slots if isinstance(c[k], dict)] or [doc])
        key, value = data.draw(st.sampled_from(EXTENSIONS))
        slot[key] = copy.deepcopy(value)
    else:
        _pick(data, observations)["status"] = data.draw(st.sampled_from(ODD_STATUSES))
    return str(how)


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


def _carried(doc: Any) -> set[tuple[str, str]]:
    """(test type, result) of every Observation or component anywhere in the input: what a
    stored result may be. A result outside this set was made up by the intake."""
    found: set[tuple[str, str]] = set()
    parts = [
        part
        for obs in _resources(doc, "Observation")
        for part in [obs, *(obs.get("component") if isinstance(obs.get("component"), list) else [])]
        if isinstance(part, dict)
    ]
    for part in parts:
        code = part.get("code")
        codings = code.get("coding") if isinstance(code, dict) else None
        types = {
            found_test.test_type
            for c in (codings if isinstance(codings, list) else [])
            if isinstance(c, dict) and isinstance(c.get("code"), str)
            if (found_test := t.test_code(t.coding_system(_text(c.get("system"))), c["code"]))
        }
        values = _values(part)
        found |= {(kind, value) for kind in types if kind for value in values}
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _values(part: dict[str, Any]) -> set[str]:
    """Every result an Observation's value, text or interpretation could stand for."""
    concept = part.get("valueCodeableConcept")
    concept = concept if isinstance(concept, dict) else {}
    codings = concept.get("coding") if isinstance(concept.get("coding"), list) else []
    codings = [c for c in codings if isinstance(c, dict)]
    found = {
        t.coded_result(t.coding_system(_text(c.get("system"))), c["code"])
        for c in codings
        if isinstance(c.get("code"), str)
    }
    texts = [concept.get("text"), part.get("valueString")] + [c.get("display") for c in codings]
    found |= {t.text_result(x) for x in texts if isinstance(x, str)}
    flags = part.get("interpretation")
    for item in flags if isinstance(flags, list) else []:
        inner = item.get("coding") if isinstance(item, dict) else None
        for c in inner if isinstance(inner, list) else []:
            if isinstance(c, dict) and isinstance(c.get("code"), str):
                found.add(t.interpretation_result(t.INFECTION_RESULTS, c["code"]))
    return {x for x in found if x}


def _unread_entries(doc: Any) -> list[int]:
    """Bundle entries whose resource is of a type WardGate does not read."""
    return [
        index
        for index, entry in enumerate(_entries(doc))
        if isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and entry["resource"].get("resourceType") in {u["resourceType"] for u in UNREAD}
    ]


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
    # One example in four only adds what must not be read (and so must change nothing).
    kinds = LENIENT if data.draw(st.integers(0, 3)) == 0 else MUTATIONS
    hows = [_mutate(data, doc, kinds) for _ in range(data.draw(st.integers(0, 4)))]
    body = json.dumps(doc).encode()
    r = feeds.client.post(
        path, content=body, headers={**feeds.integration, "Content-Type": FHIR_JSON}
    )
    assert r.status_code < 500, r.text
    if set(hows) <= set(LENIENT):  # what is not read never refuses what is
        assert r.status_code < 400, f"{hows}: {r.text[:2000]}"
    assert r.headers["content-type"] == FHIR_JSON
    rows = feeds.results(mrn, history=True)
    stored = {x["external_id"] for x in rows}
    carried = _carried(doc)
    for row in rows:
        if row["test_type"] in _SCREENING and row["result"] is not None:
            made_up = (row["test_type"], row["result"]) not in carried
            assert not made_up, f"{row} carried by no Observation: {r.text[:2000]}"
    expected = _expected(path, doc)
    event(f"{path} answered {r.status_code}, readable results: {len(expected) > 0}")
    event(f"mutations: {', '.join(sorted(set(hows))) or 'none'}")
    if r.status_code >= 400:  # refused whole: nothing of it is kept
        assert r.json()["resourceType"] == "OperationOutcome"
        assert stored == set()
        assert not any(rid in _held_ids(feeds) for rid, _ in expected)
        return
    answers = r.json().get("entry", []) if path == "/fhir" else []
    for index in _unread_entries(doc):
        [issue] = answers[index]["response"]["outcome"]["issue"]
        assert issue["diagnostics"].endswith(" not read"), issue
    held = _held_ids(feeds) if expected else set()
    for rid, entry in expected:
        if entry is not None and answers[entry]["response"]["status"][0] == "4":
            continue  # its entry was refused, visibly
        assert rid in stored | held, f"{rid} (entry {entry}) lost: {r.text[:2000]}"
