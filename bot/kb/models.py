"""SQLAlchemy 1.4 declarative tables of the knowledge base."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()

# Keys of kb_meta holding the diagnostic's settings, beside its rules (knowledge/diagnostic.yml).
MANY_PARTNERS_KEY = "diagnostic_many_partners"
PHASE_REASON_KEY = "diagnostic_phase_reason"


class PhaseRow(Base):
    __tablename__ = "kb_phases"

    id = Column(String(64), primary_key=True)
    label = Column(String(200), nullable=False)
    heading = Column(String(300), nullable=False)
    description = Column(Text, nullable=False)
    position = Column(Integer, nullable=False)
    transversal = Column(Boolean, nullable=False, default=False)
    # The officers' words for the phase, one per line.
    aliases = Column(Text, nullable=False, default="")


class MissionRow(Base):
    __tablename__ = "kb_missions"

    id = Column(String(64), primary_key=True)
    phase_id = Column(String(64), ForeignKey("kb_phases.id"), nullable=False, index=True)
    parent_id = Column(String(64), ForeignKey("kb_missions.id"), nullable=True)
    next_id = Column(String(64), ForeignKey("kb_missions.id"), nullable=True)
    position = Column(Integer, nullable=False)
    title = Column(String(300), nullable=False)
    map_label = Column(String(500), nullable=False)
    summary = Column(Text, nullable=False)
    why = Column(Text, nullable=False)
    example = Column(Text, nullable=False)
    # Search terms of the title and of the map label, computed at build time.
    title_terms = Column(Text, nullable=False, default="")
    map_label_terms = Column(Text, nullable=False, default="")


class MissionTextRow(Base):
    """One item of a mission's lists: competence, how-to step, pitfall, situation, keyword."""

    __tablename__ = "kb_mission_texts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    mission_id = Column(String(64), ForeignKey("kb_missions.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    position = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)
    # Space-separated search terms of the text, computed at build time.
    terms = Column(Text, nullable=False, default="")


class MissionLinkRow(Base):
    __tablename__ = "kb_mission_links"

    mission_id = Column(String(64), ForeignKey("kb_missions.id"), primary_key=True)
    related_id = Column(String(64), ForeignKey("kb_missions.id"), primary_key=True)
    position = Column(Integer, nullable=False)


class MissionTermRow(Base):
    """Weighted search terms of a mission (the search index), computed at build time."""

    __tablename__ = "kb_mission_terms"

    mission_id = Column(String(64), ForeignKey("kb_missions.id"), primary_key=True)
    term = Column(String(100), primary_key=True)
    weight = Column(Float, nullable=False)


class SynonymRow(Base):
    __tablename__ = "kb_synonyms"

    phrase = Column(String(200), primary_key=True)
    meaning = Column(Text, primary_key=True)


class DiagnosticRuleRow(Base):
    """A mission the diagnostic adds to a plan when its trigger holds (knowledge/diagnostic.yml);
    the many-partners threshold and the phase reason are kept in kb_meta."""

    __tablename__ = "kb_diagnostic_rules"

    id = Column(Integer, primary_key=True, autoincrement=True)
    trigger = Column(String(32), nullable=False)
    position = Column(Integer, nullable=False)
    mission_id = Column(String(64), ForeignKey("kb_missions.id"), nullable=False)
    reason = Column(Text, nullable=False)


class MetaRow(Base):
    __tablename__ = "kb_meta"

    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)


KB_TABLES = [
    PhaseRow.__table__,
    MissionRow.__table__,
    MissionTextRow.__table__,
    MissionLinkRow.__table__,
    MissionTermRow.__table__,
    SynonymRow.__table__,
    DiagnosticRuleRow.__table__,
    MetaRow.__table__,
]
