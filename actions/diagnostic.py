"""The guided diagnostic form: validation of each answer, then a tailored plan."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import slots
from actions.base import KnowledgeAction, UsesKnowledgeBase, latest_entity
from actions.rendering import mission_buttons, offered
from bot.advisor import KNOWN_SHARE, RELEVANCE_KEY, WEAK
from bot.diagnostic import IMPOSED, build_plan, is_cancel, is_vague, read_origin, read_partners, read_stage

ORIGIN_LABELS = {IMPOSED: "imposée par un financement", "voulue": "voulue par les acteurs"}


def stop(slot: str) -> Dict[str, Any]:
    """What a validation returns for words that give up: no answer, no question asked. The
    words must not stay in the slot: as the last answer, they completed the form, and
    « stop, j'ai plus le temps » got a plan."""
    return {slot: None, "requested_slot": None}


# A request for a diagnostic the relevance filter places this far outside the work (real
# requests, which the filter is not trained on, score 0.09 and up on the spent sets), with few
# words the knowledge base knows: « ma voiture fait un bruit bizarre, tu peux faire un
# diagnostic ? » is refused rather than answered « 1/4 — À quelle étape en est votre coopération ? ».
DIAGNOSTIC_OFF_TOPIC = 0.05


class ActionStartDiagnostic(UsesKnowledgeBase, Action):
    """Announces the diagnostic, unless the request is about something else: then the refusal,
    and the form is not started (the rule that follows is cut short by « action_listen »)."""

    def name(self) -> str:
        return "action_start_diagnostic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        relevance = message.get(RELEVANCE_KEY)
        if (
            relevance is not None
            and relevance < DIAGNOSTIC_OFF_TOPIC
            and not text.startswith("/")
            and self.kb.known_share(text) <= KNOWN_SHARE
        ):
            dispatcher.utter_message(response="utter_out_of_scope")
            return [FollowupAction("action_listen")]
        dispatcher.utter_message(response="utter_diagnostic_start")
        return []


class ActionStopDiagnostic(Action):
    """The NLU read « cancel » during the diagnostic. If the words really ask to stop (« laisse
    tomber », « stop », a button), the diagnostic stops and forgets its answers, so the next
    one starts afresh; otherwise (« on veut que ça dure », taken for a cancel) the message is
    handed to the form as the answer it is."""

    def name(self) -> str:
        return "action_stop_diagnostic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        text = (tracker.latest_message or {}).get("text") or ""
        if text and not text.startswith("/") and not is_cancel(text):
            return [FollowupAction("diagnostic_form")]
        dispatcher.utter_message(response="utter_diagnostic_cancelled")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *[SlotSet(slot, None) for slot in slots.DIAGNOSTIC_SLOTS],
        ]


class ValidateDiagnosticForm(UsesKnowledgeBase, FormValidationAction):
    """Accepts buttons and free text; on nonsense, says why and asks again; « laisse
    tomber », « on verra plus tard »… stop the form, whatever the NLU read."""

    def name(self) -> str:
        return "validate_diagnostic_form"

    def validate_diag_phase(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if is_cancel(str(value or "")):
            return stop(slots.DIAG_PHASE)
        phase_id = latest_entity(tracker, slots.PHASE_ENTITY)
        phase = self.kb.get_phase(phase_id) if phase_id else None
        phase = phase or self.kb.find_phase(str(value or ""))
        if phase is None or phase.transversal:
            stage = read_stage(str(value or ""))
            phase = self.kb.get_phase(stage) if stage else phase
        if phase is None or phase.transversal:
            dispatcher.utter_message(response="utter_invalid_diag_phase")
            return {slots.DIAG_PHASE: None}
        return {slots.DIAG_PHASE: phase.id, slots.PHASE: phase.id}

    def validate_diag_partners(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ):
        text = " ".join(str(value or "").split())[:300]
        if is_cancel(text):
            return stop(slots.DIAG_PARTNERS)
        if text.startswith("/") or read_partners(text) is None:
            dispatcher.utter_message(response="utter_invalid_diag_partners")
            return {slots.DIAG_PARTNERS: None}
        return {slots.DIAG_PARTNERS: text}

    def validate_diag_origin(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if is_cancel(str(value or "")):
            return stop(slots.DIAG_ORIGIN)
        origin = read_origin(latest_entity(tracker, slots.ORIGIN_ENTITY) or "") or read_origin(str(value or ""))
        if origin is None:
            dispatcher.utter_message(response="utter_invalid_diag_origin")
            return {slots.DIAG_ORIGIN: None}
        return {slots.DIAG_ORIGIN: origin}

    def validate_diag_difficulty(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ):
        text = " ".join(str(value or "").split())[:500]
        if is_cancel(text):
            return stop(slots.DIAG_DIFFICULTY)
        hits = [] if text.startswith("/") else self.kb.find_missions(text, limit=3)
        if not hits or max(hit.score for hit in hits) < WEAK or is_vague(text):
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
            dispatcher.utter_message(
                response="utter_diagnostic_step",
                rank=rank,
                title=step.mission.title,
                phase=step.mission.phase_label,
                reason=step.reason,
                first_step=step.first_step,
            )
        missions = [step.mission for step in plan]
        dispatcher.utter_message(response="utter_choose_mission", buttons=mission_buttons(missions))
        return [
            *offered(missions),  # « la deuxième » now means the plan's second step
            SlotSet(slots.CURRENT_MISSION, missions[0].id if missions else None),
            *[SlotSet(slot, None) for slot in slots.DIAGNOSTIC_SLOTS],
        ]
