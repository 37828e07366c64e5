"""The evaluation set is independent of the training data and covers the whole map."""

from __future__ import annotations

import json
import re

import yaml

from bot.evaluation import Labels, Question, judge, load_questions
from bot.kb.nlu_export import LOOKUP_PATH, render_nlu_lookups
from bot.text import fold
from tests.conftest import REPO_ROOT

ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def training_examples():
    examples = set()
    for path in (REPO_ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.add(fold(ANNOTATION.sub(r"\1", line[2:])))
    return examples


def test_no_evaluation_question_is_in_the_training_data():
    examples = training_examples()
    assert len(examples) > 500
    leaked = [question.question for question in load_questions() if fold(question.question) in examples]
    assert not leaked, leaked


def test_evaluation_set_is_large_and_covers_every_category_and_mission(content):
    questions = load_questions()
    assert len(questions) >= 100
    assert len({question.id for question in questions}) == len(questions)
    categories = {question.category for question in questions}
    assert {"phase", "mission", "situation", "informal", "followup", "out_of_scope", "smalltalk"} <= categories
    expected = {mission_id for question in questions for mission_id in question.expect_missions}
    assert expected == {mission.id for mission in content.missions}
    phases = {fold(marker) for question in questions if question.category == "phase" for marker in question.expect_text}
    assert {fold(phase.label) for phase in content.phases} <= phases


def test_judge_needs_the_expected_mission_title_in_the_reply():
    question = Question(1, "mission", "qui pilote ?", expect_missions=("identify_lead_partner",))
    labels = Labels({"identify_lead_partner": "Identifier un chef de file"})
    assert judge(question, "1. **Identifier un CHEF de file** (Phase d'émergence)", labels)
    assert not judge(question, "Construire et faire vivre les partenariats", labels)


def test_judge_combines_missions_and_markers():
    question = Question(2, "followup", "pourquoi ?", expect_missions=("a",), expect_text=("Pourquoi",))
    labels = Labels({"a": "Titre A"})
    assert judge(question, "**Pourquoi c'est important** — Titre A : ...", labels)
    assert not judge(question, "Titre A", labels)
    assert not judge(Question(3, "x", "?"), "n'importe quoi", Labels({}))


def test_lookup_tables_are_generated_from_the_content(content):
    assert LOOKUP_PATH.read_text(encoding="utf-8") == render_nlu_lookups(
        content
    ), "data/nlu/lookups.yml ne correspond plus à knowledge/phases.yml : lancez « python -m bot.kb export-nlu »"


ANNOTATED = re.compile(r"\[([^\]]+)\]\{([^}]*)\}")


def test_no_text_is_a_synonym_of_two_values():
    """Rasa's EntitySynonymMapper ignores the entity type: one text must map to one value."""
    values = {}
    for path in (REPO_ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            lines = [line.strip()[2:] for line in block.get("examples", "").splitlines() if line.strip()]
            if "synonym" in block:
                for text in lines:
                    values.setdefault(text.lower(), set()).add(str(block["synonym"]))
            if "intent" in block:
                for text, annotation in (m.groups() for line in lines for m in ANNOTATED.finditer(line)):
                    value = json.loads("{" + annotation + "}").get("value")
                    if value and value != text:
                        values.setdefault(text.lower(), set()).add(str(value))
    conflicts = {text: found for text, found in values.items() if len(found) > 1}
    assert not conflicts, conflicts
