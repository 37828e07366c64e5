"""A linear model over a French text's character n-grams and words, fast on one message.

Two models of the assistant read free text this way: the content ranker (bot.kb.ranker: which
mission a question resembles) and the relevance filter (components.relevance: is a message
about the officer's work at all?). Both are fitted with scikit-learn (TF-IDF of character
n-grams within words and of words, then a linear estimator); scoring one message does not go
through scikit-learn, whose transform of one short text costs ~1 ms in building sparse
matrices. Both analyzers read a folded text word by word, so a text's features are the sum of
its words' features: each word's are computed once and remembered, as officers reuse their
words. The model is a few arrays and two vocabularies, stored as JSON (no pickle).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy

# (analyzer, n-gram range) of the two feature families.
FEATURES = (("char_wb", (3, 5)), ("word", (1, 1)))


class LinearTextModel:
    """Decision values of a fitted linear estimator for a folded text, one per class (one
    value in all for two classes, positive for the second class, as scikit-learn's)."""

    def __init__(
        self,
        classes: Sequence[Any],
        vocabularies: Sequence[Dict[str, int]],
        idfs: Sequence[numpy.ndarray],
        coef: numpy.ndarray,
        intercept: numpy.ndarray,
    ) -> None:
        self.classes = list(classes)
        self._vocabularies = list(vocabularies)
        self._idfs = list(idfs)
        self._coef = coef
        self._intercept = intercept
        self._offsets = []
        offset = 0
        for vocabulary in self._vocabularies:
            self._offsets.append(offset)
            offset += len(vocabulary)
        self._features = [self._word_features(index) for index in range(len(self._vocabularies))]

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[Any], estimator) -> LinearTextModel:
        """Fit ``estimator`` (a scikit-learn linear classifier) on folded ``texts``."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union

        vectorizer = make_union(
            *(
                TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True)
                for analyzer, ngrams in FEATURES
            )
        )
        estimator.fit(vectorizer.fit_transform(texts), labels)
        parts = [part for _name, part in vectorizer.transformer_list]
        return cls(
            estimator.classes_,
            [{feature: int(column) for feature, column in part.vocabulary_.items()} for part in parts],
            [part.idf_ for part in parts],
            estimator.coef_,
            estimator.intercept_,
        )

    def decision(self, text: str) -> numpy.ndarray:
        """The estimator's decision values for a folded text (scikit-learn's decision_function,
        as an array of one value per class, or of one value for two classes)."""
        columns: List[int] = []
        values: List[float] = []
        words = text.split()
        for features_of, idf, offset in zip(self._features, self._idfs, self._offsets, strict=True):
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

    def _word_features(self, index: int) -> Callable[[str], Dict[int, int]]:
        """One word's features in one family, as {column: count}, memoised."""
        analyzer, ngrams = FEATURES[index]
        vocabulary = self._vocabularies[index]
        analyze = _analyzer(analyzer, ngrams)

        @lru_cache(maxsize=50_000)
        def features(word: str) -> Dict[int, int]:
            return dict(Counter(vocabulary[feature] for feature in analyze(word) if feature in vocabulary))

        return features

    def to_json(self) -> Dict[str, Any]:
        return {
            "classes": [_plain(label) for label in self.classes],
            "vocabularies": self._vocabularies,
            "idfs": [idf.tolist() for idf in self._idfs],
            "coef": self._coef.tolist(),
            "intercept": self._intercept.tolist(),
        }

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> LinearTextModel:
        return cls(
            data["classes"],
            data["vocabularies"],
            [numpy.array(idf) for idf in data["idfs"]],
            numpy.array(data["coef"]),
            numpy.array(data["intercept"]),
        )


def _analyzer(analyzer: str, ngrams: Tuple[int, int]) -> Callable[[str], List[str]]:
    """scikit-learn's own analyzer for these settings (lower case, default token pattern)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams).build_analyzer()


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON can hold."""
    return value.item() if hasattr(value, "item") else value
