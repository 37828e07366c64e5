"""The diagnostic form's validation and plan, with a fake dispatcher."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.diagnostic import ActionDiagnosticPlan, ActionStartDiagnostic, ActionStopDiagnostic, ValidateDiagnosticForm
from tests.actions.helpers import entity, responses, run, slot_values, tracker_for


def validate(kb, slot, value, entities=None, intent="inform"):
    form = ValidateDiagnosticForm(kb)
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(str(value), intent=intent, entities=entities, slots={"requested_slot": slot})
    result = getattr(form, f"validate_{slot}")(value, dispatcher, tracker, {})
    return result, responses(dispatcher.messages)


@pytest.mark.parametrize(
    ("value", "entities", "expected"),
    [
        ("on est en pleine mise en oeuvre", None, "implementation"),
        ("Émergence", None, "emergence"),
        ("on démarre tout juste, rien n'est encore décidé", None, "emergence"),
        ("on est en train de monter le projet avec les partenaires", None, "emergence"),
        ("ça fonctionne depuis des années, on voudrait que ça dure", None, "sustainability"),
        ('/ask_phase{"phase": "sustainability"}', [entity("phase", "sustainability")], "sustainability"),
    ],
)
def test_phase_answers_are_accepted(kb, value, entities, expected):
    result, said = validate(kb, "diag_phase", value, entities)
    assert result == {"diag_phase": expected, "phase": expected} and said == []


@pytest.mark.parametrize("value", ["bof", "", "missions transversales", "42"])
def test_nonsense_phase_is_asked_again(kb, value):
    result, said = validate(kb, "diag_phase", value)
    assert result == {"diag_phase": None} and said == ["utter_invalid_diag_phase"]


def test_partners_answer_is_accepted_and_trimmed(kb):
    result, said = validate(kb, "diag_partners", "  trois communes   et une association ")
    assert result == {"diag_partners": "trois communes et une association"} and said == []


@pytest.mark.parametrize("value", ["je sais pas", "/inform_partners", "x" * 5000])
def test_nonsense_partners_are_asked_again(kb, value):
    result, said = validate(kb, "diag_partners", value)
    assert result == {"diag_partners": None} and said == ["utter_invalid_diag_partners"]


@pytest.mark.parametrize(
    ("value", "entities", "expected"),
    [
        ('/inform_origin{"origin": "imposee"}', [entity("origin", "imposee")], "imposee"),
        ("elle a été voulue par les élus", None, "voulue"),
        ("le financeur nous l'a imposée", None, "imposee"),
    ],
)
def test_origin_answers_are_accepted(kb, value, entities, expected):
    result, said = validate(kb, "diag_origin", value, entities)
    assert result == {"diag_origin": expected} and said == []


@pytest.mark.parametrize(("value", "entities"), [("peut-être", None), ("", [entity("origin", "' OR 1=1 --")])])
def test_nonsense_origin_is_asked_again(kb, value, entities):
    result, said = validate(kb, "diag_origin", value, entities)
    assert result == {"diag_origin": None} and said == ["utter_invalid_diag_origin"]


def test_difficulty_is_accepted_when_it_reaches_a_mission(kb):
    result, said = validate(kb, "diag_difficulty", "les élus ne se parlent pas")
    assert result == {"diag_difficulty": "les élus ne se parlent pas"} and said == []


@pytest.mark.parametrize("value", ["zzz", "", "/start_diagnostic"])
def test_difficulty_without_any_mission_is_asked_again(kb, value):
    result, said = validate(kb, "diag_difficulty", value)
    assert result == {"diag_difficulty": None} and said == ["utter_invalid_diag_difficulty"]


def test_form_validation_runs_through_rasa_sdk(kb):
    tracker = tracker_for(
        "au milieu de la mise en œuvre",
        intent="inform",
        slots={"requested_slot": "diag_phase", "diag_phase": "au milieu de la mise en œuvre"},
        active_loop={"name": "diagnostic_form"},
    )
    tracker.events.append({"event": "slot", "name": "diag_phase", "value": "au milieu de la mise en œuvre"})
    dispatcher = CollectingDispatcher()
    domain = {"forms": {"diagnostic_form": {"required_slots": ["diag_phase"]}}, "slots": {"diag_phase": {}}}
    events = asyncio.run(ValidateDiagnosticForm(kb).run(dispatcher, tracker, domain))
    assert slot_values(events)["diag_phase"] == "implementation"


COMPLETE = {
    "diag_phase": "emergence",
    "diag_partners": "cinq communes et deux associations",
    "diag_origin": "imposee",
    "diag_difficulty": "les élus se méfient",
}


def test_plan_gives_three_to_five_steps_and_clears_the_answers(kb):
    messages, events = run(ActionDiagnosticPlan(kb), tracker_for("", slots=COMPLETE))
    said = responses(messages)
    assert said[0] == "utter_diagnostic_plan_intro" and said[-1] == "utter_choose_mission"
    steps = [message for message in messages if message["response"] == "utter_diagnostic_step"]
    assert 3 <= len(steps) <= 5
    assert messages[0]["count"] == len(steps)
    assert messages[0]["origin"] == "imposée par un financement" and messages[0]["phase"] == "Phase d'émergence"
    assert all(step["first_step"] and step["reason"] for step in steps)
    values = slot_values(events)
    assert all(values[slot] is None for slot in COMPLETE)
    assert values["last_missions"] == [button["payload"].split('"')[3] for button in messages[-1]["buttons"]]
    assert values["last_list"] == "missions"


@pytest.mark.parametrize("missing", ["diag_phase", "diag_difficulty"])
def test_plan_without_answers_does_not_invent_one(kb, missing):
    messages, events = run(ActionDiagnosticPlan(kb), tracker_for("", slots={**COMPLETE, missing: None}))
    assert responses(messages) == ["utter_diagnostic_cancelled"]
    assert all(value is None for value in slot_values(events).values())


@pytest.mark.parametrize(
    ("slot", "value"),
    [
        ("diag_phase", "en fait non, laisse tomber"),
        ("diag_partners", "on verra ça une autre fois"),
        ("diag_origin", "stop"),
        ("diag_difficulty", "finalement non, pas maintenant"),
        ("diag_difficulty", "Non en fait je préfère ne pas continuer ce diagnostic."),
        ("diag_partners", "on en reste là pour aujourd'hui"),
        ("diag_origin", "on peut arrêter le questionnaire ?"),
    ],
)
def test_an_answer_that_gives_up_stops_the_form_whatever_the_nlu_read(kb, slot, value):
    result, said = validate(kb, slot, value, intent="describe_situation")
    assert result == {slot: None, "requested_slot": None} and said == []


@pytest.mark.parametrize("value", ["euh… bonne question", "aucune idée"])
def test_a_difficulty_the_knowledge_base_barely_matches_is_asked_again(kb, value):
    result, said = validate(kb, "diag_difficulty", value)
    assert result == {"diag_difficulty": None} and said == ["utter_invalid_diag_difficulty"]


@pytest.mark.parametrize("text", ["stop", "non laisse tomber, une autre fois", "/cancel"])
def test_stopping_the_diagnostic_ends_the_form_and_forgets_its_answers(text):
    messages, events = run(ActionStopDiagnostic(), tracker_for(text, intent="cancel", slots=COMPLETE))
    assert responses(messages) == ["utter_diagnostic_cancelled"]
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slot_values(events) == {"requested_slot": None, **{slot: None for slot in COMPLETE}}


@pytest.mark.parametrize(
    "value", ["le président ne veut plus continuer la coopération", "les élus veulent arrêter les questions de budget"]
)
def test_a_difficulty_about_stopping_is_not_a_cancel(kb, value):
    result, said = validate(kb, "diag_difficulty", value, intent="describe_situation")
    assert result.get("diag_difficulty") and "requested_slot" not in result


def test_an_answer_the_nlu_took_for_a_cancel_goes_back_to_the_form():
    tracker = tracker_for("ça tourne depuis trois ans, on veut que ça dure", intent="cancel", slots=COMPLETE)
    messages, events = run(ActionStopDiagnostic(), tracker)
    assert messages == [] and events == [{"event": "followup", "name": "diagnostic_form", "timestamp": None}]


@pytest.mark.parametrize(
    ("text", "relevance", "expected"),
    [
        ("Tu peux faire un diagnostic de ma coopération ?", 0.087, "utter_diagnostic_start"),
        ("faire le point sur ma coopé", 0.04, "utter_diagnostic_start"),
        ("Ma voiture fait un bruit bizarre, tu peux faire un diagnostic ?", 0.01, "utter_out_of_scope"),
        ("/start_diagnostic", 0.01, "utter_diagnostic_start"),
    ],
)
def test_a_request_for_a_diagnostic_of_something_else_is_refused_and_starts_no_form(kb, text, relevance, expected):
    tracker = tracker_for(text, intent="start_diagnostic", parse={"relevance": relevance})
    messages, events = run(ActionStartDiagnostic(kb), tracker)
    assert responses(messages) == [expected]
    stopped = {"event": "followup", "name": "action_listen", "timestamp": None} in events
    assert stopped == (expected == "utter_out_of_scope")
