"""The plan action's steps: same values as when it read each mission, without reading them."""

from __future__ import annotations

from actions.diagnostic import ActionDiagnosticPlan
from bot.kb.service import KnowledgeBase
from tests.actions.helpers import run, tracker_for

ANSWERS = {
    "diag_phase": "implementation",
    "diag_partners": "4 intercommunalités",
    "diag_origin": "imposee",
    "diag_difficulty": "les partenaires ne viennent plus aux réunions",
}


def test_plan_steps_say_each_mission_title_phase_and_first_step_without_reading_each_mission(kb_url, kb, analyzer):
    counted = KnowledgeBase.from_url(kb_url, analyzer)
    reads = []
    get_mission = counted.get_mission
    counted.get_mission = lambda mission_id: reads.append(mission_id) or get_mission(mission_id)
    messages, _ = run(ActionDiagnosticPlan(counted), tracker_for("", slots=ANSWERS))
    steps = [message for message in messages if message["response"] == "utter_diagnostic_step"]
    assert len(steps) == 5 and reads == []
    for rank, step in enumerate(steps, start=1):
        mission = kb.get_mission(messages[-1]["buttons"][rank - 1]["payload"].split('"')[3])
        assert (step["rank"], step["title"], step["phase"], step["first_step"]) == (
            rank,
            mission.title,
            mission.phase.label,
            mission.how[0],
        )
        assert step["reason"]
