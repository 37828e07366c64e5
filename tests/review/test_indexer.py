"""The index built from Rasa's events: turns, summaries, tags; incremental and idempotent."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import func, select

from bot.review import indexer, queries
from bot.review.annotations import annotate
from bot.review.models import EVENTS, Conversation, Turn
from tests.review.conftest import insert_events, recorded_events


def only_transcript(store):
    with store.session() as session:
        pseudonym = session.execute(select(Conversation.pseudonym)).scalar_one()
        return queries.get_transcript(session, pseudonym)


def test_user_turn_keeps_text_intent_confidence_and_entities(recorded):
    turns = only_transcript(recorded).turns
    user = [turn for turn in turns if turn.kind == "user"]
    assert [turn.text for turn in user][:2] == ["Bonjour", "Qui doit piloter notre projet ?"]
    assert user[1].intent == "nlu_fallback" and 0.29 < user[1].confidence < 0.31
    phase = next(turn for turn in user if turn.text == "émergence")
    assert phase.entities == ({"entity": "phase", "value": "emergence", "start": 0, "end": 9},)


def test_bot_turn_has_its_action_messages_and_cited_missions(recorded):
    turns = only_transcript(recorded).turns
    clarify = next(turn for turn in turns if turn.action == "action_clarify")
    assert clarify.kind == "bot"
    assert clarify.messages[0]["text"].startswith("Je ne suis pas sûr d'avoir compris")
    assert clarify.messages[0]["buttons"] == [
        "Identifier un chef de file",
        "Conduire et animer le projet de coopération",
        "Faire émerger une gouvernance",
    ]
    assert clarify.missions == ("identify_lead_partner", "lead_project", "build_governance")
    plan = next(turn for turn in turns if turn.action == "action_diagnostic_plan")
    assert plan.missions[0] == "manage_conflicts" and len(plan.missions) == 4
    assert plan.slots["diag_phase"] is None


def test_internal_actions_are_not_turns(recorded):
    actions = {turn.action for turn in only_transcript(recorded).turns}
    assert not actions & {"action_listen", "action_session_start", "action_extract_slots"}


def test_conversation_summary_records_incidents_and_form(recorded):
    with recorded.session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        assert conversation.user_messages == 10
        assert conversation.fallback and conversation.out_of_scope
        assert conversation.form_started and conversation.form_completed and not conversation.form_active
        assert round(conversation.min_confidence, 2) == 0.30
        assert conversation.first_message == "Bonjour"
        assert conversation.channel == "rest"
        assert queries.list_values(session, "phase") == ["emergence"]
        assert "manage_conflicts" in queries.list_values(session, "mission")
        assert conversation.pseudonym.startswith("c-") and "officer" not in conversation.pseudonym


def test_reading_in_small_batches_gives_the_same_index(store):
    events = recorded_events()
    insert_events(store, "officer-1", events[:31])
    insert_events(store, "officer-2", events[:12])
    assert store.refresh(batch_size=7) == 43
    insert_events(store, "officer-1", events[31:])
    insert_events(store, "officer-2", events[12:])
    assert store.refresh(batch_size=5) == 127
    with store.session() as session:
        by_sender = {
            row.sender_id: queries.get_transcript(session, row.pseudonym)
            for row in session.execute(select(Conversation)).scalars()
        }
    insert_events(store, "officer-3", events)
    store.refresh()
    with store.session() as session:
        pseudonym = session.execute(
            select(Conversation.pseudonym).where(Conversation.sender_id == "officer-3")
        ).scalar()
        by_sender["officer-3"] = queries.get_transcript(session, pseudonym)

    def without_ids(transcript):
        return [replace(turn, event_id=0) for turn in transcript.turns]

    assert without_ids(by_sender["officer-1"]) == without_ids(by_sender["officer-3"])
    assert without_ids(by_sender["officer-2"]) == without_ids(by_sender["officer-3"])
    assert len(by_sender["officer-3"].turns) == 22


def test_second_sync_reads_nothing_new(recorded):
    assert recorded.refresh() == 0
    with recorded.session() as session:
        assert session.execute(select(func.count()).select_from(Turn)).scalar_one() == 22


def test_malformed_event_bodies_are_skipped_without_failing(store):
    insert_events(
        store,
        "odd",
        [
            {"type_name": "user", "timestamp": 1.0, "intent_name": None, "action_name": None, "data": "pas du json"},
            {"type_name": "user", "timestamp": 2.0, "intent_name": None, "action_name": None, "data": "[1, 2]"},
            {"type_name": "slot", "timestamp": 3.0, "intent_name": None, "action_name": None, "data": {"name": 5}},
        ],
    )
    assert store.refresh() == 3
    with store.session() as session:
        assert session.execute(select(Conversation.user_messages)).scalar_one() == 2


def test_rasa_events_are_never_modified(store):
    events = recorded_events()
    insert_events(store, "officer-1", events)
    with store.engine.connect() as connection:
        before = connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all()
    store.refresh()
    with store.session() as session:
        turn = session.execute(select(Turn).where(Turn.kind == "user")).scalars().first()
        annotate(session, turn.event_id, "anomaly", "misunderstood", "formatrice", correct_intent="ask_mission")
    with store.engine.connect() as connection:
        assert connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all() == before


def test_rebuild_keeps_annotations_and_pseudonyms(recorded):
    with recorded.session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        turn = session.execute(select(Turn).where(Turn.intent == "nlu_fallback")).scalar_one()
        annotate(session, turn.event_id, "to_review", "misunderstood", "formatrice")
        pseudonym = conversation.pseudonym
    assert recorded.rebuild() == 85
    with recorded.session() as session:
        transcript = queries.get_transcript(session, pseudonym)
    assert len(transcript.turns) == 22
    assert [turn.annotation.state for turn in transcript.turns if turn.annotation] == ["to_review"]


def test_slot_values_are_kept_as_json(recorded):
    with recorded.session() as session:
        slots = [json.loads(value) for value in session.execute(select(Turn.slots)).scalars()]
    assert {"last_missions": ["identify_lead_partner", "lead_project", "build_governance"]} in slots


def test_one_batch_per_transaction_so_rasa_can_write_in_between(store):
    insert_events(store, "officer-1", recorded_events())
    with store.session() as session:
        assert indexer.sync(session, batch_size=10, max_batches=1) == 10
    # Rasa keeps writing between two batches; the next refresh reads the rest and the new ones.
    insert_events(store, "officer-2", recorded_events()[:5])
    assert store.refresh(batch_size=10) == 80
