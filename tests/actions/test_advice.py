"""ActionSuggestNextSteps with a fake dispatcher and the real content."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.advice import ActionSuggestNextSteps
from bot.kb.service import KnowledgeBase


def tracker_for(text: str) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={},
        latest_message={"text": text, "intent": {"name": "describe_situation", "confidence": 0.9}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, text):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_for(text), {}))
    return dispatcher.messages, events


def test_situation_gets_ranked_suggestions(kb):
    messages, _ = run(ActionSuggestNextSteps(kb), "personne ne veut piloter notre projet")
    assert messages[0]["response"] == "utter_next_steps_intro"
    steps = [message for message in messages if message["response"] == "utter_next_step"]
    assert 2 <= len(steps) <= 4
    assert steps[0]["title"] == "Identifier un chef de file" and steps[0]["rank"] == 1
    assert "personne ne veut piloter" in steps[0]["reason"]


@pytest.mark.parametrize("text", ["", "zzzz qwerty"])
def test_unmatched_text_says_so(kb, text):
    messages, events = run(ActionSuggestNextSteps(kb), text)
    assert [message["response"] for message in messages] == ["utter_no_suggestion"]
    assert events == []


def test_unavailable_knowledge_base_answers_in_french(tmp_path, analyzer):
    empty = KnowledgeBase.from_url(f"sqlite:///{tmp_path / 'absente.sqlite3'}", analyzer)
    messages, _ = run(ActionSuggestNextSteps(empty), "personne ne veut piloter")
    assert [message["response"] for message in messages] == ["utter_service_unavailable"]
