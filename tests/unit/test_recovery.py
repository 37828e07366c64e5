"""A missing, empty or corrupt knowledge base is rebuilt at start-up."""

from __future__ import annotations

from bot.kb.recovery import ensure_readable
from bot.kb.service import KnowledgeBase


def test_readable_knowledge_base_is_left_alone(kb_url, analyzer):
    assert ensure_readable(kb_url, analyzer=analyzer) is False


def test_missing_knowledge_base_is_built(tmp_path, analyzer):
    url = f"sqlite:///{tmp_path / 'absente.sqlite3'}"
    assert ensure_readable(url, analyzer=analyzer) is True
    assert KnowledgeBase.from_url(url, analyzer).get_mission("identify_lead_partner") is not None


def test_corrupt_file_is_kept_aside_and_rebuilt(tmp_path, analyzer):
    path = tmp_path / "knowledge.sqlite3"
    path.write_bytes(b"ceci n'est pas une base SQLite" * 100)
    url = f"sqlite:///{path}"
    assert ensure_readable(url, analyzer=analyzer) is True
    assert KnowledgeBase.from_url(url, analyzer).list_missions()
    assert len(list(tmp_path.glob("knowledge.sqlite3.corrompu-*"))) == 1
