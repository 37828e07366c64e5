"""Actions that explain the job's structure: the phases and the missions."""

from __future__ import annotations

from actions.base import AdvisorAction
from bot import advisor


class ActionListPhases(AdvisorAction):
    """The four phases in order and the transversal missions (or the phase, or the mission,
    the question really names)."""

    act = advisor.PHASES

    def name(self) -> str:
        return "action_list_phases"


class ActionExplainPhase(AdvisorAction):
    """What to do in one phase: its description and its missions, as quick replies."""

    act = advisor.PHASE

    def name(self) -> str:
        return "action_explain_phase"


class ActionExplainMission(AdvisorAction):
    """How to carry out a mission: chosen by button, or found from the officer's words."""

    act = advisor.MISSION

    def name(self) -> str:
        return "action_explain_mission"


class ActionShowCapabilities(AdvisorAction):
    """What the assistant can do (or advice, when the question also describes a situation)."""

    act = advisor.CAPABILITIES

    def name(self) -> str:
        return "action_show_capabilities"


class ActionAnswerIsBot(AdvisorAction):
    """That the assistant is a program (or advice, when the question is about the work)."""

    act = advisor.IS_BOT

    def name(self) -> str:
        return "action_answer_is_bot"


class ActionExplainJob(AdvisorAction):
    """The job of a cooperation officer (or the part of the map the question names)."""

    act = advisor.JOB

    def name(self) -> str:
        return "action_explain_job"
