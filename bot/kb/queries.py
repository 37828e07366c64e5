"""Read functions over the knowledge base. Each takes an open session first and returns
plain records, never ORM objects."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.kb.models import (
    MANY_PARTNERS_KEY,
    PHASE_REASON_KEY,
    DiagnosticRuleRow,
    MetaRow,
    MissionLinkRow,
    MissionRow,
    MissionTermRow,
    MissionTextRow,
    PhaseRow,
    SynonymRow,
)
from bot.kb.records import DiagnosticRules, Mission, MissionSummary, Phase, PlanRule


def list_phases(session: Session, include_transversal: bool = False) -> List[Phase]:
    """The phases in map order; the transversal group only when asked."""
    statement = select(PhaseRow).order_by(PhaseRow.position)
    if not include_transversal:
        statement = statement.where(PhaseRow.transversal.is_(False))
    return [_phase(row) for row in session.scalars(statement)]


def get_phase(session: Session, phase_id: str) -> Optional[Phase]:
    row = session.get(PhaseRow, phase_id)
    return _phase(row) if row else None


def list_missions(session: Session, phase_id: Optional[str] = None, top_level: bool = False) -> List[MissionSummary]:
    """Missions in map order, of one phase (or all); ``top_level`` leaves out sub-missions."""
    statement = (
        select(MissionRow, PhaseRow.label)
        .join(PhaseRow, MissionRow.phase_id == PhaseRow.id)
        .order_by(PhaseRow.position, MissionRow.position)
    )
    if phase_id is not None:
        statement = statement.where(MissionRow.phase_id == phase_id)
    if top_level:
        statement = statement.where(MissionRow.parent_id.is_(None))
    return [_summary(row, label) for row, label in session.execute(statement)]


def get_mission(session: Session, mission_id: str) -> Optional[Mission]:
    """One mission with its competences, advice, situations and links, or ``None``."""
    row = session.get(MissionRow, mission_id)
    if row is None:
        return None
    phase = get_phase(session, row.phase_id)
    texts: Dict[str, List[str]] = defaultdict(list)
    statement = (
        select(MissionTextRow.kind, MissionTextRow.text)
        .where(MissionTextRow.mission_id == mission_id)
        .order_by(MissionTextRow.kind, MissionTextRow.position)
    )
    for kind, text in session.execute(statement):
        texts[kind].append(text)
    related_ids = session.scalars(
        select(MissionLinkRow.related_id)
        .where(MissionLinkRow.mission_id == mission_id)
        .order_by(MissionLinkRow.position)
    ).all()
    children = session.scalars(
        select(MissionRow.id).where(MissionRow.parent_id == mission_id).order_by(MissionRow.position)
    ).all()
    summaries = _summaries(session, [*related_ids, *children, row.next_id, row.parent_id])
    return Mission(
        id=row.id,
        title=row.title,
        map_label=row.map_label,
        summary=row.summary,
        phase=phase,
        why=row.why,
        example=row.example,
        competences=tuple(texts["competence"]),
        how=tuple(texts["how"]),
        pitfalls=tuple(texts["pitfall"]),
        situations=tuple(texts["situation"]),
        keywords=tuple(texts["keyword"]),
        questions=tuple(texts["question"]),
        related=tuple(summaries[related] for related in related_ids),
        next=summaries.get(row.next_id),
        parent=summaries.get(row.parent_id),
        children=tuple(summaries[child] for child in children),
    )


def list_first_steps(session: Session, mission_ids: Sequence[str]) -> List[str]:
    """The first "how" step of each mission, in the order given ("" for an unknown id)."""
    statement = select(MissionTextRow.mission_id, MissionTextRow.text).where(
        MissionTextRow.kind == "how", MissionTextRow.position == 0, MissionTextRow.mission_id.in_(set(mission_ids))
    )
    first = dict(session.execute(statement).all())
    return [first.get(mission_id, "") for mission_id in mission_ids]


def get_diagnostic_rules(session: Session) -> Optional[DiagnosticRules]:
    """The rules of the diagnostic's plan, or ``None`` if this database was built without them."""
    settings = dict(
        session.execute(
            select(MetaRow.key, MetaRow.value).where(MetaRow.key.in_((MANY_PARTNERS_KEY, PHASE_REASON_KEY)))
        ).all()
    )
    if len(settings) < 2:
        return None
    statement = (
        select(DiagnosticRuleRow.trigger, DiagnosticRuleRow.reason, MissionRow, PhaseRow.label)
        .join(MissionRow, DiagnosticRuleRow.mission_id == MissionRow.id)
        .join(PhaseRow, MissionRow.phase_id == PhaseRow.id)
        .order_by(DiagnosticRuleRow.position)
    )
    rules: Dict[str, List[PlanRule]] = defaultdict(list)
    for trigger, reason, row, label in session.execute(statement):
        rules[trigger].append(PlanRule(_summary(row, label), reason))
    return DiagnosticRules(
        imposed=tuple(rules["imposed"]),
        voluntary=tuple(rules["voluntary"]),
        many_partners=tuple(rules["many_partners"]),
        many_partners_threshold=int(settings[MANY_PARTNERS_KEY]),
        phase_reason=settings[PHASE_REASON_KEY],
    )


@dataclass(frozen=True)
class SearchRows:
    """Everything the in-memory search index is made of."""

    missions: Tuple[MissionSummary, ...]
    weights: Dict[str, Dict[str, float]]
    # mission id → (kind, text, terms); an officer's question has no terms: the classifier's only
    snippets: Dict[str, List[Tuple[str, str, str]]]
    synonyms: List[Tuple[str, str]]


def load_search_rows(session: Session) -> SearchRows:
    missions = tuple(list_missions(session))
    weights: Dict[str, Dict[str, float]] = defaultdict(dict)
    for mission_id, term, weight in session.execute(
        select(MissionTermRow.mission_id, MissionTermRow.term, MissionTermRow.weight)
    ):
        weights[mission_id][term] = weight
    snippets: Dict[str, List[Tuple[str, str, str]]] = defaultdict(list)
    for row in session.scalars(select(MissionRow)):
        snippets[row.id].append(("title", row.title, row.title_terms))
        snippets[row.id].append(("map_label", row.map_label, row.map_label_terms))
    statement = (
        select(MissionTextRow.mission_id, MissionTextRow.kind, MissionTextRow.text, MissionTextRow.terms)
        .where(MissionTextRow.kind.in_(("competence", "situation", "keyword", "question")))
        .order_by(MissionTextRow.mission_id, MissionTextRow.kind, MissionTextRow.position)
    )
    for mission_id, kind, text, terms in session.execute(statement):
        snippets[mission_id].append((kind, text, terms))
    synonyms = [tuple(row) for row in session.execute(select(SynonymRow.phrase, SynonymRow.meaning))]
    return SearchRows(missions, dict(weights), dict(snippets), synonyms)


def _summaries(session: Session, mission_ids) -> Dict[str, MissionSummary]:
    wanted = {mission_id for mission_id in mission_ids if mission_id}
    if not wanted:
        return {}
    statement = (
        select(MissionRow, PhaseRow.label)
        .join(PhaseRow, MissionRow.phase_id == PhaseRow.id)
        .where(MissionRow.id.in_(wanted))
    )
    return {row.id: _summary(row, label) for row, label in session.execute(statement)}


def _phase(row: PhaseRow) -> Phase:
    return Phase(
        id=row.id,
        label=row.label,
        heading=row.heading,
        description=row.description,
        position=row.position,
        transversal=bool(row.transversal),
        aliases=tuple(alias for alias in row.aliases.split("\n") if alias),
    )


def _summary(row: MissionRow, phase_label: str) -> MissionSummary:
    return MissionSummary(
        id=row.id,
        title=row.title,
        map_label=row.map_label,
        summary=row.summary,
        phase_id=row.phase_id,
        phase_label=phase_label,
        parent_id=row.parent_id,
    )
