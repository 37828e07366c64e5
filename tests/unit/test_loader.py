"""Building the database: one transaction, idempotent, untouched when content is bad."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.kb.content import ContentError, load_content
from bot.kb.db import make_engine
from bot.kb.loader import build, stored_digest
from bot.kb.models import MissionRow, MissionTermRow, MissionTextRow, PhaseRow


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


def test_mission_links_are_stored(engine, content, analyzer):
    build(engine, content, analyzer)
    with Session(engine) as session:
        lead = session.get(MissionRow, "identify_lead_partner")
        assert lead.parent_id == "build_partnerships"
        assert lead.next_id is not None
