"""Loading the screening policy from WARDGATE_POLICY_FILE (YAML or JSON), checked at startup.

Format (every category must be listed; `[]` means nothing required):

    categories:
      staff:      [{test_type: nucleic_acid, within_days: 14}, ...]
      inpatient:  [...]
      caregiver:  [{test_type: nucleic_acid, within_hours: 168}, ...]
      outpatient: []
    pooled_counts: {inpatient: false, staff: true}   # optional; unlisted: the default

`pooled_counts` (optional) says per category whether a pooled (混采) result counts for the
status; categories left out keep the default (true for staff, caregiver and public).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.screening.domain.policy import DEFAULT_POLICY, Requirement, ScreeningPolicy
from services.screening.status.schemas import PolicyPublic, PolicyRequirementPublic
from shared.vocabulary import Category, TestType

MAX_DAYS = 366


class PolicyFileError(RuntimeError):
    """The policy file cannot be read or is not a valid policy (the service refuses to start)."""


class _Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_type: TestType
    within_days: Annotated[float, Field(gt=0, le=MAX_DAYS)] | None = None
    within_hours: Annotated[float, Field(gt=0, le=MAX_DAYS * 24)] | None = None

    @model_validator(mode="after")
    def _one_window(self) -> _Requirement:
        if (self.within_days is None) == (self.within_hours is None):
            raise ValueError("give exactly one of within_days or within_hours")
        return self

    def window(self) -> timedelta:
        if self.within_days is not None:
            return timedelta(days=self.within_days)
        return timedelta(hours=self.within_hours or 0)


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: dict[Category, list[_Requirement]]
    pooled_counts: dict[Category, bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> _PolicyFile:
        # `public` came later (self-requested tests): a file written before it requires nothing.
        missing = [c for c in Category if c not in self.categories and c != Category.PUBLIC]
        if missing:
            raise ValueError("every category must be listed; missing: " + ", ".join(missing))
        for category, reqs in self.categories.items():
            types = [r.test_type for r in reqs]
            if len(types) != len(set(types)):
                raise ValueError(f"{category} lists a test type twice")
        return self


def _parse(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def load_policy(path: Path) -> ScreeningPolicy:
    """The policy in `path`; PolicyFileError naming the file and every problem otherwise."""
    try:
        raw = _parse(path)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise PolicyFileError(f"WARDGATE_POLICY_FILE {path}: cannot be read: {exc}") from exc
    try:
        parsed = _PolicyFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()
        )
        raise PolicyFileError(
            f"WARDGATE_POLICY_FILE {path}: not a valid policy: {problems}"
        ) from exc
    requirements: dict[str, tuple[Requirement, ...]] = {
        Category.PUBLIC: (),
        **{
            category: tuple(Requirement(r.test_type, r.window()) for r in reqs)
            for category, reqs in parsed.categories.items()
        },
    }
    pooled = {c for c in Category if DEFAULT_POLICY.pooled_counts(c)}
    pooled |= {c for c, counts in parsed.pooled_counts.items() if counts}
    pooled -= {c for c, counts in parsed.pooled_counts.items() if not counts}
    return ScreeningPolicy(
        requirements=requirements, source=str(path), pooled=frozenset(c.value for c in pooled)
    )


def active_policy(path: Path | None) -> ScreeningPolicy:
    """The policy file's policy, or the contract's default when no file is configured."""
    return DEFAULT_POLICY if path is None else load_policy(path)


def policy_document(policy: ScreeningPolicy) -> PolicyPublic:
    """The policy as the API shows it."""
    categories = {
        category: [
            PolicyRequirementPublic(
                test_type=r.test_type, within_days=r.valid_for / timedelta(days=1)
            )
            for r in policy.required(category)
        ]
        for category in Category
    }
    pooled = {category: policy.pooled_counts(category) for category in Category}
    return PolicyPublic(source=policy.source, categories=categories, pooled_counts=pooled)
