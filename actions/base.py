"""Base classes of the actions that read the knowledge base, and tracker helpers."""

from __future__ import annotations

import abc
import logging
import threading
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.rendering import render
from bot import advisor
from bot.advisor import RELEVANCE_KEY, Advisor, Context, Decision, Turn
from bot.kb.service import KnowledgeBase, KnowledgeBaseUnavailable

logger = logging.getLogger(__name__)

_shared_kb: Optional[KnowledgeBase] = None
_shared_lock = threading.Lock()


def shared_knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base, opened on first use (never at import)."""
    global _shared_kb
    if _shared_kb is None:
        with _shared_lock:
            if _shared_kb is None:
                _shared_kb = KnowledgeBase.from_url()
    return _shared_kb


class UsesKnowledgeBase:
    """Gives an action a knowledge base: the one passed in (tests) or the shared one."""

    def __init__(self, knowledge_base: Optional[KnowledgeBase] = None) -> None:
        self._kb = knowledge_base

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            self._kb = shared_knowledge_base()
        return self._kb


class KnowledgeAction(UsesKnowledgeBase, Action, abc.ABC):
    """An action over the knowledge base that answers in French even when it is down."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        try:
            return self.answer(dispatcher, tracker, domain)
        except KnowledgeBaseUnavailable:
            logger.exception("Base de connaissances indisponible pendant %s", self.name())
            dispatcher.utter_message(response="utter_service_unavailable")
            return []

    @abc.abstractmethod
    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Read the tracker, query the knowledge base, send responses, return events."""


class AdvisorAction(KnowledgeAction, abc.ABC):
    """Asks the advisor what to answer, taking the message for ``act``, and renders it."""

    act: str = ""

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return render(dispatcher, self.kb, self.decide(tracker))

    def decide(self, tracker: Tracker) -> Decision:
        return Advisor(self.kb).decide(turn_of(tracker, self.act))


# The act each intent's action hands the advisor (data/rules).
INTENT_ACTS = {
    "describe_situation": advisor.SITUATION,
    "ask_mission": advisor.MISSION,
    "ask_phases": advisor.PHASES,
    "ask_phase": advisor.PHASE,
    "ask_job": advisor.JOB,
    "ask_capabilities": advisor.CAPABILITIES,
    "ask_is_bot": advisor.IS_BOT,
    "choose_option": advisor.CHOOSE,
    "ask_why": advisor.WHY,
    "ask_example": advisor.EXAMPLE,
    "ask_details": advisor.DETAILS,
    "ask_next": advisor.NEXT,
    "ask_how": advisor.HOW,
    "ask_when": advisor.WHEN,
    "ask_pitfalls": advisor.PITFALLS,
}


def turn_of(tracker: Tracker, act: str) -> Turn:
    """The latest message and the conversation's context, as the advisor reads them."""
    return Turn(
        act=act,
        text=user_text(tracker),
        mission_id=latest_entity(tracker, slots.MISSION_ENTITY),
        phase_id=latest_entity(tracker, slots.PHASE_ENTITY),
        rank=latest_entity(tracker, slots.RANK_ENTITY),
        themes=tuple(str(value) for value in tracker.get_latest_entity_values(slots.THEME_ENTITY)),
        context=Context(
            current_mission=tracker.get_slot(slots.CURRENT_MISSION),
            last_missions=tuple(str(item) for item in tracker.get_slot(slots.LAST_MISSIONS) or ()),
            last_list=tracker.get_slot(slots.LAST_LIST),
            phase=tracker.get_slot(slots.PHASE),
            previous_text=previous_user_text(tracker),
        ),
        relevance=(tracker.latest_message or {}).get(RELEVANCE_KEY),
        second_act=second_act(tracker),
        confidence=((tracker.latest_message or {}).get("intent") or {}).get("confidence"),
    )


def second_act(tracker: Tracker) -> Optional[str]:
    """The act of the intent the NLU ranked second for the latest message, if it has one."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    return INTENT_ACTS.get(ranking[1].get("name")) if len(ranking) > 1 else None


def previous_user_text(tracker: Tracker) -> str:
    """The officer's message before the latest one, if it was typed (not a button)."""
    seen_latest = False
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        if not seen_latest:
            seen_latest = True
            continue
        text = event.get("text") or ""
        return "" if text.startswith("/") else text
    return ""


def latest_entity(tracker: Tracker, entity: str) -> Optional[str]:
    """The value of an entity of the latest user message, as text, or ``None``."""
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value) if value is not None else None


def user_text(tracker: Tracker) -> str:
    """The latest user message, or "" for a button payload ("/intent{...}")."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text
