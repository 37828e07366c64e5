"""The relevance filter as Rasa trains, stores, loads and runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.advisor import OFF_TOPIC_WHEN_SURE, RELEVANCE_KEY
from bot.kb.content import DEFAULT_CONTENT_DIR, content_digest
from components.relevance import RelevanceClassifier, work_examples

REPO_ROOT = Path(__file__).resolve().parents[2]
WORK = [
    "personne ne veut être chef de file de la coopération",
    "les élus des deux communautés de communes ne se parlent plus",
    "comment bâtir la gouvernance de notre coopération",
    "on cherche des financements pour l'animation du projet commun",
    "les partenaires ne viennent plus au comité de pilotage",
    "comment faire travailler ensemble les services de l'agglo",
]
ELSEWHERE = [
    "quel temps fera-t-il demain à Brest",
    "une recette de gâteau au chocolat",
    "mon voisin fait du bruit le soir",
    "qui a gagné le match de foot hier",
    "comment réparer mon vélo",
    "un bon film pour ce soir",
]
# The content's examples are left out here, so each test says what the filter learns from.
CONFIG = {"ignored_intents": ["greet"], "content_dir": None}


@pytest.fixture()
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def training_data(*extra):
    examples = [Message(data={"text": text, "intent": "describe_situation"}) for text in WORK]
    examples += [Message(data={"text": text, "intent": "out_of_scope"}) for text in ELSEWHERE]
    return TrainingData([*examples, *extra])


def trained(storage, data, config=CONFIG):
    resource, context = Resource("relevance"), ExecutionContext(GraphSchema({}), "relevance")
    RelevanceClassifier.create(config, storage, resource, context).train(data)
    return RelevanceClassifier.load(config, storage, resource, context)


def relevance(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return message.as_dict(only_output_properties=True).get(RELEVANCE_KEY)


def test_a_stored_and_reloaded_filter_scores_the_work_above_the_rest(storage):
    component = trained(storage, training_data())
    work = relevance(component, "les élus ne veulent pas de chef de file")
    elsewhere = relevance(component, "une recette de crêpes pour ce soir")
    assert 0.5 < work <= 1 and 0 <= elsewhere < 0.5


def test_the_filter_reads_the_point_of_a_message_not_what_it_sets_aside(storage):
    component = trained(storage, training_data())
    question = "les élus ne veulent pas de chef de file"
    aside = "Pas de souci pour la recette de crêpes ni le film de ce soir. Le vrai problème : " + question
    assert relevance(component, aside) == relevance(component, "Le vrai problème : " + question) > 0.5


def test_dialogue_acts_are_left_out_of_the_training(storage):
    """Greetings are neither the work nor something else: with only them and out-of-scope
    examples there is nothing to learn, and messages get no score rather than a wrong one."""
    data = TrainingData(
        [Message(data={"text": text, "intent": "greet"}) for text in ("bonjour", "salut à tous")]
        + [Message(data={"text": text, "intent": "out_of_scope"}) for text in ELSEWHERE]
    )
    assert relevance(trained(storage, data), "bonjour") is None


def test_the_missions_situations_and_questions_are_examples_of_the_work(storage):
    """With only out-of-scope examples in the NLU data, the knowledge content's situations and
    officers' questions are what the filter learns the work from."""
    data = TrainingData([Message(data={"text": text, "intent": "out_of_scope"}) for text in ELSEWHERE])
    assert relevance(trained(storage, data), "personne ne veut piloter") is None
    component = trained(storage, data, {**CONFIG, "content_dir": str(DEFAULT_CONTENT_DIR)})
    assert relevance(component, "les élus ne veulent pas entendre parler de coopération") > 0.5
    assert relevance(component, "un bon film pour ce soir") < 0.5


def test_the_content_digest_follows_the_examples(tmp_path):
    """Rasa's cache keys on the component's configuration: the content's digest is part of
    it, so that a situation edited on the console retrains the filter."""
    shutil.copytree(DEFAULT_CONTENT_DIR, tmp_path / "knowledge")
    before = work_examples(str(tmp_path / "knowledge"))
    digest_before = content_digest(tmp_path / "knowledge")
    path = next((tmp_path / "knowledge" / "missions").glob("*.yml"))
    text = path.read_text(encoding="utf-8")
    first = before[0] if before[0] in text else next(example for example in before if example in text)
    path.write_text(text.replace(first, first + " encore", 1), encoding="utf-8")
    after = work_examples(str(tmp_path / "knowledge"))
    assert len(after) == len(before) and after != before and content_digest(tmp_path / "knowledge") != digest_before
    assert RelevanceClassifier.get_default_config()["content_digest"] == content_digest(DEFAULT_CONTENT_DIR)
    assert work_examples(str(tmp_path / "missing")) == []


def test_the_real_filter_keeps_short_questions_on_the_work_and_refuses_traps(storage):
    """Trained as `make model` trains it (the NLU data, config.yml, the content): short
    questions on the work stay above the refusal bound of a sure NLU (0.3), and questions on
    something else that share a word of the work stay below it."""
    config = next(
        step
        for step in yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
        if step["name"].endswith("RelevanceClassifier")
    )
    config = {**CONFIG, "ignored_intents": config["ignored_intents"], "content_dir": str(DEFAULT_CONTENT_DIR)}
    component = trained(storage, load_data(str(REPO_ROOT / "data" / "nlu")), config)
    for text in (
        "quelle gouvernance choisir ?",
        "Comment construire une gouvernance ?",
        "comment trouver un chef de file ?",
    ):
        assert relevance(component, text) > OFF_TOPIC_WHEN_SURE, text
    for text in (
        "Comment dresser mon chiot pour qu'il ne tire plus en laisse ?",
        "Quelle gouvernance pour le conseil d'administration de ma SARL ?",
    ):
        assert relevance(component, text) < OFF_TOPIC_WHEN_SURE, text
