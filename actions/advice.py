"""Actions that suggest missions for what the officer describes, including when the NLU is
unsure: the knowledge-base search always runs on the user's own words."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import KnowledgeAction, phase_context, user_text
from actions.rendering import mission_buttons
from bot.kb.records import Suggestion

# A fallback message whose best mission scores this high is answered directly.
CONFIDENT_SEARCH_SCORE = 9.0


def utter_suggestions(dispatcher: CollectingDispatcher, suggestions: List[Suggestion]) -> List[Dict]:
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
    return [
        SlotSet(slots.LAST_MISSIONS, [mission.id for mission in missions]),
        SlotSet(slots.CURRENT_MISSION, missions[0].id),
    ]


class ActionSuggestNextSteps(KnowledgeAction):
    """Ranks missions for the situation described and offers them as quick replies."""

    def name(self) -> str:
        return "action_suggest_next_steps"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        suggestions = self.kb.suggest_next_steps(user_text(tracker), phase_context(tracker))
        if not suggestions:
            dispatcher.utter_message(response="utter_no_suggestion")
            return []
        return utter_suggestions(dispatcher, suggestions)


class ActionOutOfScope(KnowledgeAction):
    """Out of scope for the NLU; but if the knowledge base clearly recognises a situation,
    the officer gets advice rather than a refusal."""

    def name(self) -> str:
        return "action_out_of_scope"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        text = user_text(tracker)
        hits = self.kb.find_missions(text, limit=1)
        if hits and hits[0].score >= CONFIDENT_SEARCH_SCORE:
            return utter_suggestions(dispatcher, self.kb.suggest_next_steps(text, phase_context(tracker)))
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionClarify(KnowledgeAction):
    """Low NLU confidence: answer if the knowledge base is sure, else offer "did you mean"
    buttons, else ask to rephrase."""

    def name(self) -> str:
        return "action_clarify"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        text = user_text(tracker)
        hits = self.kb.find_missions(text, limit=3, phase_id=phase_context(tracker))
        if hits and hits[0].score >= CONFIDENT_SEARCH_SCORE:
            return utter_suggestions(dispatcher, self.kb.suggest_next_steps(text, phase_context(tracker)))
        if hits:
            missions = [hit.mission for hit in hits]
            dispatcher.utter_message(response="utter_did_you_mean", buttons=mission_buttons(missions))
            return [SlotSet(slots.LAST_MISSIONS, [mission.id for mission in missions])]
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
