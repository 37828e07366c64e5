"""Follow-ups about the mission just shown, with a fake dispatcher."""

from __future__ import annotations

import pytest

from actions.followup import ActionFollowUp, option_index
from tests.actions.helpers import entity, responses, run, slot_values, tracker_for

CURRENT = {"current_mission": "foster_mutual_knowledge"}


def follow_up(kb, intent, text="", slots=CURRENT, entities=None):
    return run(ActionFollowUp(kb), tracker_for(text, intent=intent, slots=slots, entities=entities))


def test_why_explains_the_current_mission(kb):
    messages, _ = follow_up(kb, "ask_why", "pourquoi ?")
    assert responses(messages) == ["utter_why"]
    assert messages[0]["why"] == kb.get_mission("foster_mutual_knowledge").why


def test_example_gives_the_current_missions_example(kb):
    messages, _ = follow_up(kb, "ask_example", "un exemple ?")
    assert responses(messages) == ["utter_example"]
    assert messages[0]["example"] == kb.get_mission("foster_mutual_knowledge").example


def test_details_list_competences_situations_and_related_missions(kb):
    messages, _ = follow_up(kb, "ask_details", "plus de détails")
    assert responses(messages) == ["utter_details"]
    assert "- créer du lien / apporter de la convivialité / prévoir des temps informels" in messages[0]["competences"]
    assert messages[0]["situations"].startswith("- « ")
    assert messages[0]["related"]


def test_details_of_a_mission_without_sub_labels_show_its_map_label(kb):
    messages, _ = follow_up(kb, "ask_details", slots={"current_mission": "find_funding"})
    assert messages[0]["competences"] == "- trouver des financements"


def test_next_moves_on_to_the_usual_next_step(kb):
    expected = kb.get_mission("foster_mutual_knowledge").next
    messages, events = follow_up(kb, "ask_next", "et ensuite ?")
    assert responses(messages)[:2] == ["utter_next", "utter_mission"]
    assert messages[1]["title"] == expected.title
    assert slot_values(events) == {"current_mission": expected.id}


@pytest.mark.parametrize("slots", [{}, {"current_mission": None}, {"current_mission": "mission_fantome"}])
def test_follow_up_without_a_known_mission_asks_which_one(kb, slots):
    messages, events = follow_up(kb, "ask_why", "pourquoi ?", slots=slots)
    assert responses(messages) == ["utter_no_context"] and events == []


OPTIONS = {"last_missions": ["identify_lead_partner", "build_partnerships", "lead_project"]}


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("la deuxième", [entity("rank", "2")], "Construire et faire vivre les partenariats"),
        ("la 1ère", [entity("rank", "1")], "Identifier un chef de file"),
        ("je prends la dernière", [entity("rank", "last")], "Conduire et animer le projet de coopération"),
        ("la 3", [], "Conduire et animer le projet de coopération"),
    ],
)
def test_choose_option_explains_the_chosen_mission(kb, text, entities, expected):
    messages, events = follow_up(kb, "choose_option", text, slots=OPTIONS, entities=entities)
    assert responses(messages)[0] == "utter_mission"
    assert messages[0]["title"] == expected


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
    messages, events = follow_up(kb, "choose_option", text, slots=slots, entities=entities)
    assert responses(messages) == ["utter_no_option"] and events == []


@pytest.mark.parametrize(
    ("text", "index"),
    [("la première", 0), ("la 2e", 1), ("troisième", 2), ("la dernière", -1), ("last", -1), ("4", 3), ("rien", None)],
)
def test_option_index_reads_french_ordinals(text, index):
    assert option_index(text) == index
