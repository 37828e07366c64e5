from __future__ import annotations

import json

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union
from sklearn.svm import LinearSVC

from bot.text import fold
from bot.textmodel import LinearTextModel

TEXTS = [
    "personne ne veut être chef de file",
    "qui doit piloter la coopération",
    "les élus se disputent en comité de pilotage",
    "un conflit ouvert entre deux maires",
    "on n'a pas de financement pour l'animation",
    "trouver des subventions européennes",
    "quel temps fera-t-il demain",
    "une recette de gâteau au chocolat",
]
LABELS = ["lead", "lead", "conflict", "conflict", "money", "money", "other", "other"]
QUESTIONS = [
    "qui va piloter notre projet ?",
    "les maires se disputent encore",
    "aucune subvention pour l'ingénierie",
    "mot inconnu zzzz",
    "",
]


def scikit_learn(estimator):
    vectorizer = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
        TfidfVectorizer(sublinear_tf=True),
    )
    estimator.fit(vectorizer.fit_transform([fold(text) for text in TEXTS]), LABELS)
    return lambda text: estimator.decision_function(vectorizer.transform([fold(text)]))


@pytest.mark.parametrize(
    "estimator", [lambda: LinearSVC(C=1.0, random_state=0), lambda: LogisticRegression(max_iter=1000)]
)
def test_decision_values_are_scikit_learns_own(estimator):
    """The model sums its words' remembered features instead of calling scikit-learn's
    transform: the decision values must be scikit-learn's, read twice (through the memo) and
    after a JSON round trip."""
    model = LinearTextModel.fit([fold(text) for text in TEXTS], LABELS, estimator())
    expected = scikit_learn(estimator())
    restored = LinearTextModel.from_json(json.loads(json.dumps(model.to_json())))
    assert restored.classes == model.classes == sorted(set(LABELS))
    for question in QUESTIONS:
        model.decision(fold(question))
        assert model.decision(fold(question)) == pytest.approx(expected(question)[0], abs=1e-9)
        assert restored.decision(fold(question)) == pytest.approx(expected(question)[0], abs=1e-9)


def test_two_classes_give_one_decision_value_positive_for_the_second():
    labels = ["hors", "hors", "metier", "metier"]
    texts = ["recette de cuisine", "match de football", "chef de file", "gouvernance de la coopération"]
    model = LinearTextModel.fit([fold(text) for text in texts], labels, LogisticRegression(C=10, max_iter=1000))
    assert model.classes == ["hors", "metier"]
    assert model.decision(fold("qui sera chef de file ?")).shape == (1,)
    assert model.decision(fold("qui sera chef de file ?"))[0] > 0 > model.decision(fold("une recette"))[0]
