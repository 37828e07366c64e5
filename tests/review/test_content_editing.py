"""Publishing content edits (bot.review.content_history): the file written, the knowledge base
rebuilt, every version recorded; stale edits refused; changes made in git noticed; restore."""

from __future__ import annotations

import pytest

from bot.kb import editing
from bot.kb.db import make_engine, make_session_factory
from bot.kb.service import KnowledgeBase
from bot.review import content_history as history
from bot.review.content_history import MISSION, SYNONYMS, SYNONYMS_ID, ContentPublisher

MISSION_ID = "identify_lead_partner"
NEW_KEYWORD = "zorglubisme"


@pytest.fixture
def publisher(content_copy, tmp_path, analyzer):
    publisher = ContentPublisher(content_copy, f"sqlite:///{tmp_path / 'kb.sqlite3'}", analyzer=lambda: analyzer)
    publisher.rebuild()
    return publisher


@pytest.fixture
def kb(publisher, analyzer):
    engine = make_engine(publisher.kb_url)
    yield KnowledgeBase(make_session_factory(engine), analyzer, reload_seconds=0.0)
    engine.dispose()


def draft_with(publisher, **fields):
    current = publisher.current(MISSION, MISSION_ID)
    form = editing.mission_form(current.document)
    for name, value in fields.items():
        form[name] = form[name] + "\n" + value if name in editing.LIST_FIELDS else value
    return current, editing.mission_from_form(current.document, form)


def publish(publisher, store, current, draft, author="alice", comment="Ajout d'un mot-clé"):
    with store.session() as session:
        return publisher.publish(session, MISSION, MISSION_ID, draft, current.digest, author, comment)


def versions(store, kind=MISSION, item_id=MISSION_ID):
    with store.session() as session:
        return history.list_versions(session, kind, item_id)


def test_publish_writes_the_file_rebuilds_the_knowledge_base_and_records_who_when_why(publisher, store, kb):
    assert MISSION_ID not in [hit.mission.id for hit in kb.find_missions(NEW_KEYWORD)]
    current, draft = draft_with(publisher, keywords=NEW_KEYWORD, title="Trouver le chef de file")
    version = publish(publisher, store, current, draft)
    assert f"      - {NEW_KEYWORD}\n" in current.path.read_text(encoding="utf-8")
    assert kb.get_mission(MISSION_ID).title == "Trouver le chef de file"
    assert kb.find_missions(NEW_KEYWORD)[0].mission.id == MISSION_ID
    recorded = versions(store)
    assert [(v.author, v.comment) for v in recorded] == [
        ("alice", "Ajout d'un mot-clé"),
        (history.GIT_AUTHOR, history.BASELINE_COMMENT),
    ]
    assert recorded[0].id == version.id and recorded[0].document["title"] == "Trouver le chef de file"
    assert recorded[1].document == current.document
    assert recorded[0].created_at > 0


def test_edit_started_before_another_change_is_refused_and_the_file_kept(publisher, store):
    current, draft = draft_with(publisher, keywords="premier")
    publish(publisher, store, current, draft, author="bob")
    after_bob = current.path.read_bytes()
    _stale, late_draft = draft_with(publisher, keywords="second")
    with pytest.raises(history.StaleEdit) as refused:
        publish(publisher, store, current, late_draft)  # the digest of the form shown before bob published
    assert "modifié depuis l'ouverture du formulaire" in refused.value.message
    assert current.path.read_bytes() == after_bob


def test_invalid_edit_is_refused_on_its_field_and_nothing_changes(publisher, store, kb):
    before = kb.get_mission(MISSION_ID)
    current, draft = draft_with(publisher, how="")
    draft["how"] = draft["how"][:2]
    original = current.path.read_bytes()
    with pytest.raises(editing.EditError) as refused:
        publish(publisher, store, current, draft)
    assert refused.value.field == "how"
    assert current.path.read_bytes() == original
    assert kb.get_mission(MISSION_ID) == before
    assert versions(store) == []


def test_publish_without_comment_or_without_change_is_refused(publisher, store):
    current, draft = draft_with(publisher, keywords="nouveau")
    with pytest.raises(editing.EditError) as no_comment:
        publish(publisher, store, current, draft, comment="   ")
    assert no_comment.value.field == "comment"
    with pytest.raises(editing.EditError) as unchanged:
        publish(publisher, store, current, current.document)
    assert "Aucune modification" in unchanged.value.message


def test_failed_rebuild_puts_the_file_back(publisher, store, monkeypatch):
    current, draft = draft_with(publisher, keywords="nouveau")
    original = current.path.read_bytes()

    def broken(*_args, **_kwargs):
        raise RuntimeError("base injoignable")

    monkeypatch.setattr(history, "build", broken)
    with pytest.raises(RuntimeError):
        publish(publisher, store, current, draft)
    assert current.path.read_bytes() == original
    assert versions(store) == []


def test_change_made_in_git_shows_up_as_a_version_by_git(publisher, store):
    current, draft = draft_with(publisher, keywords="console")
    publish(publisher, store, current, draft)
    # A developer edits the file and pulls it: the console did not write this.
    text = current.path.read_text(encoding="utf-8").replace("      - console\n", "      - console\n      - git\n")
    current.path.write_text(text, encoding="utf-8")
    with store.session() as session:
        history.history_items(session, publisher)
        history.history_items(session, publisher)  # noticed once, not at every look
    recorded = versions(store)
    assert [v.author for v in recorded] == [history.GIT_AUTHOR, "alice", history.GIT_AUTHOR]
    assert recorded[0].comment == history.GIT_COMMENT
    assert recorded[0].document["keywords"][-2:] == ["console", "git"]


def test_restoring_the_first_version_gives_back_the_original_file_byte_for_byte(publisher, store, kb):
    original = publisher.current(MISSION, MISSION_ID)
    original_text = original.path.read_text(encoding="utf-8")
    current, draft = draft_with(publisher, keywords=NEW_KEYWORD, title="Trouver le chef de file")
    publish(publisher, store, current, draft)
    baseline = versions(store)[-1]
    now = publisher.current(MISSION, MISSION_ID)
    with store.session() as session:
        restored = publisher.publish(
            session,
            MISSION,
            MISSION_ID,
            baseline.document,
            now.digest,
            "alice",
            history.restore_comment(baseline, lambda _at: "04/12/2026 08:00:00"),
            restored_from=baseline.id,
        )
    assert original.path.read_text(encoding="utf-8") == original_text
    assert kb.get_mission(MISSION_ID).title == original.document["title"]
    assert MISSION_ID not in [hit.mission.id for hit in kb.find_missions(NEW_KEYWORD)]
    assert restored.comment == "Retour à la version du 04/12/2026 08:00:00"
    assert restored.restored_from == baseline.id and len(versions(store)) == 3


def test_synonyms_are_published_and_used_by_the_search(publisher, store, kb):
    current = publisher.current(SYNONYMS, SYNONYMS_ID)
    draft = dict(current.document, **{NEW_KEYWORD: "chef de file"})
    with store.session() as session:
        publisher.publish(session, SYNONYMS, SYNONYMS_ID, draft, current.digest, "alice", "Mot des agents")
    assert f"{NEW_KEYWORD}: chef de file\n" in current.path.read_text(encoding="utf-8")
    assert kb.find_missions(f"{NEW_KEYWORD} introuvable")[0].mission.id == MISSION_ID
    assert [v.author for v in versions(store, SYNONYMS, SYNONYMS_ID)] == ["alice", history.GIT_AUTHOR]
