"""French text handling: normalisation and analysis into search terms."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Iterable, List, Optional

import snowballstemmer

SPACY_MODEL = "fr_core_news_sm"
# Bump when the analysis changes: the knowledge base's precomputed terms are then rebuilt.
ANALYSIS_VERSION = "2"
# Lemmas the Snowball stemmer over-merges: "communication" and "commune" would both become
# "commun" (common), and "couverture" would become a near neighbour of "ouverture".
STEM_OVERRIDES = {
    "communication": "communic",
    "communiquer": "communic",
    "communicant": "communic",
    "commune": "commune",
    "communal": "commune",
    "intercommunal": "intercommunal",
}
# Components not needed for lemmas: dropping them keeps analysis near one millisecond.
_EXCLUDED_COMPONENTS = ["parser", "ner", "senter"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^a-z0-9']+")


def strip_accents(text: str) -> str:
    """Remove diacritics: "émergence" → "emergence", "œuvre" → "oeuvre"."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form used to compare labels and phrases.

    Punctuation becomes a space, so "Élu / Technicien" and "elu technicien" fold alike.
    """
    text = strip_accents(text.translate(_APOSTROPHES)).lower()
    text = text.replace("...", " ").replace("…", " ")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


class FrenchAnalyzer:
    """Turns French text into search terms: spaCy lemmas, accent-free, stemmed.

    spaCy is loaded on first use and shared by the threads of one process.
    """

    def __init__(self, nlp=None) -> None:
        self._nlp = nlp
        self._lock = threading.Lock()
        self._stemmer = snowballstemmer.stemmer("french")
        # Snowball is pure Python (~0.1 ms a word) and officers reuse the same words: memoise.
        self.stem = lru_cache(maxsize=50_000)(self._stem)

    @property
    def nlp(self):
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    import spacy

                    self._nlp = spacy.load(SPACY_MODEL, exclude=_EXCLUDED_COMPONENTS)
        return self._nlp

    def _stem(self, word: str) -> str:
        """Stem one accent-free word."""
        return STEM_OVERRIDES.get(word) or self._stemmer.stemWord(word)

    def terms(self, text: str) -> List[str]:
        """Search terms of a text, in order, without stop words or punctuation."""
        return list(self._terms(text))

    def term_variants(self, text: str) -> List[List[str]]:
        """For each content word, its candidate terms: lemma stem first, then surface stem.

        The surface form helps where spaCy misses the lemma of an accent-less word
        ("mefient" is not recognised as a form of "méfier").
        """
        variants = []
        for lemma, surface in self._words(text):
            candidates = [self.stem(lemma)]
            surface_stem = self.stem(surface)
            if surface_stem not in candidates:
                candidates.append(surface_stem)
            variants.append(candidates)
        return variants

    def _terms(self, text: str) -> Iterable[str]:
        for lemma, _surface in self._words(text):
            yield self.stem(lemma)

    def _words(self, text: str) -> Iterable[tuple]:
        text = text.translate(_APOSTROPHES)
        for token in self.nlp(text):
            if token.is_punct or token.is_space or token.like_num:
                continue
            surface = fold(token.text).replace("'", "")
            lemma = fold(token.lemma_).replace("'", "") or surface
            if not surface or _is_stop_word(surface) or _is_stop_word(lemma):
                continue
            if len(lemma) < 2:
                continue
            yield lemma.replace(" ", ""), surface.replace(" ", "")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset:
    from spacy.lang.fr.stop_words import STOP_WORDS

    # Words that carry meaning for a cooperation officer although spaCy lists them as stop words.
    kept = {
        "personne",
        "ensemble",
        "seul",
        "seule",
        "seuls",
        "seules",
        "faire",
        "fais",
        "fait",
        "parler",
        "parle",
        "parlent",
        "parlons",
        "parlez",
        "dire",
        "dit",
        "dis",
        "nouveau",
        "nouvelle",
        "nouveaux",
        "nouvelles",
        "differentes",
        "différentes",
    }
    # Auxiliaries and question words that say nothing about the situation.
    added = {
        "vouloir",
        "pouvoir",
        "devoir",
        "falloir",
        "aller",
        "comment",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "bonjour",
        "svp",
        "merci",
        "ok",
    }
    return frozenset(fold(word) for word in (STOP_WORDS - kept) | added)


def _is_stop_word(word: str) -> bool:
    return word in _stop_words()


_DEFAULT_ANALYZER: Optional[FrenchAnalyzer] = None
_DEFAULT_LOCK = threading.Lock()


def default_analyzer() -> FrenchAnalyzer:
    """One shared analyzer per process (the spaCy model costs ~3 s and ~100 MB to load)."""
    global _DEFAULT_ANALYZER
    if _DEFAULT_ANALYZER is None:
        with _DEFAULT_LOCK:
            if _DEFAULT_ANALYZER is None:
                _DEFAULT_ANALYZER = FrenchAnalyzer()
    return _DEFAULT_ANALYZER
