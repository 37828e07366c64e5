"""Plain, frozen records returned by the knowledge base (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple


@dataclass(frozen=True)
class Phase:
    id: str
    label: str
    heading: str
    description: str
    position: int
    transversal: bool = False
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class MissionSummary:
    id: str
    title: str
    map_label: str
    summary: str
    phase_id: str
    phase_label: str
    parent_id: Optional[str] = None


@dataclass(frozen=True)
class Mission:
    id: str
    title: str
    map_label: str
    summary: str
    phase: Phase
    why: str
    example: str
    competences: Tuple[str, ...] = ()
    how: Tuple[str, ...] = ()
    pitfalls: Tuple[str, ...] = ()
    situations: Tuple[str, ...] = ()
    keywords: Tuple[str, ...] = ()
    questions: Tuple[str, ...] = ()
    related: Tuple[MissionSummary, ...] = ()
    next: Optional[MissionSummary] = None
    parent: Optional[MissionSummary] = None
    children: Tuple[MissionSummary, ...] = field(default=())


@dataclass(frozen=True)
class SearchHit:
    """A mission found by free-text search; ``matched`` is the content text that matched best."""

    mission: MissionSummary
    score: float
    matched: str = ""
    matched_kind: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A next step for a situation, with the one sentence that says why it fits."""

    mission: MissionSummary
    reason: str
    score: float


@dataclass(frozen=True)
class PlanRule:
    """A mission the diagnostic adds to a plan, with the sentence that says why."""

    mission: MissionSummary
    reason: str


@dataclass(frozen=True)
class DiagnosticRules:
    """What the answers to the diagnostic add to its plan (knowledge/diagnostic.yml).

    A reason may hold ``{phase}`` (the officer's phase) and ``{count}`` (the threshold).
    """

    imposed: Tuple[PlanRule, ...]
    voluntary: Tuple[PlanRule, ...]
    many_partners: Tuple[PlanRule, ...]
    many_partners_threshold: int
    phase_reason: str
