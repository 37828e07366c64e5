"""The same build and queries on PostgreSQL (KB_DATABASE_URL).

Runs where a server is reachable (always in CI, where its absence is a failure); elsewhere it
is skipped with the reason. TEST_POSTGRES_URL overrides the default local server.
"""

from __future__ import annotations

import pytest

from bot.kb.content import load_content
from bot.kb.db import make_engine
from bot.kb.loader import build
from bot.kb.service import KnowledgeBase
from tests.conftest import postgres_schema


@pytest.fixture
def postgres_url():
    with postgres_schema("kb_test") as url:
        yield url


def test_build_and_search_on_postgres(postgres_url, content, analyzer):
    engine = make_engine(postgres_url)
    build(engine, content, analyzer)
    build(engine, content, analyzer)  # idempotent on PostgreSQL too
    kb = KnowledgeBase.from_url(postgres_url, analyzer)
    assert len(kb.list_missions()) == len(content.missions)
    assert kb.get_mission("identify_lead_partner").parent.id == "build_partnerships"
    assert kb.find_missions("personne ne veut piloter", limit=1)[0].mission.id == "identify_lead_partner"
    engine.dispose()


def test_failed_build_leaves_postgres_untouched(postgres_url, content, analyzer, content_copy, monkeypatch):
    engine = make_engine(postgres_url)
    build(engine, content, analyzer)
    monkeypatch.setattr("bot.kb.loader.update", lambda *args: (_ for _ in ()).throw(RuntimeError("panne")))
    with pytest.raises(RuntimeError):
        build(engine, load_content(content_copy), analyzer)
    kb = KnowledgeBase.from_url(postgres_url, analyzer)
    assert len(kb.list_missions()) == len(content.missions)
    engine.dispose()
