"""Follow-ups on the mission being discussed (why, an example, details, how, when,
pitfalls, what next) and references to one item of the list just shown (« la deuxième »):
one action per follow-up intent."""

from __future__ import annotations

from actions.base import AdvisorAction
from bot import advisor


class ActionExplainWhy(AdvisorAction):
    act = advisor.WHY

    def name(self) -> str:
        return "action_explain_why"


class ActionGiveExample(AdvisorAction):
    act = advisor.EXAMPLE

    def name(self) -> str:
        return "action_give_example"


class ActionGiveDetails(AdvisorAction):
    act = advisor.DETAILS

    def name(self) -> str:
        return "action_give_details"


class ActionShowNext(AdvisorAction):
    act = advisor.NEXT

    def name(self) -> str:
        return "action_show_next"


class ActionExplainHow(AdvisorAction):
    act = advisor.HOW

    def name(self) -> str:
        return "action_explain_how"


class ActionExplainWhen(AdvisorAction):
    act = advisor.WHEN

    def name(self) -> str:
        return "action_explain_when"


class ActionListPitfalls(AdvisorAction):
    act = advisor.PITFALLS

    def name(self) -> str:
        return "action_list_pitfalls"


class ActionChooseOption(AdvisorAction):
    act = advisor.CHOOSE

    def name(self) -> str:
        return "action_choose_option"
