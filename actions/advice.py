"""Actions that suggest missions for a situation the officer describes."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction


class ActionSuggestNextSteps(KnowledgeAction):
    """Ranks missions for the user's own words and offers them as quick replies."""

    def name(self) -> str:
        return "action_suggest_next_steps"

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        suggestions = self.kb.suggest_next_steps(text)
        if not suggestions:
            dispatcher.utter_message(response="utter_no_suggestion")
            return []
        dispatcher.utter_message(response="utter_next_steps_intro")
        for rank, suggestion in enumerate(suggestions, start=1):
            dispatcher.utter_message(
                response="utter_next_step",
                rank=rank,
                title=suggestion.mission.title,
                phase=suggestion.mission.phase_label,
                reason=suggestion.reason,
            )
        return []
