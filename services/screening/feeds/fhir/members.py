"""Walking a unit's Observations (`DiagnosticReport.result`, `Observation.hasMember`).

A sender's references may repeat (a diamond, a member listed twice), chain deep, or loop back
to a resource on their own path. Expanding them as a tree costs 2^n for a doubled chain and
never ends for a loop, so the walk is iterative (no recursion limit), visits each resource
once, follows each reference once, and reports every loop instead of following it: the
caller refuses a looping unit (422) rather than store half of it or drop it in silence.
Pure: no web framework, no database; `members` resolves a resource's references.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_ON_PATH = 1
_DONE = 2


@dataclass(frozen=True)
class Visit:
    """One resource reached: who reached it first and at which position of its list."""

    resource: Any
    parent: Any | None
    index: int


@dataclass
class Loop:
    """A reference from `source` back to `target`, a resource on the path that reached it."""

    source: Any
    target: Any
    index: int


@dataclass
class Walk:
    """Every resource a unit reaches, in document order, each once; and what went wrong."""

    visits: list[Visit] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    # Entries (units) that already report a resource this unit also reaches.
    elsewhere: list[int] = field(default_factory=list)
    # References followed: the work done, at most one per reference in the body.
    steps: int = 0


def walk(
    starts: Sequence[Any],
    members: Callable[[Any], Sequence[Any]],
    claimed: dict[int, int],
    unit: int = 0,
) -> Walk:
    """Depth-first from `starts` in document order; `claimed` maps id(resource) -> unit.

    A resource already claimed by another unit is not expanded again (that unit reports
    it), which keeps a whole Bundle linear when several reports share members.
    """
    found = Walk()
    state: dict[int, int] = {}
    others: set[int] = set()
    # (resource, parent, index, leaving): `leaving` pops after every descendant is done, so
    # _ON_PATH marks exactly the resources on the current path (a loop's only witness).
    stack: list[tuple[Any, Any, int, bool]] = [
        (start, None, i, False) for i, start in reversed(list(enumerate(starts)))
    ]
    while stack:
        resource, parent, index, leaving = stack.pop()
        key = id(resource)
        if leaving:
            state[key] = _DONE
            continue
        found.steps += 1
        seen = state.get(key)
        if seen is not None:
            if seen == _ON_PATH:
                found.loops.append(Loop(parent, resource, index))
            continue  # a repeated reference: reported once already
        owner = claimed.setdefault(key, unit)
        if owner != unit:
            if owner not in others:
                others.add(owner)
                found.elsewhere.append(owner)
            continue
        state[key] = _ON_PATH
        found.visits.append(Visit(resource, parent, index))
        stack.append((resource, None, 0, True))
        children = members(resource)
        for i in range(len(children) - 1, -1, -1):
            if children[i] is not None:
                stack.append((children[i], resource, i, False))
    return found
