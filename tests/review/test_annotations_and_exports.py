"""Annotations with their history, and the exports that bring findings back into training."""

from __future__ import annotations

import csv
import io

import pytest
import yaml
from sqlalchemy import select

from bot.review import export, queries
from bot.review.annotations import InvalidAnnotation, annotate
from bot.review.models import Conversation, Turn


def user_turn(store, text):
    with store.session() as session:
        return session.execute(select(Turn.event_id).where(Turn.text == text)).scalar_one()


def transcript(store):
    with store.session() as session:
        pseudonym = session.execute(select(Conversation.pseudonym)).scalar_one()
        return queries.get_transcript(session, pseudonym)


def test_annotation_changes_are_kept_in_order(recorded):
    event_id = user_turn(recorded, "Qui doit piloter notre projet ?")
    with recorded.session() as session:
        annotate(session, event_id, "to_review", "misunderstood", "alice")
    with recorded.session() as session:
        annotate(session, event_id, "resolved", "misunderstood", "bob", correct_intent="ask_mission", comment="Ajouté")
    turn = next(turn for turn in transcript(recorded).turns if turn.event_id == event_id)
    assert (turn.annotation.state, turn.annotation.author, turn.annotation.correct_intent) == (
        "resolved",
        "bob",
        "ask_mission",
    )
    assert [(change.state, change.author) for change in turn.history] == [("to_review", "alice"), ("resolved", "bob")]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"state": "perdu"}, "État inconnu"),
        ({"reason": "flemme"}, "Motif inconnu"),
        ({"correct_intent": "no_such_intent"}, "Intention inconnue"),
        ({"comment": "x" * 4001}, "Commentaire trop long"),
    ],
)
def test_invalid_annotation_is_refused_in_french(recorded, values, message):
    event_id = user_turn(recorded, "Bonjour")
    arguments = {"state": "anomaly", "reason": "other", "correct_intent": None, "comment": "", **values}
    with recorded.session() as session, pytest.raises(InvalidAnnotation, match=message):
        annotate(session, event_id, author="alice", known_intents={"greet", "ask_mission"}, **arguments)


def test_correct_intent_only_on_user_turns(recorded):
    bot_turn = next(turn for turn in transcript(recorded).turns if turn.kind == "bot")
    with recorded.session() as session, pytest.raises(InvalidAnnotation, match="message de l'utilisateur"):
        annotate(session, bot_turn.event_id, "anomaly", "inaccurate", "alice", correct_intent="greet")


def test_unknown_turn_is_refused(recorded):
    with recorded.session() as session, pytest.raises(InvalidAnnotation, match="n'existe pas"):
        annotate(session, 999_999, "anomaly", "other", "alice")


def test_nlu_export_holds_corrected_messages_ready_for_data(recorded):
    with recorded.session() as session:
        annotate(
            session,
            user_turn(recorded, "Qui doit piloter notre projet ?"),
            "resolved",
            "misunderstood",
            "a",
            correct_intent="ask_mission",
        )
        annotate(
            session,
            user_turn(recorded, "blablabla xyz"),
            "anomaly",
            "misunderstood",
            "a",
            correct_intent="out_of_scope",
        )
        annotate(session, user_turn(recorded, "3"), "wont_fix", "other", "a", correct_intent="inform_partners")
        annotate(session, user_turn(recorded, "Bonjour"), "anomaly", "other", "a")
    with recorded.session() as session:
        examples, skipped = export.corrected_examples(session)
    document = yaml.safe_load(export.nlu_yaml(examples))
    assert document["version"] == "3.1"
    assert document["nlu"] == [
        {"intent": "ask_mission", "examples": "- Qui doit piloter notre projet ?\n"},
        {"intent": "out_of_scope", "examples": "- blablabla xyz\n"},
    ]
    assert skipped == []


def test_nlu_export_leaves_out_button_payloads_and_markup(recorded, store):
    with recorded.session() as session:
        turn = session.execute(select(Turn).where(Turn.text == "Bonjour")).scalar_one()
        turn.text = '/ask_mission{"mission": "x"}'
        annotate(session, turn.event_id, "anomaly", "other", "a", correct_intent="greet")
        other = session.execute(select(Turn).where(Turn.text == "3")).scalar_one()
        other.text = "voir [ceci](phase)"
        annotate(session, other.event_id, "anomaly", "other", "a", correct_intent="greet")
    with recorded.session() as session:
        examples, skipped = export.corrected_examples(session)
    assert examples == {} and len(skipped) == 2
    assert yaml.safe_load(export.nlu_yaml(examples))["nlu"] == []


def test_story_export_is_a_rasa_test_story_with_corrections(recorded):
    with recorded.session() as session:
        annotate(
            session,
            user_turn(recorded, "Qui doit piloter notre projet ?"),
            "resolved",
            "misunderstood",
            "a",
            correct_intent="ask_mission",
        )
    story = yaml.safe_load(export.story_yaml(transcript(recorded)))
    steps = story["stories"][0]["steps"]
    assert steps[0] == {"user": "Bonjour\n", "intent": "greet"}
    assert steps[1] == {"action": "utter_greet"}
    assert {"user": "Qui doit piloter notre projet ?\n", "intent": "ask_mission"} in steps
    assert {"user": '[émergence]{"entity": "phase", "value": "emergence"}\n', "intent": "affirm"} in steps
    assert {"active_loop": "diagnostic_form"} in steps and {"active_loop": None} in steps
    assert steps.index({"active_loop": None}) < steps.index({"action": "action_diagnostic_plan"})
    assert steps[-1] == {"action": "utter_anything_else"}


def test_csv_export_opens_in_a_french_spreadsheet(recorded):
    with recorded.session() as session:
        rows = list(queries.iter_conversations(session, queries.ConversationFilter()))
    text = export.csv_text(rows)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:3] == ["conversation", "debut", "derniere_activite"]
    assert table[1][0] == rows[0].pseudonym and table[1][4] == "10" and table[1][5] == "0,30"
    assert table[1][6:9] == ["oui", "oui", "terminé"]
