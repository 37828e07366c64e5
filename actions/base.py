"""Base class of the actions that read the knowledge base."""

from __future__ import annotations

import abc
import logging
import threading
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

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


class KnowledgeAction(Action, abc.ABC):
    """An action over the knowledge base; tests pass their own in the constructor."""

    def __init__(self, knowledge_base: Optional[KnowledgeBase] = None) -> None:
        self._kb = knowledge_base

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            self._kb = shared_knowledge_base()
        return self._kb

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
        """Read the tracker, query the knowledge base once, send responses, return events."""
