"""The evaluation sets are independent of the training data and of the knowledge content,
and cover the whole map."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from bot.evaluation import SETS, Labels, Question, judge, load_questions
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


def content_texts(content):
    """Every text of the knowledge content the search matches a question against."""
    texts = {fold(phrase) for phrase in content.synonyms}
    for mission in content.missions:
        texts |= {
            fold(text) for text in (*mission.situations, *mission.keywords, *mission.competences, *mission.questions)
        }
    for phase in content.phases:
        texts |= {fold(alias) for alias in phase.aliases}
    return texts


def evaluation_messages(name):
    """Every message of a set: its questions and the context messages before them."""
    return {message for question in load_questions(SETS[name]) for message in (*question.context, question.question)}


@pytest.mark.parametrize("name", sorted(SETS))
def test_no_evaluation_message_is_in_the_training_data_or_the_content(content, name):
    """Nothing hard-coded for a sentence of a set: no message of any set (context included)
    is a training example, a synonym, a phase alias or a situation, keyword, competence or officer's
    question of a mission."""
    examples = training_examples()
    assert len(examples) > 500
    known = examples | content_texts(content)
    leaked = sorted(message for message in evaluation_messages(name) if fold(message) in known)
    # Short acts (« merci », « stop », « la deuxième ») are the same in any set and in training.
    leaked = [message for message in leaked if len(fold(message).split()) > 3]
    assert not leaked, leaked


@pytest.mark.parametrize(
    "name", ["heldout", "blind", "fresh", "audit", "field", "sound", "check", "probe", "survey", "trial", "panel"]
)
def test_independent_sets_are_large_and_cover_every_category_mission_and_phase(content, name):
    questions = load_questions(SETS[name])
    assert len(questions) >= 200 and len({question.id for question in questions}) == len(questions)
    categories = {question.category for question in questions}
    assert {
        "long_situation", "context", "chat_style", "competence", "phase",
        "negation_two_topics", "diagnostic", "out_of_scope",
    } <= categories  # fmt: skip
    assert sum(1 for question in questions if question.category == "context" and question.context) >= 30
    expected = {mission_id for question in questions for mission_id in question.expect_missions}
    assert expected == {mission.id for mission in content.missions}
    assert {question.expect_phase for question in questions if question.expect_phase} == {
        phase.id for phase in content.phases
    }


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


def test_judge_checks_the_phase_explained_and_forbidden_markers():
    labels = Labels({}, {"emergence": "Phase d'émergence"})
    question = Question(4, "phase", "et l'émergence ?", expect_phase="emergence", forbid_text=("sort de mon domaine",))
    assert judge(question, "**Phase d'émergence** — … Les missions de la carte pour cette étape :", labels)
    assert not judge(question, "Une coopération se déroule en quatre phases : … Phase d'émergence …", labels)
    assert not judge(Question(5, "x", "?", expect_text=("a",), forbid_text=("b",)), "a b", labels)


def test_top_one_is_the_first_mission_named():
    labels = Labels({"a": "Titre A", "b": "Titre B"})
    assert labels.first_mission("1. **Titre B** … 2. **Titre A**") == "b"
    assert labels.first_mission("rien") is None


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


def test_a_keyword_in_another_missions_title_names_no_theme(content):
    """« ingénierie » is a keyword of the partnerships and a word of « Organiser le « qui fait
    quoi » et l'ingénierie »: the NLU must not tag it as the partnerships' theme."""
    lookups = yaml.safe_load(render_nlu_lookups(content))["nlu"]
    themes = {block["synonym"]: block["examples"] for block in lookups if "synonym" in block}
    assert "ingénierie" not in themes["build_partnerships"] and "ingenierie" not in themes["build_partnerships"]


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


def test_no_officers_question_is_a_near_copy_of_an_evaluation_message(content):
    """The officers' questions that train the content classifier were written without the sets:
    none is a close copy of a set's message (edit similarity ≥ 85 %), which the exact comparison
    above would miss."""
    from rapidfuzz import fuzz, process

    messages = sorted({fold(message) for name in SETS for message in evaluation_messages(name)})
    messages = [message for message in messages if len(message.split()) > 3]
    questions = [fold(question) for mission in content.missions for question in mission.questions]
    assert len(questions) >= 16 * len(content.missions) // 2
    similarity = process.cdist(questions, messages, scorer=fuzz.ratio, score_cutoff=85)
    close = [(questions[row], messages[column]) for row, column in zip(*similarity.nonzero(), strict=True)]
    assert not close, close[:5]
