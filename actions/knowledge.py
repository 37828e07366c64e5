"""Actions that explain the job's structure: the phases and the missions."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import KnowledgeAction, latest_entity, phase_context, user_text
from actions.rendering import bullets, mission_buttons, utter_mission
from bot.kb.records import Mission, Phase


class ActionListPhases(KnowledgeAction):
    """The four phases in order, and the transversal missions."""

    def name(self) -> str:
        return "action_list_phases"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        phases = self.kb.list_phases(include_transversal=True)
        dispatcher.utter_message(
            response="utter_phases",
            phases=bullets(f"**{phase.label}** — {phase.description}" for phase in phases),
            buttons=[{"title": phase.label, "payload": phase_payload(phase.id)} for phase in phases],
        )
        return []


class ActionExplainPhase(KnowledgeAction):
    """What to do in one phase: its description and its missions, as quick replies."""

    def name(self) -> str:
        return "action_explain_phase"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        phase = self._phase(tracker)
        if phase is None:
            return ActionListPhases(self.kb).answer(dispatcher, tracker, domain)
        missions = self.kb.list_missions(phase.id, top_level=True)
        dispatcher.utter_message(
            response="utter_phase",
            label=phase.label,
            description=phase.description,
            missions=bullets(mission.title for mission in missions),
        )
        dispatcher.utter_message(response="utter_choose_mission", buttons=mission_buttons(missions))
        return [SlotSet(slots.PHASE, phase.id), SlotSet(slots.LAST_MISSIONS, [mission.id for mission in missions])]

    def _phase(self, tracker: Tracker) -> Optional[Phase]:
        phase_id = latest_entity(tracker, slots.PHASE_ENTITY)
        phase = self.kb.get_phase(phase_id) if phase_id else None
        return phase or self.kb.find_phase(user_text(tracker))


class ActionExplainMission(KnowledgeAction):
    """How to carry out a mission: chosen by button, or found from the officer's words."""

    def name(self) -> str:
        return "action_explain_mission"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        mission = self._mission(tracker)
        if mission is None:
            dispatcher.utter_message(response="utter_no_suggestion")
            return []
        return utter_mission(dispatcher, mission)

    def _mission(self, tracker: Tracker) -> Optional[Mission]:
        """The button's mission; else the best search hit, a recognised theme breaking ties
        among the first three."""
        mission_id = latest_entity(tracker, slots.MISSION_ENTITY)
        mission = self.kb.get_mission(mission_id) if mission_id else None
        if mission is not None:
            return mission
        themes = [str(value) for value in tracker.get_latest_entity_values(slots.THEME_ENTITY)]
        hits = [
            hit.mission.id
            for hit in self.kb.find_missions(user_text(tracker), limit=3, phase_id=phase_context(tracker))
        ]
        chosen = next((hit for hit in hits if hit in themes), None) or (hits[0] if hits else None)
        chosen = chosen or next(iter(themes), None)
        return self.kb.get_mission(chosen) if chosen else None


def phase_payload(phase_id: str) -> str:
    return "/ask_phase" + json.dumps({slots.PHASE_ENTITY: phase_id})
