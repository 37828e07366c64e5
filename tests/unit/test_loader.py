"""Building the database: one transaction, idempotent, untouched when content is bad."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from bot.kb.content import PLAN_TRIGGERS, ContentError, load_content
from bot.kb.db import make_engine, make_session_factory
from bot.kb.loader import build, stored_digest
from bot.kb.models import DiagnosticRuleRow, MetaRow, MissionRow, MissionTermRow, MissionTextRow, PhaseRow
from bot.kb.service import KnowledgeBase, KnowledgeBaseUnavailable


def counts(engine):
    with Session(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (PhaseRow, MissionRow, MissionTextRow, MissionTermRow)
        )


@pytest.fixture
def engine(tmp_path):
    return make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")


def test_build_loads_every_phase_and_mission(engine, content, analyzer):
    report = build(engine, content, analyzer)
    assert counts(engine)[:2] == (len(content.phases), len(content.missions))
    assert report.missions == len(content.missions) and report.terms > 0
    assert stored_digest(engine).startswith(content.digest)


def test_rebuild_is_idempotent(engine, content, analyzer):
    build(engine, content, analyzer)
    first = counts(engine)
    build(engine, content, analyzer)
    assert counts(engine) == first


def test_build_if_changed_skips_identical_content(engine, content, analyzer):
    build(engine, content, analyzer)
    assert build(engine, content, analyzer, force=False).skipped


def test_invalid_content_leaves_database_untouched(engine, content, analyzer, content_copy):
    build(engine, content, analyzer)
    before = counts(engine)
    path = content_copy / "missions" / "emergence.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("phase: emergence", "phase: inconnue"), encoding="utf-8")
    with pytest.raises(ContentError):
        build(engine, load_content(content_copy), analyzer)
    assert counts(engine) == before


def test_failure_inside_the_transaction_rolls_back(engine, content, analyzer, monkeypatch):
    build(engine, content, analyzer)
    before = counts(engine)

    def failing_update(*_args):
        raise RuntimeError("panne simulée après l'effacement et les insertions")

    monkeypatch.setattr("bot.kb.loader.update", failing_update)
    with pytest.raises(RuntimeError):
        build(engine, content, analyzer)
    assert counts(engine) == before


def search_weights(engine):
    with Session(engine) as session:
        return session.execute(select(MissionTermRow.mission_id, MissionTermRow.term, MissionTermRow.weight)).all()


def test_an_officers_question_teaches_the_classifier_and_leaves_the_search_alone(engine, content, analyzer):
    mission = content.missions[0]
    question = "les zorglubs du plateau refusent toute rencontre avec ceux de la vallée"
    taught = replace(
        content, missions=(replace(mission, questions=(*mission.questions, question)), *content.missions[1:])
    )
    build(engine, content, analyzer)
    before = search_weights(engine)
    build(engine, taught, analyzer)
    assert search_weights(engine) == before
    with Session(engine) as session:
        stored = session.scalars(
            select(MissionTextRow.text).where(
                MissionTextRow.mission_id == mission.id, MissionTextRow.kind == "question"
            )
        ).all()
    assert question in stored
    likeness = KnowledgeBase(make_session_factory(engine), analyzer)._search_index()._ranker.scores("les zorglubs")
    assert max(likeness, key=likeness.get) == mission.id


def test_mission_links_are_stored(engine, content, analyzer):
    build(engine, content, analyzer)
    with Session(engine) as session:
        lead = session.get(MissionRow, "identify_lead_partner")
        assert lead.parent_id == "build_partnerships"
        assert lead.next_id is not None


def test_diagnostic_rules_are_served_from_the_database_not_the_yaml(engine, analyzer, content_copy, monkeypatch):
    content = load_content(content_copy)
    build(engine, content, analyzer)
    (content_copy / "diagnostic.yml").unlink()
    monkeypatch.setattr("bot.kb.content._read_yaml", lambda path: pytest.fail(f"YAML lu à la requête : {path}"))
    rules = KnowledgeBase(make_session_factory(engine)).get_diagnostic_rules()
    stored = [(trigger, rule.mission.id, rule.reason) for trigger in PLAN_TRIGGERS for rule in getattr(rules, trigger)]
    assert stored == [(rule.trigger, rule.mission_id, rule.reason) for rule in content.diagnostic.rules]
    assert rules.imposed[0].mission.title and rules.imposed[0].mission.phase_label
    assert (rules.many_partners_threshold, rules.phase_reason) == (4, content.diagnostic.phase_reason)


def test_build_if_changed_rebuilds_when_the_diagnostic_rules_change(engine, content, analyzer, content_copy):
    build(engine, content, analyzer)
    path = content_copy / "diagnostic.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("threshold: 4", "threshold: 6"), encoding="utf-8")
    assert not build(engine, load_content(content_copy), analyzer, force=False).skipped
    assert KnowledgeBase(make_session_factory(engine)).get_diagnostic_rules().many_partners_threshold == 6


def test_a_database_built_without_diagnostic_rules_asks_for_a_build(engine, content, analyzer):
    build(engine, content, analyzer)
    with Session(engine) as session, session.begin():
        session.execute(delete(MetaRow).where(MetaRow.key != "content_digest"))
        session.execute(delete(DiagnosticRuleRow))
    with pytest.raises(KnowledgeBaseUnavailable, match="python -m bot.kb build"):
        KnowledgeBase(make_session_factory(engine)).get_diagnostic_rules()


def test_first_steps_of_several_missions_come_in_one_query(engine, content, analyzer):
    build(engine, content, analyzer)
    kb = KnowledgeBase(make_session_factory(engine))
    ids = ["build_trust", "inconnue", "identify_lead_partner", "grasp_complexity"]
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    first_steps = kb.list_first_steps(ids)
    assert len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]) == 1
    how = {mission.id: mission.how[0] for mission in content.missions}
    assert first_steps == [how["build_trust"], "", how["identify_lead_partner"], how["grasp_complexity"]]
