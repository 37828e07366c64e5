"""Follow-up questions about the mission just shown: why, an example, details, what next,
or one item of the list just offered ("la deuxième")."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import KnowledgeAction, latest_entity
from actions.rendering import bullets, utter_mission
from bot.kb.records import Mission
from bot.text import fold

RANK_WORDS = {
    "premier": 1, "premiere": 1, "1er": 1, "1ere": 1, "1re": 1,
    "deuxieme": 2, "second": 2, "seconde": 2, "2e": 2, "2eme": 2,
    "troisieme": 3, "3e": 3, "3eme": 3,
    "quatrieme": 4, "4e": 4, "4eme": 4,
}  # fmt: skip
LAST = "last"


class ActionFollowUp(KnowledgeAction):
    def name(self) -> str:
        return "action_follow_up"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "choose_option":
            return self._choose(dispatcher, tracker)
        mission_id = tracker.get_slot(slots.CURRENT_MISSION)
        mission = self.kb.get_mission(mission_id) if mission_id else None
        if mission is None:
            dispatcher.utter_message(response="utter_no_context")
            return []
        if intent == "ask_next":
            return self._next(dispatcher, mission)
        if intent == "ask_example":
            dispatcher.utter_message(response="utter_example", title=mission.title, example=mission.example)
        elif intent == "ask_details":
            dispatcher.utter_message(
                response="utter_details",
                title=mission.title,
                competences=bullets(mission.competences or (mission.map_label,)),
                situations=bullets(f"« {situation} »" for situation in mission.situations[:4]),
                related=", ".join(related.title for related in mission.related),
            )
        else:
            dispatcher.utter_message(response="utter_why", title=mission.title, why=mission.why)
        return []

    def _next(self, dispatcher: CollectingDispatcher, mission: Mission) -> List[Dict]:
        if mission.next is None:
            dispatcher.utter_message(response="utter_no_next", title=mission.title)
            return []
        dispatcher.utter_message(response="utter_next", previous=mission.title, title=mission.next.title)
        return utter_mission(dispatcher, self.kb.get_mission(mission.next.id))

    def _choose(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict]:
        options = tracker.get_slot(slots.LAST_MISSIONS) or []
        index = option_index(latest_entity(tracker, slots.RANK_ENTITY) or tracker.latest_message.get("text", ""))
        mission = None
        if options and index is not None and -len(options) <= index < len(options):
            mission = self.kb.get_mission(str(options[index]))
        if mission is None:
            dispatcher.utter_message(response="utter_no_option")
            return []
        return utter_mission(dispatcher, mission)


def option_index(text: str) -> Optional[int]:
    """Zero-based index named by "la deuxième", "2", "la 3e", "la dernière"; -1 for the last."""
    words = fold(text).split()
    if LAST in words or any(word.startswith("dernier") for word in words):
        return -1
    for word in words:
        if word in RANK_WORDS:
            return RANK_WORDS[word] - 1
        if re.fullmatch(r"[1-9]", word):
            return int(word) - 1
    return None
