"""Follow-ups about the mission just shown and rank references, with a fake dispatcher."""

from __future__ import annotations

import pytest

from actions.followup import (
    ActionChooseOption,
    ActionExplainHow,
    ActionExplainWhen,
    ActionExplainWhy,
    ActionGiveDetails,
    ActionGiveExample,
    ActionListPitfalls,
    ActionShowNext,
)
from bot.advisor import rank_index
from bot.text import fold
from tests.actions.helpers import entity, responses, run, slot_values, tracker_for

CURRENT = {"current_mission": "foster_mutual_knowledge"}


def follow_up(kb, action, text="", slots=CURRENT, entities=None, intent="ask_why"):
    return run(action(kb), tracker_for(text, intent=intent, slots=slots, entities=entities))


def test_why_explains_the_current_mission(kb):
    messages, _ = follow_up(kb, ActionExplainWhy, "pourquoi ?")
    assert responses(messages) == ["utter_why"]
    assert messages[0]["why"] == kb.get_mission("foster_mutual_knowledge").why


def test_example_gives_the_current_missions_example(kb):
    messages, _ = follow_up(kb, ActionGiveExample, "un exemple ?")
    assert responses(messages) == ["utter_example"]
    assert messages[0]["example"] == kb.get_mission("foster_mutual_knowledge").example


def test_details_list_competences_situations_and_related_missions(kb):
    messages, _ = follow_up(kb, ActionGiveDetails, "plus de détails")
    assert responses(messages) == ["utter_details"]
    assert "- créer du lien / apporter de la convivialité / prévoir des temps informels" in messages[0]["competences"]
    assert messages[0]["situations"].startswith("- « ")
    assert messages[0]["related"]


def test_details_of_a_mission_without_sub_labels_show_its_map_label(kb):
    messages, _ = follow_up(kb, ActionGiveDetails, slots={"current_mission": "find_funding"})
    assert messages[0]["competences"] == "- trouver des financements"


def test_how_repeats_the_steps_and_pitfalls_list_the_pitfalls(kb):
    mission = kb.get_mission("foster_mutual_knowledge")
    messages, _ = follow_up(kb, ActionExplainHow, "du coup on fait quoi ?")
    assert responses(messages) == ["utter_how"] and messages[0]["steps"].startswith(f"1. {mission.how[0]}")
    messages, _ = follow_up(kb, ActionListPitfalls, "les pièges ?")
    assert responses(messages) == ["utter_pitfalls"] and mission.pitfalls[0] in messages[0]["pitfalls"]


def test_when_names_the_phase_or_says_transversal(kb):
    messages, _ = follow_up(kb, ActionExplainWhen, "à quel moment ?")
    assert responses(messages) == ["utter_when"] and messages[0]["phase"] == "Phase d'émergence"
    messages, _ = follow_up(kb, ActionExplainWhen, "à quel moment ?", slots={"current_mission": "manage_conflicts"})
    assert responses(messages) == ["utter_when_transversal"]


def test_next_moves_on_to_the_usual_next_step(kb):
    expected = kb.get_mission("foster_mutual_knowledge").next
    messages, events = follow_up(kb, ActionShowNext, "et ensuite ?")
    assert responses(messages)[:2] == ["utter_next", "utter_mission"]
    assert messages[1]["title"] == expected.title
    assert slot_values(events) == {"current_mission": expected.id}


def test_next_after_a_phase_goes_to_the_next_phase(kb):
    slots = {"phase": "prerequisites", "last_list": "missions", "last_missions": ["know_history"]}
    messages, _ = follow_up(kb, ActionShowNext, "ok, et la suivante ?", slots=slots)
    assert responses(messages)[0] == "utter_phase" and messages[0]["label"] == "Phase d'émergence"


@pytest.mark.parametrize("slots", [{}, {"current_mission": None}, {"current_mission": "mission_fantome"}])
def test_follow_up_without_a_known_mission_asks_which_one(kb, slots):
    messages, events = follow_up(kb, ActionExplainWhy, "pourquoi ?", slots=slots)
    assert responses(messages) == ["utter_no_context"] and events == []


def test_follow_up_that_says_something_new_gets_advice_on_it(kb):
    text = "pourquoi personne ne veut être chef de file de notre coopération ?"
    messages, _ = follow_up(kb, ActionExplainWhy, text)
    assert responses(messages)[0] == "utter_next_steps_intro"
    assert messages[1]["title"] == "Identifier un chef de file"


OPTIONS = {"last_missions": ["identify_lead_partner", "build_partnerships", "lead_project"], "last_list": "missions"}


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("la deuxième", [entity("rank", "2")], "Construire et faire vivre les partenariats"),
        ("la 1ère", [entity("rank", "1")], "Identifier un chef de file"),
        ("je prends la dernière", [entity("rank", "last")], "Conduire et animer le projet de coopération"),
        ("la 3", [], "Conduire et animer le projet de coopération"),
        ("la première mission, tu peux développer ?", [], "Identifier un chef de file"),
    ],
)
def test_choose_option_explains_the_chosen_mission(kb, text, entities, expected):
    messages, _ = follow_up(kb, ActionChooseOption, text, slots=OPTIONS, entities=entities, intent="choose_option")
    assert responses(messages)[0] == "utter_mission"
    assert messages[0]["title"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la deuxième", "Phase d'émergence"),
        ("et la 4 ?", "Pérenniser"),
        ("la dernière des quatre phases", "Pérenniser"),
    ],
)
def test_rank_after_the_phase_overview_explains_that_phase(kb, text, expected):
    slots = {**OPTIONS, "last_list": "phases"}
    messages, events = follow_up(kb, ActionChooseOption, text, slots=slots, intent="choose_option")
    assert responses(messages)[0] == "utter_phase" and messages[0]["label"] == expected
    # The phase lists its missions: « et la 4 ? » that follows means its fourth mission.
    values = slot_values(events)
    assert values["last_list"] == "missions" and kb.get_mission(values["last_missions"][0]).phase.label == expected


def test_step_rank_after_a_mission_shows_that_step(kb):
    mission = kb.get_mission("build_governance")
    slots = {"current_mission": "build_governance"}
    messages, _ = follow_up(kb, ActionChooseOption, "l'étape 2", slots=slots, intent="choose_option")
    assert responses(messages) == ["utter_step"] and messages[0]["step"] == mission.how[1]


@pytest.mark.parametrize(
    ("slots", "text", "entities"),
    [
        ({}, "la deuxième", [entity("rank", "2")]),
        (OPTIONS, "la quatrième", [entity("rank", "4")]),
        (OPTIONS, "celle-là", []),
        ({"last_missions": ["mission_fantome"]}, "la première", [entity("rank", "1")]),
    ],
)
def test_choose_option_out_of_range_or_without_list_says_so(kb, slots, text, entities):
    messages, events = follow_up(kb, ActionChooseOption, text, slots=slots, entities=entities, intent="choose_option")
    assert responses(messages) == ["utter_no_option"] and events == []


def test_numbers_in_a_situation_are_not_a_rank(kb):
    text = "huit actions, 6 porteurs différents et zéro coordination entre eux"
    messages, _ = follow_up(kb, ActionChooseOption, text, slots=OPTIONS, intent="choose_option")
    assert responses(messages)[0] == "utter_next_steps_intro"


@pytest.mark.parametrize(
    ("text", "index"),
    [("la première", 0), ("la 2e", 1), ("troisième", 2), ("la dernière", -1), ("last", -1), ("4", 3), ("rien", None)],
)
def test_rank_index_reads_french_ordinals(text, index):
    assert rank_index(None, fold(text).split()) == index
