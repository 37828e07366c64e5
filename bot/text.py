"""French text handling: normalisation and analysis into search terms."""

from __future__ import annotations

import gzip
import json
import re
import threading
import unicodedata
from collections import defaultdict
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

import snowballstemmer

# Bump when the analysis changes: the knowledge base's precomputed terms are then rebuilt.
ANALYSIS_VERSION = "4"
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
# Chat shorthand officers type (accent-free, lower case) → the words it stands for, so that
# « les assos ont pas le tps » is read with the words the knowledge base knows.
SHORTHANDS = {
    "asso": "association", "assos": "associations", "bcp": "beaucoup", "collab": "collaboration",
    "coop": "cooperation", "coops": "cooperations", "dispo": "disponibilite", "dispos": "disponibilites",
    "ds": "dans", "jms": "jamais", "mm": "meme", "mtn": "maintenant", "nvelle": "nouvelle",
    "nvelles": "nouvelles", "nveau": "nouveau", "nvx": "nouveaux", "pb": "probleme", "pbs": "problemes",
    "pbm": "probleme", "pr": "pour", "qd": "quand", "qqn": "quelqu un", "qqch": "quelque chose",
    "rdv": "rendez-vous", "reu": "reunion", "reus": "reunions", "tjs": "toujours", "tjrs": "toujours",
    "tps": "temps", "tt": "tout", "ts": "tous", "ttes": "toutes", "partenair": "partenaire",
    "partenairs": "partenaires", "financemts": "financements", "com-com": "communaute de communes",
    "subv": "subvention", "subvs": "subventions", "dept": "departement", "depts": "departements",
    "aap": "appel a projets", "info": "information", "infos": "informations", "orga": "organisation",
    "gouv": "gouvernance", "anim": "animation", "inge": "ingenierie", "techos": "techniciens",
    "prez": "president", "presidt": "president", "vp": "vice president", "eval": "evaluation",
    "strat": "strategie", "conv": "convention", "delib": "deliberation", "delibs": "deliberations",
    "mutu": "mutualisation", "ptet": "peut etre", "pdt": "pendant", "avc": "avec", "ac": "avec",
    "ki": "qui", "koi": "quoi", "kel": "quel", "kelle": "quelle", "kels": "quels", "kelles": "quelles",
    "pk": "pourquoi", "pq": "pourquoi", "jsp": "je ne sais pas", "chui": "je suis", "cmt": "comment",
}  # fmt: skip
_SHORTHAND_WORD = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, SHORTHANDS), key=len, reverse=True)) + r")\b")
# Snowball's French stemmer; with PyStemmer installed (requirements.txt) snowballstemmer hands
# out its C implementation: the same stems (checked on the 238,000 forms of the lemma tables),
# ~1.5 µs a word instead of ~0.1 ms. Neither object is thread-safe.
_STEMMER = snowballstemmer.stemmer("french")
_STEMMER_LOCK = threading.Lock()
_GLUED_JE = re.compile(r"^j[bcdfgklmnpqrstvwxz][a-z]{3,}$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^a-z0-9']+")


def _decompose(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# The Latin letters with diacritics that _decompose turns into plain ASCII, each replaced by
# that: one str.translate instead of a loop over every character of the text.
_LATIN = {
    code: _decompose(chr(code))
    for code in range(0xC0, 0x250)
    if _decompose(chr(code)) != chr(code) and _decompose(chr(code)).isascii()
}


def strip_accents(text: str) -> str:
    """Remove diacritics: "émergence" → "emergence", "œuvre" → "oeuvre"."""
    text = text.translate(_LATIN)
    return text if text.isascii() else _decompose(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of an accent-free word, with the project's corrections (STEM_OVERRIDES)."""
    if word in STEM_OVERRIDES:
        return STEM_OVERRIDES[word]
    with _STEMMER_LOCK:
        return _STEMMER.stemWord(word)


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form used to compare labels and phrases.

    Punctuation becomes a space, so "Élu / Technicien" and "elu technicien" fold alike.
    """
    text = strip_accents(text.translate(_APOSTROPHES)).lower()
    text = text.replace("...", " ").replace("…", " ")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


def plain(text: str) -> str:
    """fold() with elisions opened and chat shorthand written out, for matching words and
    phrases: « n'est » → « n est », « phase d'émergence » and « phase d emergence » alike,
    « ki porte » → « qui porte »."""
    return unabbreviate(fold(text).replace("'", " "))


def unabbreviate(folded: str) -> str:
    """A folded text with its chat shorthand (SHORTHANDS) written out."""
    return _SHORTHAND_WORD.sub(lambda match: SHORTHANDS[match.group(0)], folded)


class FrenchLemmas:
    """Lemmas of French word forms, read from dictionaries rather than guessed by a tagger.

    spaCy's French lemmatizer needs each word's part of speech, hence its neural tagger:
    about 1.5 ms a sentence, the whole cost of a search. The dictionaries of
    spacy-lookups-data give the same lemmas for nearly every word at the cost of a look-up.
    Where a form is also a verb form with another lemma ("pris": the noun and "prendre"),
    both lemmas are returned, so the search matches either reading. Forms typed without
    their accents ("mefient", "elus") are found through an accent-free copy of the table.
    """

    def __init__(self, forms: Dict[str, str], verb_forms: Dict[str, str]) -> None:
        self._forms = _with_accent_free_spellings(forms)
        self._verb_forms = _with_accent_free_spellings(verb_forms)

    @classmethod
    def load(cls) -> FrenchLemmas:
        """The French tables shipped by spacy-lookups-data (about 1 s and 110 MB to load)."""
        import spacy_lookups_data

        def table(name: str) -> dict:
            with gzip.open(spacy_lookups_data.get_file(name), "rt", encoding="utf-8") as stream:
                return json.load(stream)

        forms = {form: lemmas[0] for form, lemmas in table("fr_lemma_lookup.json.gz").items() if lemmas}
        verb_forms = {form: lemmas[0] for form, lemmas in table("fr_lemma_exc.json.gz")["verb"].items() if lemmas}
        return cls(forms, verb_forms)

    def of(self, word: str) -> List[str]:
        """Candidate lemmas of one word, most likely first; the word itself when unknown."""
        word = word.lower()
        lemma = self._forms.get(word) or word
        verb = self._verb_forms.get(word)
        return [lemma, verb] if verb and verb != lemma else [lemma]


def _with_accent_free_spellings(table: Dict[str, str]) -> Dict[str, str]:
    """``table`` plus each form's spelling without accents, where only one lemma has it."""
    by_spelling = defaultdict(set)
    for form, lemma in table.items():
        spelling = strip_accents(form)
        if spelling != form and spelling not in table:
            by_spelling[spelling].add(lemma)
    extended = dict(table)
    extended.update((spelling, lemmas.pop()) for spelling, lemmas in by_spelling.items() if len(lemmas) == 1)
    return extended


class FrenchAnalyzer:
    """Turns French text into search terms: lemmas, accent-free, stemmed.

    Words come from spaCy's French tokenizer (elisions, hyphens, numbers), lemmas from
    FrenchLemmas. Both are loaded on first use and shared by the threads of one process.
    """

    def __init__(self, tokenizer=None, lemmas: Optional[FrenchLemmas] = None) -> None:
        self._tokenizer = tokenizer
        self._lemmas = lemmas
        self._lock = threading.Lock()
        self.stem = stem
        # One message is looked at several times while deciding the answer (its clauses, its
        # size, the share of known words): it is tokenised once.
        self._analysed = lru_cache(maxsize=1024)(self._analyse)

    def _load(self) -> None:
        with self._lock:
            if self._tokenizer is None:
                import spacy

                self._tokenizer = spacy.blank("fr").tokenizer
            if self._lemmas is None:
                self._lemmas = FrenchLemmas.load()

    def terms(self, text: str) -> List[str]:
        """Search terms of a text, in order, without stop words or punctuation.

        A word with two readings ("pris": the noun, or the verb "prendre") gives both terms.
        """
        terms = []
        for lemmas, _surface in self._words(text):
            terms.extend(dict.fromkeys(self.stem(lemma) for lemma in lemmas))
        return terms

    def term_variants(self, text: str) -> List[List[str]]:
        """For each content word, its candidate terms: lemma stems first, then surface stem.

        The surface form helps where no lemma is known for a misspelt or informal word.
        """
        return [candidates for candidates, _surface in self.words(text)]

    def words(self, text: str) -> List[Tuple[List[str], str]]:
        """Each content word as (its candidate terms, its accent-free surface form)."""
        found = []
        for lemmas, surface in self._words(text):
            candidates = []
            for word in (*lemmas, surface):
                term = self.stem(word)
                if term not in candidates:
                    candidates.append(term)
            found.append((candidates, surface))
        return found

    def _words(self, text: str) -> Iterable[Tuple[List[str], str]]:
        """Content words as (accent-free lemmas, accent-free surface form)."""
        return [(list(lemmas), surface) for lemmas, surface in self._analysed(text)]

    def _analyse(self, text: str) -> Tuple[Tuple[Tuple[str, ...], str], ...]:
        return tuple((tuple(lemmas), surface) for lemmas, surface in self._tokenise(text))

    def _tokenise(self, text: str) -> Iterable[Tuple[List[str], str]]:
        if self._tokenizer is None or self._lemmas is None:
            self._load()
        text = text.translate(_APOSTROPHES)
        for token in self._tokenizer(text):
            if token.is_punct or token.is_space or token.like_num:
                continue
            surface = _word_form(token.text)
            if surface in SHORTHANDS:
                yield from self._tokenise(SHORTHANDS[surface])
                continue
            if _GLUED_JE.match(surface):  # « jpilote », « jcomprends » : no French word starts so
                yield from self._tokenise(surface[1:])
                continue
            if not surface or _is_stop_word(surface):
                continue
            lemmas = [_word_form(lemma) for lemma in self._lemmas.of(token.text)]
            lemmas = [lemma for lemma in lemmas if lemma] or [surface]
            if _is_stop_word(lemmas[0]) or len(lemmas[0]) < 2:
                continue
            yield lemmas, surface


@lru_cache(maxsize=65536)
def _word_form(word: str) -> str:
    """One word folded into a single accent-free piece: « aujourd'hui » → « aujourdhui »."""
    return fold(word).replace("'", "").replace(" ", "")


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
    """One shared analyzer per process (~5 s and ~210 MB to load, spaCy's import included)."""
    global _DEFAULT_ANALYZER
    if _DEFAULT_ANALYZER is None:
        with _DEFAULT_LOCK:
            if _DEFAULT_ANALYZER is None:
                _DEFAULT_ANALYZER = FrenchAnalyzer()
    return _DEFAULT_ANALYZER
