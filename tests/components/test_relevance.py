"""The relevance filter as Rasa trains, stores, loads and runs it."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.advisor import RELEVANCE_KEY
from components.relevance import RelevanceClassifier

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
CONFIG = {"ignored_intents": ["greet"]}


@pytest.fixture()
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def training_data(*extra):
    examples = [Message(data={"text": text, "intent": "describe_situation"}) for text in WORK]
    examples += [Message(data={"text": text, "intent": "out_of_scope"}) for text in ELSEWHERE]
    return TrainingData([*examples, *extra])


def trained(storage, data):
    resource, context = Resource("relevance"), ExecutionContext(GraphSchema({}), "relevance")
    RelevanceClassifier.create(CONFIG, storage, resource, context).train(data)
    return RelevanceClassifier.load(CONFIG, storage, resource, context)


def relevance(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return message.as_dict(only_output_properties=True).get(RELEVANCE_KEY)


def test_a_stored_and_reloaded_filter_scores_the_work_above_the_rest(storage):
    component = trained(storage, training_data())
    work = relevance(component, "les élus ne veulent pas de chef de file")
    elsewhere = relevance(component, "une recette de crêpes pour ce soir")
    assert 0.5 < work <= 1 and 0 <= elsewhere < 0.5


def test_dialogue_acts_are_left_out_of_the_training(storage):
    """Greetings are neither the work nor something else: with only them and out-of-scope
    examples there is nothing to learn, and messages get no score rather than a wrong one."""
    data = TrainingData(
        [Message(data={"text": text, "intent": "greet"}) for text in ("bonjour", "salut à tous")]
        + [Message(data={"text": text, "intent": "out_of_scope"}) for text in ELSEWHERE]
    )
    assert relevance(trained(storage, data), "bonjour") is None
