"""Loads validated content into the database, in one transaction, idempotently."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.kb.content import Content
from bot.kb.models import (
    KB_TABLES,
    MANY_PARTNERS_KEY,
    PHASE_REASON_KEY,
    Base,
    DiagnosticRuleRow,
    MetaRow,
    MissionLinkRow,
    MissionRow,
    MissionTermRow,
    MissionTextRow,
    PhaseRow,
    SynonymRow,
)
from bot.text import ANALYSIS_VERSION, FrenchAnalyzer

logger = logging.getLogger(__name__)

# How much a term found in each part of a mission counts in the search score.
FIELD_WEIGHTS = {
    "title": 3.0,
    "map_label": 3.0,
    "keyword": 3.0,
    "competence": 2.0,
    "situation": 2.0,
    "summary": 1.5,
    "why": 1.0,
    "how": 0.6,
    "phase": 0.5,
    "pitfall": 0.4,
    "example": 0.3,
}
LIST_KINDS = {
    "competence": "competences",
    "how": "how",
    "pitfall": "pitfalls",
    "situation": "situations",
    "keyword": "keywords",
    "question": "questions",
}
# Kept for the content classifier (bot.kb.ranker) only: no search terms, no weight.
CLASSIFIER_ONLY_KINDS = {"question"}
DIGEST_KEY = "content_digest"


@dataclass(frozen=True)
class BuildReport:
    phases: int
    missions: int
    texts: int
    terms: int
    skipped: bool = False


def stored_digest(engine: Engine) -> str:
    """Digest of the content last built into this database, or "" if none."""
    Base.metadata.create_all(engine, tables=[MetaRow.__table__])
    with Session(engine) as session:
        row = session.get(MetaRow, DIGEST_KEY)
        return row.value if row else ""


def build(engine: Engine, content: Content, analyzer: FrenchAnalyzer, force: bool = True) -> BuildReport:
    """Replace the knowledge base with ``content`` in a single transaction.

    Every row is computed before the database is touched; any failure rolls back and
    leaves the previous knowledge base as it was. With ``force=False`` the build is skipped
    when the database already holds this exact content.
    """
    digest = f"{content.digest}:{ANALYSIS_VERSION}"
    if not force and stored_digest(engine) == digest:
        return BuildReport(len(content.phases), len(content.missions), 0, 0, skipped=True)
    rows = _rows(content, analyzer, digest)
    _ensure_schema(engine)
    with Session(engine) as session, session.begin():
        for table in reversed(KB_TABLES):
            session.execute(table.delete())
        for model in (
            PhaseRow,
            MissionRow,
            MissionTextRow,
            MissionLinkRow,
            MissionTermRow,
            SynonymRow,
            DiagnosticRuleRow,
            MetaRow,
        ):
            if rows[model]:
                session.execute(insert(model), rows[model])
        # Links between missions are set once every mission exists (foreign keys).
        for mission in content.missions:
            if mission.parent_id or mission.next_id:
                session.execute(
                    update(MissionRow)
                    .where(MissionRow.id == mission.id)
                    .values(parent_id=mission.parent_id, next_id=mission.next_id)
                )
        count = session.execute(select(MissionRow.id)).all()
    logger.info("Base de connaissances construite : %d missions.", len(count))
    return BuildReport(
        phases=len(rows[PhaseRow]),
        missions=len(rows[MissionRow]),
        texts=len(rows[MissionTextRow]),
        terms=len(rows[MissionTermRow]),
    )


def _ensure_schema(engine: Engine) -> None:
    """Create the tables; recreate them when a code upgrade changed their columns.

    The knowledge base is derived from the YAML content, so its tables can be dropped.
    """
    inspector = inspect(engine)
    outdated = [
        table
        for table in KB_TABLES
        if inspector.has_table(table.name)
        and {column["name"] for column in inspector.get_columns(table.name)} != set(table.columns.keys())
    ]
    if outdated:
        logger.warning("Schéma de la base de connaissances périmé : tables recréées.")
        Base.metadata.drop_all(engine, tables=KB_TABLES)
    Base.metadata.create_all(engine, tables=KB_TABLES)


def _rows(content: Content, analyzer: FrenchAnalyzer, digest: str) -> Dict[type, List[dict]]:
    rows: Dict[type, List[dict]] = defaultdict(list)
    phase_labels = {}
    for phase in content.phases:
        phase_labels[phase.id] = phase.label
        rows[PhaseRow].append(
            dict(
                id=phase.id,
                label=phase.label,
                heading=phase.heading,
                description=phase.description,
                position=phase.position,
                transversal=phase.transversal,
                aliases="\n".join(phase.aliases),
            )
        )
    for mission in content.missions:
        title_terms = analyzer.terms(mission.title)
        label_terms = analyzer.terms(mission.map_label)
        rows[MissionRow].append(
            dict(
                id=mission.id,
                phase_id=mission.phase_id,
                parent_id=None,
                next_id=None,
                position=mission.position,
                title=mission.title,
                map_label=mission.map_label,
                summary=mission.summary,
                why=mission.why,
                example=mission.example,
                title_terms=" ".join(title_terms),
                map_label_terms=" ".join(label_terms),
            )
        )
        found = {
            "title": set(title_terms),
            "map_label": set(label_terms),
            "summary": set(analyzer.terms(mission.summary)),
            "why": set(analyzer.terms(mission.why)),
            "example": set(analyzer.terms(mission.example)),
            "phase": set(analyzer.terms(phase_labels[mission.phase_id])),
        }
        for kind, attribute in LIST_KINDS.items():
            found[kind] = set()
            for position, text in enumerate(getattr(mission, attribute)):
                terms = [] if kind in CLASSIFIER_ONLY_KINDS else analyzer.terms(text)
                found[kind].update(terms)
                rows[MissionTextRow].append(
                    dict(mission_id=mission.id, kind=kind, position=position, text=text, terms=" ".join(terms))
                )
        weights: Dict[str, float] = defaultdict(float)
        for kind, terms in found.items():
            for term in terms:  # a classifier-only kind has none
                weights[term] += FIELD_WEIGHTS[kind]
        rows[MissionTermRow].extend(
            dict(mission_id=mission.id, term=term, weight=weight) for term, weight in sorted(weights.items())
        )
        rows[MissionLinkRow].extend(
            dict(mission_id=mission.id, related_id=related, position=position)
            for position, related in enumerate(dict.fromkeys(mission.related))
        )
    for phrase, meanings in content.synonyms.items():
        rows[SynonymRow].extend(dict(phrase=phrase, meaning=meaning) for meaning in dict.fromkeys(meanings))
    if content.diagnostic is not None:
        rows[DiagnosticRuleRow].extend(
            dict(trigger=rule.trigger, position=position, mission_id=rule.mission_id, reason=rule.reason)
            for position, rule in enumerate(content.diagnostic.rules)
        )
        rows[MetaRow].append(dict(key=MANY_PARTNERS_KEY, value=str(content.diagnostic.many_partners)))
        rows[MetaRow].append(dict(key=PHASE_REASON_KEY, value=content.diagnostic.phase_reason))
    rows[MetaRow].append(dict(key=DIGEST_KEY, value=digest))
    return rows
