"""The guided diagnostic form: validation of each answer, then a tailored plan."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import slots
from actions.base import KnowledgeAction, UsesKnowledgeBase, latest_entity
from actions.rendering import mission_buttons
from bot.diagnostic import IMPOSED, build_plan, read_origin, read_partners

ORIGIN_LABELS = {IMPOSED: "imposée par un financement", "voulue": "voulue par les acteurs"}


class ValidateDiagnosticForm(UsesKnowledgeBase, FormValidationAction):
    """Accepts buttons and free text; on nonsense, says why and asks again."""

    def name(self) -> str:
        return "validate_diagnostic_form"

    def validate_diag_phase(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        phase_id = latest_entity(tracker, slots.PHASE_ENTITY)
        phase = self.kb.get_phase(phase_id) if phase_id else None
        phase = phase or self.kb.find_phase(str(value or ""))
        if phase is None or phase.transversal:
            dispatcher.utter_message(response="utter_invalid_diag_phase")
            return {slots.DIAG_PHASE: None}
        return {slots.DIAG_PHASE: phase.id, slots.PHASE: phase.id}

    def validate_diag_partners(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ):
        text = " ".join(str(value or "").split())[:300]
        if text.startswith("/") or read_partners(text) is None:
            dispatcher.utter_message(response="utter_invalid_diag_partners")
            return {slots.DIAG_PARTNERS: None}
        return {slots.DIAG_PARTNERS: text}

    def validate_diag_origin(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        origin = read_origin(latest_entity(tracker, slots.ORIGIN_ENTITY) or "") or read_origin(str(value or ""))
        if origin is None:
            dispatcher.utter_message(response="utter_invalid_diag_origin")
            return {slots.DIAG_ORIGIN: None}
        return {slots.DIAG_ORIGIN: origin}

    def validate_diag_difficulty(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ):
        text = " ".join(str(value or "").split())[:500]
        if text.startswith("/") or not self.kb.find_missions(text, limit=1):
            dispatcher.utter_message(response="utter_invalid_diag_difficulty")
            return {slots.DIAG_DIFFICULTY: None}
        return {slots.DIAG_DIFFICULTY: text}


class ActionDiagnosticPlan(KnowledgeAction):
    """A plan of 3 to 5 steps from the diagnostic's answers; the answers are then cleared."""

    def name(self) -> str:
        return "action_diagnostic_plan"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        phase = self.kb.get_phase(tracker.get_slot(slots.DIAG_PHASE) or "")
        difficulty = tracker.get_slot(slots.DIAG_DIFFICULTY) or ""
        if phase is None or not difficulty:
            dispatcher.utter_message(response="utter_diagnostic_cancelled")
            return [SlotSet(slot, None) for slot in slots.DIAGNOSTIC_SLOTS]
        partners_text = tracker.get_slot(slots.DIAG_PARTNERS) or ""
        origin = tracker.get_slot(slots.DIAG_ORIGIN)
        plan = build_plan(self.kb, phase.id, read_partners(partners_text), origin, difficulty)
        dispatcher.utter_message(
            response="utter_diagnostic_plan_intro",
            origin=ORIGIN_LABELS.get(origin, "en cours"),
            phase=phase.label,
            partners=partners_text,
            count=len(plan),
        )
        for rank, step in enumerate(plan, start=1):
            mission = self.kb.get_mission(step.mission.id)
            dispatcher.utter_message(
                response="utter_diagnostic_step",
                rank=rank,
                title=mission.title,
                phase=mission.phase.label,
                reason=step.reason,
                first_step=mission.how[0],
            )
        missions = [step.mission for step in plan]
        dispatcher.utter_message(response="utter_choose_mission", buttons=mission_buttons(missions))
        return [
            SlotSet(slots.LAST_MISSIONS, [mission.id for mission in missions]),
            SlotSet(slots.CURRENT_MISSION, missions[0].id if missions else None),
            *[SlotSet(slot, None) for slot in slots.DIAGNOSTIC_SLOTS],
        ]
