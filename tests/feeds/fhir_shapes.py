"""FHIR documents whose Observations reference each other (`hasMember`) in a given shape.

A shape is `{name: [member names...]}` plus the names that carry a value; every Observation is
a SARS-CoV-2 RNA test with the identifier `<prefix>-<name>` for person `mrn`.
"""

from __future__ import annotations

import copy
from typing import Any

NAAT = {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]}
DETECTED = {"coding": [{"system": "http://snomed.info/sct", "code": "260373001"}]}

Graph = dict[str, list[str]]


def chain(length: int, times: int = 1) -> Graph:
    """o0 -> o1 -> ... -> o<length-1>, each listing the next `times` times."""
    names = [f"o{i}" for i in range(length)]
    return {n: [names[i + 1]] * times if i + 1 < length else [] for i, n in enumerate(names)}


# name: (graph, names with a value, loops?)
SHAPES: dict[str, tuple[Graph, set[str], bool]] = {
    "chain": (chain(3), {"o2"}, False),
    "doubled chain of 17": (chain(17, times=2), {"o16"}, False),
    "diamond": ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, {"d"}, False),
    "diamond, every node a value": (
        {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []},
        {"a", "b", "c", "d"},
        False,
    ),
    "repeated identical references": ({"a": ["b"] * 50, "b": []}, {"b"}, False),
    "long chain of 1200": (chain(1200), {"o1199"}, False),
    "2-cycle": ({"a": ["b"], "b": ["a"]}, {"a", "b"}, True),
    "self-reference": ({"a": ["a"]}, {"a"}, True),
    "loop below a panel": ({"r": ["a"], "a": ["b"], "b": ["a"]}, {"a", "b"}, True),
}


def observation(name: str, prefix: str, mrn: str, members: list[str], ref: str) -> dict[str, Any]:
    """One Observation; `ref` formats a member name as a reference (`Observation/{}`, `#{}`)."""
    doc: dict[str, Any] = {
        "resourceType": "Observation",
        "id": name,
        "identifier": [{"value": f"{prefix}-{name}"}],
        "status": "final",
        "code": copy.deepcopy(NAAT),
        "subject": {"identifier": {"value": mrn}},
        "effectiveDateTime": "2024-01-10T08:00:00+08:00",
    }
    if members:
        doc["hasMember"] = [{"reference": ref.format(m)} for m in members]
    return doc


def with_values(docs: list[dict[str, Any]], valued: set[str]) -> list[dict[str, Any]]:
    """The documents, those named in `valued` with a 'detected' result."""
    for doc in docs:
        if doc["id"] in valued:
            doc["valueCodeableConcept"] = copy.deepcopy(DETECTED)
    return docs


def bundle(graph: Graph, valued: set[str], prefix: str, mrn: str, kind: str) -> dict[str, Any]:
    """A Bundle with one entry per Observation, members referenced as `Observation/<name>`."""
    docs = [observation(n, prefix, mrn, m, "Observation/{}") for n, m in graph.items()]
    entries = [{"resource": d} for d in with_values(docs, valued)]
    if kind == "transaction":
        for entry in entries:
            entry["request"] = {"method": "POST", "url": "Observation"}
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def contained(graph: Graph, valued: set[str], prefix: str, mrn: str) -> dict[str, Any]:
    """One Observation (the graph's first name) containing the others, referenced as `#name`."""
    names = list(graph)
    docs = with_values([observation(n, prefix, mrn, graph[n], "#{}") for n in names], valued)
    root, inner = docs[0], docs[1:]
    # `#<root id>` cannot name the container itself; FHIR spells that `#`.
    for doc in docs:
        for member in doc.get("hasMember", []):
            if member["reference"] == f"#{names[0]}":
                member["reference"] = "#"
    if inner:
        root["contained"] = inner
    return root


def references(graph: Graph) -> int:
    """How many references the shape has: the work bound is proportional to this."""
    return sum(len(m) for m in graph.values())
