"""A second opinion on which mission a question is about, learnt from the content itself.

The search (bot.kb.search) adds up the weights of the terms a question shares with each
mission: precise when the officer uses the map's words, weaker when they paraphrase. This
classifier is trained, when the search index is built, on each mission's own texts (title,
map label, summary, competences, situations, keywords): character n-grams and words, a linear
SVM. It sees that « passer le relais » resembles « transmettre le dossier » without a synonym
list. It never decides alone: it re-orders the missions the search found (bot.kb.search), and
the search's scores, on which the advisor's thresholds rest, are left as they are.

Training takes ~0.2 s for the ~1,000 texts of the content; scoring a question ~0.1 ms
(bench.components).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from typing import Callable, Dict, Iterable, List, Sequence, Tuple

import numpy

from bot.text import fold


class ContentRanker:
    """Scores every mission for a text, from 0 (least like it) to 1 (most like it)."""

    def __init__(self, examples: Iterable[Tuple[str, str]]) -> None:
        # scikit-learn comes with Rasa; imported here so that bot/ imports stay cheap.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union
        from sklearn.svm import LinearSVC

        texts, labels = [], []
        for mission_id, text in examples:
            if text and text.strip():
                texts.append(fold(text))
                labels.append(mission_id)
        self._vectorizer = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
            TfidfVectorizer(sublinear_tf=True),
        )
        self._model = LinearSVC(C=1.0, random_state=0)
        self._model.fit(self._vectorizer.fit_transform(texts), labels)
        self._classes: Sequence[str] = list(self._model.classes_)
        # scikit-learn's transform of one short text costs ~1 ms, mostly in building sparse
        # matrices: the same features are computed here from the fitted vocabularies, and only
        # the model's columns of the features present are multiplied. Both analyzers read a
        # folded text word by word (character n-grams within a word, words of two letters or
        # more), so a text's features are the sum of its words' features: each word's are
        # computed once and remembered, as officers reuse their words.
        self._parts: List[Tuple[Callable[[str], Dict[int, int]], numpy.ndarray, int]] = []
        offset = 0
        for _name, vectorizer in self._vectorizer.transformer_list:
            self._parts.append((_word_features(vectorizer), vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self._coef = self._model.coef_
        self._intercept = self._model.intercept_

    def decision(self, text: str) -> numpy.ndarray:
        """The model's decision value for each mission (as scikit-learn's decision_function)."""
        columns: List[int] = []
        values: List[float] = []
        words = text.split()
        for features_of, idf, offset in self._parts:
            counts: Dict[int, int] = {}
            for word in words:
                for column, count in features_of(word).items():
                    counts[column] = counts.get(column, 0) + count
            weights = {column: (1 + math.log(count)) * idf[column] for column, count in counts.items()}
            norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
            columns.extend(offset + column for column in weights)
            values.extend(weight / norm for weight in weights.values())
        if not columns:
            return self._intercept.copy()
        return self._coef[:, columns] @ numpy.array(values) + self._intercept

    def scores(self, text: str) -> Dict[str, float]:
        """Each mission's likeness to ``text``, scaled from 0 to 1."""
        values = self.decision(fold(text))
        low, high = float(min(values)), float(max(values))
        spread = (high - low) or 1.0
        pairs = zip(self._classes, values, strict=True)
        return {mission_id: (float(value) - low) / spread for mission_id, value in pairs}


def _word_features(vectorizer) -> Callable[[str], Dict[int, int]]:
    """One word's features in a fitted vectorizer's vocabulary, as {column: count}, memoised."""
    analyze, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_

    @lru_cache(maxsize=50_000)
    def features(word: str) -> Dict[int, int]:
        return dict(Counter(vocabulary[feature] for feature in analyze(word) if feature in vocabulary))

    return features
