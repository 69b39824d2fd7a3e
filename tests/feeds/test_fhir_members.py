"""`hasMember` shapes: repeats and deep chains cost linear work; loops are refused, never lost.

Work is bounded by counting, never by the clock: the pure walk reports the references it
followed, and over HTTP every reference resolution (`Resolver.find`) is counted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.screening.feeds.fhir import mapping as fhir_mapping
from services.screening.feeds.fhir.members import walk
from tests.feeds.conftest import fhir_sample, unique
from tests.feeds.fhir_shapes import SHAPES, bundle, chain, contained, references

FHIR_JSON = "application/fhir+json"


class Node:
    """A resource stand-in for the pure walk."""

    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_walk_visits_each_observation_once_and_finds_every_loop(shape):
    graph, _valued, loops = SHAPES[shape]
    nodes = {name: Node(name) for name in graph}
    root = nodes[next(iter(graph))]
    found = walk([root], lambda n: [nodes[m] for m in graph[n.name]], claimed={})
    names = [v.resource.name for v in found.visits]
    assert sorted(names) == sorted(graph)  # each reached once, in document order
    assert names[0] == root.name
    assert found.steps == references(graph) + 1  # each reference followed once
    assert bool(found.loops) == loops
    for loop in found.loops:  # a loop names the reference that closes it
        assert loop.target.name in graph[loop.source.name]


def test_a_member_already_reported_by_another_unit_is_not_walked_again():
    shared, first, second = Node("x"), Node("r1"), Node("r2")
    graph = {first: [shared], second: [shared], shared: []}
    claimed: dict[int, int] = {}
    walk([first], graph.__getitem__, claimed, unit=0)
    again = walk([second], graph.__getitem__, claimed, unit=1)
    assert [v.resource for v in again.visits] == [second]
    assert again.elsewhere == [0]


@pytest.fixture
def resolutions(monkeypatch) -> list[int]:
    """How many references the service resolved (one counter per test)."""
    count = [0]
    find = fhir_mapping.Resolver.find

    def counting(self: Any, reference: Any, owner: Any = None) -> Any:
        count[0] += 1
        if count[0] > 100_000:  # the exponential expansion: stop it instead of waiting
            raise RuntimeError("reference resolution does not stop")
        return find(self, reference, owner)

    monkeypatch.setattr(fhir_mapping.Resolver, "find", counting)
    return count


def _held(feeds) -> list[str]:
    return [i["result_external_id"] for i in feeds.inbox(state="all", limit=500)]


def _bound(graph: dict[str, list[str]]) -> int:
    # Each reference is resolved at most twice (finding the panels, walking them), plus one
    # specimen and one subject look-up per Observation.
    return 2 * references(graph) + 2 * len(graph) + 2


@pytest.mark.parametrize("kind", ["batch", "transaction"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_bundle_members_in_every_shape(feeds, resolutions, shape, kind):
    graph, valued, loops = SHAPES[shape]
    mrn, prefix = unique("M"), unique("HM")
    feeds.person(mrn)
    r = feeds.fhir("/fhir", bundle(graph, valued, prefix, mrn, kind))
    assert resolutions[0] <= _bound(graph)
    stored = {x["external_id"] for x in feeds.results(mrn, history=True)}
    if not loops:
        assert r.status_code == 200, r.text
        statuses = [e["response"]["status"] for e in r.json()["entry"]]
        # The panel's entry stores; every member's entry says where it was reported.
        assert statuses == ["201 Created"] + ["200 OK"] * (len(graph) - 1)
        for entry in r.json()["entry"][1:]:
            said = entry["response"]["outcome"]["issue"][0]["diagnostics"]
            assert said == "reported with Bundle.entry[0]"
        assert stored == {f"{prefix}-{name}" for name in valued}
    elif kind == "transaction":
        assert r.status_code == 422, r.text
        assert "loop" in r.json()["issue"][0]["diagnostics"]
        assert stored == set()
    else:  # every entry of a looping unit is refused, each naming the loop
        assert r.status_code == 200, r.text
        for entry in r.json()["entry"]:
            assert entry["response"]["status"] == "422 Unprocessable Entity"
            assert "loop" in entry["response"]["outcome"]["issue"][0]["diagnostics"]
        assert stored == set()
    assert _held(feeds) == []


@pytest.mark.parametrize("shape", list(SHAPES))
def test_contained_members_in_every_shape(feeds, resolutions, shape):
    graph, valued, loops = SHAPES[shape]
    mrn, prefix = unique("M"), unique("HC")
    feeds.person(mrn)
    document = contained(graph, valued, prefix, mrn)
    r = feeds.client.post(
        "/fhir/Observation",
        content=json.dumps(document).encode(),
        headers={**feeds.integration, "Content-Type": FHIR_JSON},
    )
    assert resolutions[0] <= _bound(graph)
    stored = {x["external_id"] for x in feeds.results(mrn, history=True)}
    if loops:
        assert r.status_code == 422, r.text
        [issue] = r.json()["issue"]
        assert issue["code"] == "invariant" and "loop" in issue["diagnostics"]
        assert issue["expression"][0].startswith("Observation.hasMember")
        assert stored == set()
    else:
        assert r.status_code == 201, r.text
        assert stored == {f"{prefix}-{name}" for name in valued}
    assert _held(feeds) == []


def test_a_loop_of_results_for_an_unknown_person_is_refused_not_held(feeds):
    graph, valued, _ = SHAPES["2-cycle"]
    r = feeds.fhir("/fhir", bundle(graph, valued, unique("HU"), unique("NOBODY"), "batch"))
    assert [e["response"]["status"][:3] for e in r.json()["entry"]] == ["422", "422"]
    assert _held(feeds) == []


def _report(name: str, mrn: str, results: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": name,
        "identifier": [{"value": name}],
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
        "subject": {"identifier": {"value": mrn}},
        "effectiveDateTime": "2024-01-10T08:00:00+08:00",
        "result": [{"reference": r} for r in results],
    }


def test_reports_sharing_a_chain_cost_linear_work_and_store_it_once(feeds, resolutions):
    graph, valued = chain(50), {"o49"}
    mrn, prefix = unique("M"), unique("HS")
    feeds.person(mrn)
    document = bundle(graph, valued, prefix, mrn, "batch")
    reports = [_report(f"{prefix}-dr{i}", mrn, ["Observation/o0"]) for i in range(50)]
    document["entry"] = [{"resource": r} for r in reports] + document["entry"]
    r = feeds.fhir("/fhir", document, expect=200)
    assert resolutions[0] <= _bound({**graph, **{f"dr{i}": ["o0"] for i in range(50)}})
    statuses = [e["response"]["status"] for e in r.json()["entry"]]
    assert statuses == ["201 Created"] + ["200 OK"] * 99
    later = r.json()["entry"][1]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert later == "its results are reported with Bundle.entry[0]"
    assert {x["external_id"] for x in feeds.results(mrn, history=True)} == {f"{prefix}-o49"}


def test_the_members_of_a_refused_panel_are_refused_with_it_not_dropped(feeds):
    mrn, prefix = unique("M"), unique("HR")
    feeds.person(mrn)
    document = bundle({"p": ["a"], "a": []}, {"a"}, prefix, mrn, "batch")
    document["entry"][0]["resource"].pop("identifier")  # the panel cannot be stored
    r = feeds.fhir("/fhir", document, expect=200)
    panel, member = (e["response"] for e in r.json()["entry"])
    assert panel["status"] == member["status"] == "422 Unprocessable Entity"
    text = member["outcome"]["issue"][0]["diagnostics"]
    assert text.startswith("reported with Bundle.entry[0], which was refused: the Observation")
    assert feeds.results(mrn) == [] and _held(feeds) == []


@pytest.mark.parametrize("where", ["Observation", "DiagnosticReport"])
def test_a_contained_result_nothing_names_is_refused_not_ignored(feeds, where):
    mrn, prefix = unique("M"), unique("HD")
    feeds.person(mrn)
    if where == "Observation":
        document = contained({"a": ["b"], "b": [], "c": []}, {"a", "b", "c"}, prefix, mrn)
        path = "/fhir/Observation"
    else:
        document = fhir_sample("bundle_collection_diagnosticreport.json", MRN=mrn, RESULT_ID=prefix)
        document["entry"][0]["resource"]["result"].pop()  # #igg is named by nothing now
        path = "/fhir"
    r = feeds.fhir(path, document)
    body = r.json()
    if where == "DiagnosticReport":
        assert r.status_code == 200
        body = body["entry"][0]["response"]["outcome"]
    else:
        assert r.status_code == 422
    assert "named by no result or hasMember" in body["issue"][0]["diagnostics"]
    assert feeds.results(mrn) == [] and _held(feeds) == []
