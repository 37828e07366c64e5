"""Phases and missions explained, with a fake dispatcher."""

from __future__ import annotations

import dataclasses

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import ActionExplainMission, ActionExplainPhase, ActionListPhases
from actions.rendering import utter_mission
from tests.actions.helpers import entity, responses, run, slot_values, tracker_for


def test_list_phases_names_the_four_phases_and_the_transversal_missions(kb):
    messages, _ = run(ActionListPhases(kb), tracker_for("quelles sont les phases", intent="ask_phases"))
    assert responses(messages) == ["utter_phases"]
    for label in (
        "En préalable",
        "Phase d'émergence",
        "Phase de mise en œuvre",
        "Pérenniser",
        "Missions transversales",
    ):
        assert label in messages[0]["phases"]
    assert messages[0]["buttons"][1]["payload"] == '/ask_phase{"phase": "emergence"}'


def test_a_phase_lists_every_mission_of_the_map_sub_missions_included(kb):
    """« Identifier un chef de file » and « Faire émerger une gouvernance » are part of
    « Construire et faire vivre les partenariats »: listed after it, so « la 11 » reaches them."""
    tracker = tracker_for("/ask_phase", intent="ask_phase", entities=[entity("phase", "emergence")])
    messages, events = run(ActionExplainPhase(kb), tracker)
    lines = messages[0]["missions"].splitlines()
    assert len(lines) == 12
    assert lines[10] == "11. Identifier un chef de file (volet de « Construire et faire vivre les partenariats »)"
    assert slot_values(events)["last_missions"][10:] == ["identify_lead_partner", "build_governance"]


def test_explain_phase_from_entity_lists_its_missions_as_buttons(kb):
    tracker = tracker_for("/ask_phase", intent="ask_phase", entities=[entity("phase", "sustainability")])
    messages, events = run(ActionExplainPhase(kb), tracker)
    assert responses(messages) == ["utter_phase", "utter_choose_mission"]
    assert messages[0]["label"] == "Pérenniser"
    assert [button["title"] for button in messages[1]["buttons"]] == [
        "Transférer l'expertise",
        "Se renouveler pour mobiliser sur la durée",
        "Impulser de nouvelles coopérations",
    ]
    assert slot_values(events) == {
        "phase": "sustainability",
        "last_missions": ["transfer_expertise", "renew_mobilisation", "spark_new_cooperations"],
        "last_list": "missions",
        "current_mission": None,
    }


def test_explain_phase_from_words_without_accents(kb):
    messages, _ = run(ActionExplainPhase(kb), tracker_for("que faire en mise en oeuvre", intent="ask_phase"))
    assert messages[0]["label"] == "Phase de mise en œuvre"


@pytest.mark.parametrize("phase_value", ["phase_inventee", "' OR 1=1 --"])
def test_explain_phase_with_unknown_phase_lists_the_phases(kb, phase_value):
    tracker = tracker_for("et la phase bidule ?", intent="ask_phase", entities=[entity("phase", phase_value)])
    messages, events = run(ActionExplainPhase(kb), tracker)
    assert responses(messages) == ["utter_phases"]
    assert slot_values(events) == {"last_list": "phases", "current_mission": None}


def test_explain_mission_from_button_payload(kb):
    tracker = tracker_for(
        '/ask_mission{"mission": "build_governance"}', "ask_mission", [entity("mission", "build_governance")]
    )
    messages, events = run(ActionExplainMission(kb), tracker)
    assert responses(messages) == ["utter_mission", "utter_mission_follow"]
    detail = messages[0]
    assert detail["title"] == "Faire émerger une gouvernance"
    assert detail["map_label"] == "faire émerger une gouvernance"
    assert detail["steps"].startswith("1. ") and "\n2. " in detail["steps"]
    assert detail["pitfalls"].startswith("- ")
    assert messages[1]["next_title"]
    assert slot_values(events) == {"current_mission": "build_governance"}


def test_explain_mission_from_the_question(kb):
    messages, events = run(
        ActionExplainMission(kb), tracker_for("Comment favoriser l'interconnaissance ?", "ask_mission")
    )
    assert messages[0]["title"] == "Favoriser l'interconnaissance"
    assert slot_values(events) == {"current_mission": "foster_mutual_knowledge"}


def test_forged_mission_id_falls_back_to_the_question(kb):
    tracker = tracker_for("comment valoriser les résultats", "ask_mission", [entity("mission", "' OR 1=1 --")])
    messages, _ = run(ActionExplainMission(kb), tracker)
    assert messages[0]["title"] == "Valoriser et montrer les résultats"


def test_mission_without_next_step_offers_no_next_button(kb):
    mission = dataclasses.replace(kb.get_mission("spark_new_cooperations"), next=None)
    dispatcher = CollectingDispatcher()
    utter_mission(dispatcher, mission)
    assert responses(dispatcher.messages) == ["utter_mission", "utter_mission_follow_last"]


def test_unknown_mission_says_so(kb):
    tracker = tracker_for("", "ask_mission", [entity("mission", "mission_fantome")])
    messages, events = run(ActionExplainMission(kb), tracker)
    assert responses(messages) == ["utter_no_suggestion"] and events == []


def test_theme_entity_does_not_reorder_the_first_hits(kb):
    """The theme is a keyword of the lookup tables; the search weighs the whole question
    (search first: 272 of 296 first missions right on the spent sets, theme first: 260)."""
    text = "comment partager les moyens entre partenaires"
    hits = [hit.mission.id for hit in kb.find_missions(text, limit=3)]
    messages, _ = run(ActionExplainMission(kb), tracker_for(text, "ask_mission", [entity("theme", hits[1])]))
    assert messages[0]["title"] == kb.get_mission(hits[0]).title


def test_theme_outside_the_first_hits_does_not_override_the_search(kb):
    text = "Comment identifier un chef de file ?"
    tracker = tracker_for(text, "ask_mission", [entity("theme", "find_funding")])
    messages, _ = run(ActionExplainMission(kb), tracker)
    assert messages[0]["title"] == "Identifier un chef de file"


def test_theme_alone_names_the_mission_when_search_finds_nothing(kb):
    tracker = tracker_for("zzzz", "ask_mission", [entity("theme", "foster_mutual_knowledge")])
    messages, _ = run(ActionExplainMission(kb), tracker)
    assert messages[0]["title"] == "Favoriser l'interconnaissance"
