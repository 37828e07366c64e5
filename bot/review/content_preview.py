"""What the assistant would answer a question with a draft of the content, before publishing.

The draft content is built into a throw-away in-memory knowledge base (the loader's own
build), then the question goes through the path the actions take: the advisor's decision
(bot.advisor), its rendering into responses (actions.rendering.render), and the domain's
response texts filled with their values. Only the NLU is not run: the trainer says how it
reads the message (a situation, a question on a mission, not understood, out of scope).

actions.rendering is imported when a preview is asked, not at import: bot/ stays importable
without rasa_sdk, and the preview shows the text the actions send rather than a copy of it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from bot import advisor
from bot.advisor import Advisor, Turn
from bot.kb.content import Content
from bot.kb.db import make_session_factory
from bot.kb.loader import build
from bot.kb.service import KnowledgeBase
from bot.text import FrenchAnalyzer

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
MAX_QUESTION_CHARS = 500
# How the NLU may read the question (the dialogue act of the rule that runs the action).
READINGS = {
    "situation": ("l'agent décrit sa situation", advisor.SITUATION),
    "mission": ("l'agent demande comment mener une mission", advisor.MISSION),
    "fallback": ("message mal compris par le NLU (repli)", advisor.FALLBACK),
    "out_of_scope": ("message jugé hors périmètre par le NLU", advisor.OUT_OF_SCOPE),
}
DEFAULT_READING = "situation"
_PLACEHOLDER = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


@dataclass(frozen=True)
class Message:
    text: str
    buttons: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """The mission the assistant picks first (if any) and the messages it sends."""

    mission_id: Optional[str]
    mission_title: str
    messages: Tuple[Message, ...]


def draft_knowledge_base(content: Content, analyzer: FrenchAnalyzer) -> KnowledgeBase:
    """A knowledge base of ``content`` in memory, gone with the returned object."""
    engine = create_engine("sqlite://", future=True, poolclass=StaticPool, connect_args={"check_same_thread": False})
    build(engine, content, analyzer)
    return KnowledgeBase(make_session_factory(engine), analyzer)


def answer(kb: KnowledgeBase, question: str, reading: str = DEFAULT_READING) -> Answer:
    """What the assistant answers ``question`` read as ``reading`` (a key of READINGS), at the
    start of a conversation."""
    from actions.rendering import render  # rasa_sdk: only when a preview is asked (see above)

    act = READINGS.get(reading, READINGS[DEFAULT_READING])[1]
    decision = Advisor(kb).decide(Turn(act=act, text=question[:MAX_QUESTION_CHARS]))
    dispatcher = _Dispatcher()
    render(dispatcher, kb, decision)
    picked = decision.mission or (decision.suggestions[0].mission if decision.suggestions else None)
    return Answer(
        picked.id if picked else None,
        picked.title if picked else "",
        tuple(_message(sent) for sent in dispatcher.messages),
    )


class _Dispatcher:
    """Collects what the actions send, as rasa_sdk's CollectingDispatcher does."""

    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []

    def utter_message(self, text: Optional[str] = None, response: Optional[str] = None, **values: Any) -> None:
        self.messages.append({"text": text, "response": response, **values})


@functools.lru_cache(maxsize=1)
def _responses() -> Dict[str, list]:
    return yaml.safe_load(DOMAIN.read_text(encoding="utf-8")).get("responses", {})


def _message(sent: Dict[str, Any]) -> Message:
    """A sent message as the officer reads it: the response's text filled with its values
    (the first variation for the default channel), and the titles of its buttons."""
    values = {key: value for key, value in sent.items() if key not in ("text", "response", "buttons")}
    text, buttons = sent.get("text") or "", list(sent.get("buttons") or [])
    if sent.get("response"):
        variations = [item for item in _responses().get(sent["response"], []) if not item.get("channel")]
        chosen = variations[0] if variations else {"text": sent["response"]}
        text = text or chosen.get("text", "")
        buttons = buttons or list(chosen.get("buttons") or [])
    filled = _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)
    titles = tuple(
        _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), str(button.get("title", "")))
        for button in buttons
        if isinstance(button, dict)
    )
    return Message(filled, titles)
