"""A second opinion on which mission a question is about, learnt from the content itself.

The search (bot.kb.search) adds up the weights of the terms a question shares with each
mission: precise when the officer uses the map's words, weaker when they paraphrase. This
classifier is trained, when the search index is built, on each mission's own texts (title,
map label, summary, competences, situations, keywords, and the officers' questions kept for it
alone): character n-grams and words, a linear SVM (bot.textmodel). It sees that « passer le
relais » resembles « transmettre le dossier » without a synonym list. It never decides alone:
it re-orders the missions the search found (bot.kb.search), and the search's scores, on which
the advisor's thresholds rest, are left as they are.

Training takes ~0.5 s for the ~1,600 texts of the content; scoring a question ~0.1 ms
(bench.components).
"""

from __future__ import annotations

from typing import Dict, Iterable, Tuple

import numpy

from bot.text import fold
from bot.textmodel import LinearTextModel


class ContentRanker:
    """Scores every mission for a text, from 0 (least like it) to 1 (most like it)."""

    def __init__(self, examples: Iterable[Tuple[str, str]]) -> None:
        # scikit-learn comes with Rasa; imported here so that bot/ imports stay cheap.
        from sklearn.svm import LinearSVC

        texts, labels = [], []
        for mission_id, text in examples:
            if text and text.strip():
                texts.append(fold(text))
                labels.append(mission_id)
        self._model = LinearTextModel.fit(texts, labels, LinearSVC(C=1.0, random_state=0))

    def decision(self, text: str) -> numpy.ndarray:
        """The model's decision value for each mission (as scikit-learn's decision_function)."""
        return self._model.decision(text)

    def scores(self, text: str) -> Dict[str, float]:
        """Each mission's likeness to ``text``, scaled from 0 to 1."""
        values = self.decision(fold(text))
        low, high = float(min(values)), float(max(values))
        spread = (high - low) or 1.0
        pairs = zip(self._model.classes, values, strict=True)
        return {mission_id: (float(value) - low) / spread for mission_id, value in pairs}
