"""Turns knowledge-base records into responses: values and buttons, no French sentences
(those live in domain.yml responses and in the knowledge content)."""

from __future__ import annotations

import json
from typing import Iterable, List, Sequence

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot import advisor
from bot.advisor import LIST_MISSIONS, LIST_PHASES, Decision
from bot.kb.records import Mission, MissionSummary, Phase, Suggestion


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def numbered(items: Iterable[str]) -> str:
    return "\n".join(f"{rank}. {item}" for rank, item in enumerate(items, start=1))


def mission_payload(mission_id: str) -> str:
    return "/ask_mission" + json.dumps({slots.MISSION_ENTITY: mission_id})


def mission_buttons(missions: Sequence[MissionSummary]) -> List[dict]:
    return [{"title": mission.title, "payload": mission_payload(mission.id)} for mission in missions]


def utter_mission(dispatcher: CollectingDispatcher, mission: Mission) -> List[dict]:
    """The "comment faire" of a mission, its pitfalls, and the usual next step."""
    dispatcher.utter_message(
        response="utter_mission",
        title=mission.title,
        phase=mission.phase.label,
        map_label=mission.map_label,
        summary=mission.summary,
        steps=numbered(mission.how),
        pitfalls=bullets(mission.pitfalls),
    )
    if mission.next:
        dispatcher.utter_message(response="utter_mission_follow", next_title=mission.next.title)
    else:
        dispatcher.utter_message(response="utter_mission_follow_last")
    return [SlotSet(slots.CURRENT_MISSION, mission.id)]


def phase_payload(phase_id: str) -> str:
    return "/ask_phase" + json.dumps({slots.PHASE_ENTITY: phase_id})


def utter_suggestions(dispatcher: CollectingDispatcher, suggestions: Sequence[Suggestion]) -> List[dict]:
    """The ranked missions for a situation, with their reasons, offered as quick replies."""
    dispatcher.utter_message(response="utter_next_steps_intro")
    for rank, suggestion in enumerate(suggestions, start=1):
        dispatcher.utter_message(
            response="utter_next_step",
            rank=rank,
            title=suggestion.mission.title,
            phase=suggestion.mission.phase_label,
            reason=suggestion.reason,
        )
    missions = [suggestion.mission for suggestion in suggestions]
    dispatcher.utter_message(response="utter_choose_mission", buttons=mission_buttons(missions))
    return [*offered(missions), SlotSet(slots.CURRENT_MISSION, missions[0].id)]


def offered(missions: Sequence[MissionSummary]) -> List[dict]:
    """Slots that remember a list of missions just shown, so « la deuxième » can refer to it."""
    return [SlotSet(slots.LAST_MISSIONS, [mission.id for mission in missions]), SlotSet(slots.LAST_LIST, LIST_MISSIONS)]


def utter_phases(dispatcher: CollectingDispatcher, phases: Sequence[Phase]) -> List[dict]:
    dispatcher.utter_message(
        response="utter_phases",
        phases=numbered(f"**{phase.label}** — {phase.description}" for phase in phases),
        buttons=[{"title": phase.label, "payload": phase_payload(phase.id)} for phase in phases],
    )
    return [SlotSet(slots.LAST_LIST, LIST_PHASES), SlotSet(slots.CURRENT_MISSION, None)]


def utter_phase(dispatcher: CollectingDispatcher, phase: Phase, missions: Sequence[MissionSummary]) -> List[dict]:
    """One phase and all its missions, a sub-mission after the mission it belongs to (« Identifier
    un chef de file », part of « Construire et faire vivre les partenariats »), numbered as « la
    11 » can refer to them. A bare rank that follows means one of these missions, even when the
    phase was chosen from the overview (« la 2 » then « la 4 »): the list last shown is the one
    referred to; « la 3e phase » still means a phase."""
    titles = {mission.id: mission.title for mission in missions}
    dispatcher.utter_message(
        response="utter_phase",
        label=phase.label,
        description=phase.description,
        missions=numbered(
            f"{mission.title} (volet de « {titles[mission.parent_id]} »)"
            if mission.parent_id in titles
            else mission.title
            for mission in missions
        ),
    )
    dispatcher.utter_message(response="utter_choose_mission", buttons=mission_buttons(missions))
    return [SlotSet(slots.PHASE, phase.id), *offered(missions), SlotSet(slots.CURRENT_MISSION, None)]


def utter_follow_up(dispatcher: CollectingDispatcher, kb, mission: Mission, aspect: str) -> List[dict]:
    """One aspect of the mission being discussed: why, an example, details, how, when,
    pitfalls, or the step that usually follows."""
    if aspect == advisor.NEXT:
        if mission.next is None:
            dispatcher.utter_message(response="utter_no_next", title=mission.title)
            return []
        dispatcher.utter_message(response="utter_next", previous=mission.title, title=mission.next.title)
        return utter_mission(dispatcher, kb.get_mission(mission.next.id))
    if aspect == advisor.EXAMPLE:
        dispatcher.utter_message(response="utter_example", title=mission.title, example=mission.example)
    elif aspect == advisor.DETAILS:
        dispatcher.utter_message(
            response="utter_details",
            title=mission.title,
            competences=bullets(mission.competences or (mission.map_label,)),
            situations=bullets(f"« {situation} »" for situation in mission.situations[:4]),
            related=", ".join(related.title for related in mission.related),
        )
    elif aspect == advisor.HOW:
        dispatcher.utter_message(response="utter_how", title=mission.title, steps=numbered(mission.how))
    elif aspect == advisor.PITFALLS:
        dispatcher.utter_message(response="utter_pitfalls", title=mission.title, pitfalls=bullets(mission.pitfalls))
    elif aspect == advisor.WHEN:
        if mission.phase.transversal:
            dispatcher.utter_message(response="utter_when_transversal", title=mission.title)
        else:
            phase = mission.phase
            dispatcher.utter_message(
                response="utter_when", title=mission.title, phase=phase.label, description=phase.description
            )
    else:
        dispatcher.utter_message(response="utter_why", title=mission.title, why=mission.why)
    return [SlotSet(slots.CURRENT_MISSION, mission.id)]


def render(dispatcher: CollectingDispatcher, kb, decision: Decision) -> List[dict]:
    """Responses and slot events for the advisor's decision."""
    kind = decision.kind
    if kind == advisor.SHOW_MISSION:
        return utter_mission(dispatcher, decision.mission)
    if kind == advisor.SUGGEST:
        return utter_suggestions(dispatcher, decision.suggestions)
    if kind == advisor.SHOW_PHASES:
        return utter_phases(dispatcher, kb.list_phases(include_transversal=True))
    if kind == advisor.SHOW_PHASE:
        missions = kb.list_missions(decision.phase.id)
        return utter_phase(dispatcher, decision.phase, missions)
    if kind == advisor.FOLLOW_UP:
        return utter_follow_up(dispatcher, kb, decision.mission, decision.aspect)
    if kind == advisor.SHOW_STEP:
        mission = decision.mission
        dispatcher.utter_message(
            response="utter_step",
            title=mission.title,
            rank=decision.rank,
            count=len(mission.how),
            step=mission.how[decision.rank - 1],
        )
        return [SlotSet(slots.CURRENT_MISSION, mission.id)]
    if kind == advisor.DID_YOU_MEAN:
        missions = [suggestion.mission for suggestion in decision.suggestions]
        dispatcher.utter_message(response="utter_did_you_mean", buttons=mission_buttons(missions))
        return offered(missions)
    dispatcher.utter_message(response=SIMPLE_RESPONSES[kind])
    return []


SIMPLE_RESPONSES = {
    advisor.REPHRASE: "utter_ask_rephrase",
    advisor.REFUSE: "utter_out_of_scope",
    advisor.NO_CONTEXT: "utter_no_context",
    advisor.NO_OPTION: "utter_no_option",
    advisor.NO_SUGGESTION: "utter_no_suggestion",
    advisor.SHOW_CAPABILITIES: "utter_capabilities",
    advisor.SHOW_JOB: "utter_job",
    advisor.SHOW_IS_BOT: "utter_is_bot",
    advisor.GREETING: "utter_greet",
    advisor.THANKS: "utter_thank",
    advisor.FAREWELL: "utter_goodbye",
    advisor.ANYTHING_ELSE: "utter_anything_else",
}
