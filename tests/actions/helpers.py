"""A fake conversation turn for action tests: a tracker and a collecting dispatcher."""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def tracker_for(
    text: str = "",
    intent: str = "describe_situation",
    entities: Optional[List[Dict]] = None,
    slots: Optional[Dict] = None,
    active_loop: Optional[Dict] = None,
    parse: Optional[Dict] = None,
) -> Tracker:
    """``parse``: more of the NLU's parse data (``relevance``, ``intent_ranking``)."""
    return Tracker(
        sender_id="test",
        slots=dict(slots or {}),
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
            **(parse or {}),
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


def run(action, tracker: Tracker, domain: Optional[Dict] = None) -> Tuple[List[Dict], List[Dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return dispatcher.messages, events


def responses(messages: List[Dict]) -> List[str]:
    return [message.get("response") for message in messages]


def slot_values(events: List[Dict]) -> Dict:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def entity(name: str, value: str) -> Dict:
    return {"entity": name, "value": value}
