"""Turns knowledge-base records into responses: values and buttons, no French sentences
(those live in domain.yml responses and in the knowledge content)."""

from __future__ import annotations

import json
from typing import Iterable, List, Sequence

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot.kb.records import Mission, MissionSummary


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
