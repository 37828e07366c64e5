"""Suggestions, clarification and out-of-scope handling, with a fake dispatcher."""

from __future__ import annotations

import pytest

from actions.advice import ActionClarify, ActionOutOfScope, ActionSuggestNextSteps
from bot.kb.service import KnowledgeBase
from tests.actions.helpers import entity, responses, run, slot_values, tracker_for


def test_situation_gets_ranked_suggestions_with_buttons(kb):
    messages, events = run(ActionSuggestNextSteps(kb), tracker_for("personne ne veut piloter notre projet"))
    assert responses(messages)[0] == "utter_next_steps_intro"
    steps = [message for message in messages if message["response"] == "utter_next_step"]
    assert 2 <= len(steps) <= 4
    assert steps[0]["title"] == "Identifier un chef de file" and steps[0]["rank"] == 1
    assert "personne ne veut piloter" in steps[0]["reason"]
    buttons = messages[-1]["buttons"]
    assert buttons[0] == {
        "title": "Identifier un chef de file",
        "payload": '/ask_mission{"mission": "identify_lead_partner"}',
    }
    values = slot_values(events)
    assert values["current_mission"] == "identify_lead_partner"
    assert values["last_missions"][0] == "identify_lead_partner" and len(values["last_missions"]) == len(steps)


def test_phase_entity_steers_suggestions(kb):
    tracker = tracker_for("comment animer les instances", entities=[entity("phase", "emergence")])
    messages, _ = run(ActionSuggestNextSteps(kb), tracker)
    steps = [message for message in messages if message["response"] == "utter_next_step"]
    assert steps[0]["phase"] == "Phase d'émergence"


@pytest.mark.parametrize("text", ["", '/describe_situation{"x": 1}'])
def test_no_text_says_no_mission_was_found(kb, text):
    messages, events = run(ActionSuggestNextSteps(kb), tracker_for(text))
    assert responses(messages) == ["utter_no_suggestion"]
    assert events == []


@pytest.mark.parametrize("text", ["zzzz qwerty", "tu as une recette de gratin dauphinois ?"])
def test_text_the_knowledge_base_does_not_know_is_refused_even_as_a_situation(kb, text):
    messages, events = run(ActionSuggestNextSteps(kb), tracker_for(text))
    assert responses(messages) == ["utter_out_of_scope"] and events == []


def test_unknown_phase_slot_is_ignored(kb):
    tracker = tracker_for("deux partenaires sont en conflit", slots={"phase": "phase_inventee"})
    messages, _ = run(ActionSuggestNextSteps(kb), tracker)
    assert messages[1]["title"] == "Anticiper ou gérer les conflits"


def test_unavailable_knowledge_base_answers_in_french(tmp_path, analyzer):
    empty = KnowledgeBase.from_url(f"sqlite:///{tmp_path / 'absente.sqlite3'}", analyzer)
    messages, _ = run(ActionSuggestNextSteps(empty), tracker_for("personne ne veut piloter"))
    assert responses(messages) == ["utter_service_unavailable"]


def test_clarify_answers_directly_when_the_knowledge_base_is_sure(kb):
    messages, _ = run(ActionClarify(kb), tracker_for("personne ne veut piloter", intent="nlu_fallback"))
    assert responses(messages)[0] == "utter_next_steps_intro"


def test_clarify_offers_did_you_mean_buttons_on_a_weak_match(kb):
    messages, events = run(ActionClarify(kb), tracker_for("les réunions ne servent à rien", intent="nlu_fallback"))
    assert responses(messages) == ["utter_did_you_mean"]
    titles = [button["title"] for button in messages[0]["buttons"]]
    assert "Animer les instances et manager en transversal" in titles, titles
    assert slot_values(events)["last_missions"] and slot_values(events)["last_list"] == "missions"


def test_clarify_gives_advice_on_a_work_word_the_knowledge_base_matches(kb):
    messages, _ = run(ActionClarify(kb), tracker_for("gouvernance", intent="nlu_fallback"))
    assert responses(messages)[0] == "utter_next_steps_intro"
    assert messages[1]["title"] == "Faire émerger une gouvernance"


def test_clarify_asks_to_rephrase_when_a_work_message_matches_nothing(kb):
    messages, _ = run(ActionClarify(kb), tracker_for("coopération blablabla", intent="nlu_fallback"))
    assert responses(messages) == ["utter_ask_rephrase"]


def test_clarify_refuses_a_question_about_something_else(kb):
    messages, _ = run(ActionClarify(kb), tracker_for("comment on dit bonjour en allemand ?", intent="nlu_fallback"))
    assert responses(messages) == ["utter_out_of_scope"]


def test_an_officers_question_is_never_refused_as_out_of_scope(kb):
    tracker = tracker_for("je pars dans trois mois, comment passer le relais sur le dossier coop ?", "out_of_scope")
    messages, _ = run(ActionOutOfScope(kb), tracker)
    assert responses(messages) != ["utter_out_of_scope"]


def test_out_of_scope_is_refused_politely(kb):
    messages, _ = run(ActionOutOfScope(kb), tracker_for("une recette de tarte", intent="out_of_scope"))
    assert responses(messages) == ["utter_out_of_scope"]


def test_out_of_scope_that_is_really_a_situation_gets_advice(kb):
    tracker = tracker_for("la coopération nous est imposée par un financement européen", intent="out_of_scope")
    messages, _ = run(ActionOutOfScope(kb), tracker)
    assert responses(messages)[0] == "utter_next_steps_intro"
    assert messages[1]["title"] == "Comprendre la nature de la coopération"


def test_out_of_scope_for_the_nlu_but_not_for_the_relevance_filter_takes_the_second_reading(kb):
    """components/relevance.py scores the message; the NLU's second intent (here the phases)
    is what the message is taken for when the filter says it is about the work."""
    text = "c'est quoi le parcours habituel pour monter une coopération ?"
    ranking = [{"name": "out_of_scope", "confidence": 0.5}, {"name": "ask_phases", "confidence": 0.3}]
    believed = tracker_for(text, intent="out_of_scope", parse={"relevance": 0.1, "intent_ranking": ranking})
    doubted = tracker_for(text, intent="out_of_scope", parse={"relevance": 0.9, "intent_ranking": ranking})
    assert responses(run(ActionOutOfScope(kb), believed)[0]) == ["utter_out_of_scope"]
    assert responses(run(ActionOutOfScope(kb), doubted)[0]) == ["utter_phases"]
