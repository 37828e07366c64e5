"""Small talk: greetings, thanks, goodbyes, and « oui », « non », « annuler » with nothing to
answer or cancel. Each gets its reply, unless the NLU was unsure and the message is a word of
the work (« conflits » read as « oui »): the advisor then answers it (bot/advisor.py)."""

from __future__ import annotations

from actions.base import AdvisorAction
from bot import advisor


class ActionGreet(AdvisorAction):
    act = advisor.GREET

    def name(self) -> str:
        return "action_greet"


class ActionThank(AdvisorAction):
    act = advisor.THANK

    def name(self) -> str:
        return "action_thank"


class ActionGoodbye(AdvisorAction):
    act = advisor.GOODBYE

    def name(self) -> str:
        return "action_goodbye"


class ActionAnythingElse(AdvisorAction):
    """« Puis-je vous aider sur autre chose ? » after « oui », « non » or « annuler » that
    answer or cancel nothing."""

    act = advisor.NOTHING_PENDING

    def name(self) -> str:
        return "action_anything_else"
