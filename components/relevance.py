"""Is a message about the officer's work at all? A relevance score for every message.

The intent classifier shares its probability among two dozen intents, so its confidence in
``out_of_scope`` does not separate « un conflit avec mon voisin à cause de sa haie » from « un
conflit entre deux maires » (BENCHMARKS.md). This component answers the one question the
advisor needs before refusing: trained on the same NLU data, the examples of ``out_of_scope``
against those of the intents about the work (dialogue acts such as greetings left out), with
character n-grams and words and a logistic regression (bot.textmodel). It adds
``relevance``, the probability that the message is about the work, to the parse data; the
advisor (bot/advisor.py) refuses only what both this score and the knowledge base place
outside the work. Trainers improve it as they improve the NLU: a sentence annotated
« hors sujet » or validated as a situation is a training example at the next model.

The knowledge content (knowledge/) holds more of the work's own words than the NLU data: the
missions' titles, map labels, competences, keywords, situations and officers' questions are
examples of the work too (AUC 0.995 → 0.999 on the spent sets' messages, BENCHMARKS.md).
The content's digest (bot.kb.content.content_digest, the files' bytes, not parsed) is part of
the component's configuration, so that Rasa, whose cache keys on it, retrains the filter when
the content changes; the content itself is read only to train.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.advisor import RELEVANCE_KEY
from bot.focus import kept_text
from bot.kb.content import DEFAULT_CONTENT_DIR, ContentError, content_digest, load_content
from bot.names import OUT_OF_SCOPE_INTENT
from bot.text import fold
from bot.textmodel import LinearTextModel

logger = logging.getLogger(__name__)

MODEL_FILE = "relevance.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RelevanceClassifier(GraphComponent):
    """Adds ``relevance`` (0–1: how surely the message is about the officer's work)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Intents that are neither the work nor something else: acts of the dialogue.
            "ignored_intents": [],
            # Inverse regularisation of the logistic regression: weak regularisation, the value
            # tried first (AUC 0.99 on the spent sets, BENCHMARKS.md); others not compared.
            "C": 10.0,
            # The missions' own words in this content directory are examples of the work;
            # None leaves them out.
            "content_dir": str(DEFAULT_CONTENT_DIR),
            # Filled in from the content's files: changes when they change.
            "content_digest": content_digest(DEFAULT_CONTENT_DIR),
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[LinearTextModel] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RelevanceClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        ignored = set(self.config["ignored_intents"])
        texts, labels = [], []
        for example in training_data.intent_examples:
            intent, text = example.get(INTENT), example.get(TEXT)
            if intent and text and intent not in ignored:
                texts.append(fold(text))
                labels.append(int(intent != OUT_OF_SCOPE_INTENT))
        for text in work_examples(self.config["content_dir"]):
            texts.append(fold(text))
            labels.append(1)
        if len(set(labels)) < 2:
            logger.warning("Pas d'exemples hors sujet et dans le métier à la fois : score de pertinence non appris.")
            return self._resource
        estimator = LogisticRegression(C=self.config["C"], class_weight="balanced", max_iter=2000, random_state=0)
        self._model = LinearTextModel.fit(texts, labels, estimator)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_text(json.dumps(self._model.to_json()), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RelevanceClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            logger.warning("Score de pertinence absent du modèle : les messages n'en auront pas.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, LinearTextModel.from_json(data))

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        for message in messages:
            # What the message is about, not the greeting, thanks or topic set aside around it
            # (bot.focus): « Bonjour, merci d'exister ! Ma question : comment préparer mon
            # départ ? » weighed 0.17 whole, 0.58 without its first clause.
            text = kept_text(message.get(TEXT) or "")
            message.set(RELEVANCE_KEY, round(relevance(self._model, text), 4), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


def work_examples(content_dir: Optional[str]) -> List[str]:
    """The missions' own words (titles, map labels, competences, keywords, situations and
    officers' questions), or none if the content cannot be read (the NLU data alone then trains
    the filter). The short ones matter: with long situations alone, the everyday « comment … ? »
    questions among the out-of-scope examples pulled « quelle gouvernance choisir ? » to 0.10;
    with the titles and keywords it is 0.36."""
    if not content_dir:
        return []
    try:
        content = load_content(Path(content_dir))
    except (ContentError, OSError) as error:
        logger.warning("Contenu illisible (%s) : le filtre de pertinence apprend sans ses exemples.", error)
        return []
    return [
        text
        for mission in content.missions
        for text in (
            mission.title,
            mission.map_label,
            *mission.competences,
            *mission.keywords,
            *mission.situations,
            *mission.questions,
        )
        if text
    ]


def relevance(model: LinearTextModel, text: str) -> float:
    """The probability that ``text`` is about the work (class 1 of the model)."""
    decision = float(model.decision(fold(text))[0])
    return 1.0 / (1.0 + math.exp(-decision))
