"""Actions that suggest missions for what the officer describes, including when the NLU is
unsure or reads the message as out of scope: the advisor always ranks the officer's words
against the knowledge base before refusing."""

from __future__ import annotations

from actions.base import AdvisorAction
from bot import advisor


class ActionSuggestNextSteps(AdvisorAction):
    """Ranks missions for the situation described and offers them as quick replies."""

    act = advisor.SITUATION

    def name(self) -> str:
        return "action_suggest_next_steps"


class ActionOutOfScope(AdvisorAction):
    """Out of scope for the NLU: refused only when nothing in the message is about the
    officer's work and the knowledge base finds nothing close."""

    act = advisor.OUT_OF_SCOPE

    def name(self) -> str:
        return "action_out_of_scope"


class ActionClarify(AdvisorAction):
    """Low NLU confidence: advice if the knowledge base is sure, else "did you mean"
    buttons, else a request to rephrase."""

    act = advisor.FALLBACK

    def name(self) -> str:
        return "action_clarify"
