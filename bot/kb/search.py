"""In-memory ranking of missions for free French text.

The index is built once from the database rows (terms were computed at build time), so a
query costs one spaCy pass over the question plus dictionary look-ups.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Collection, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne

from bot.focus import clauses, kept_text
from bot.kb.queries import SearchRows
from bot.kb.ranker import ContentRanker
from bot.kb.records import MissionSummary, SearchHit
from bot.text import FrenchAnalyzer, fold, unabbreviate

SATURATION = 2.0  # BM25-style k: a term's weight in a mission saturates around this value
SNIPPET_BONUS = 4.0  # added when the question covers most of a situation, competence or keyword
SNIPPET_COVERAGE = 0.6
SNIPPET_QUERY_TERMS = 8  # beyond this many query terms the snippet bonus shrinks in proportion
PHASE_BOOST = 1.5
SNIPPET_KINDS_ORDER = {"situation": 0, "competence": 1, "map_label": 2, "title": 3, "keyword": 4}
MIN_PREFIX = 4
MIN_FUZZY = 6  # shorter words have too many neighbours one edit away ("crep" → "cre")
MIN_HIT_SCORE = 2.5  # below this, a single common word matched: not worth showing
# Added to a mission's relevance when the question covers its title or its label on the map:
# the officer named it (« comment lutter contre l'effet silo ? » is that mission, though another
# lists the same words among its competences). +1 first mission right on the spent sets' 726
# questions, +2 on probe's 139 (0.1 to 0.5 alike).
NAME_BONUS = 0.3
# Weight of the conversation so far (the mission and situation being discussed) in a query.
CONTEXT_WEIGHT = 0.4
_WORD = re.compile(r"\w+")
# Words that link a message's parts and say nothing of its topic: « par contre » is not a
# constraint (« contrainte »), « en fait » no fact.
_LINKERS = re.compile(r"\b(?:par contre|en revanche|en fait|du coup|quand meme|tout de meme)\b")
_HELP = re.compile(
    r"\b(?:besoin d aide|besoin d un coup de main|aidez moi|aide moi|aide svp|help|"
    r"(?:m|nous) (?:aider|aidez|aideriez|aiderais|aiderait)|"
    r"(?:tu|vous) (?:sais|savez) faire|sais tu faire|savez vous faire)\b"
)


@dataclass(frozen=True)
class Snippet:
    kind: str
    text: str
    terms: FrozenSet[str]
    weight: float = 0.0  # the sum of its terms' idf, the denominator of its coverage
    order: int = 0  # its rank among its mission's snippets: ties go to the first


class SearchIndex:
    def __init__(self, rows: SearchRows, analyzer: FrenchAnalyzer) -> None:
        self._analyzer = analyzer
        self.missions: Dict[str, MissionSummary] = {mission.id: mission for mission in rows.missions}
        self._order = {mission.id: position for position, mission in enumerate(rows.missions)}
        self._weights = rows.weights
        self._snippets = {
            mission_id: [Snippet(kind, text, frozenset(terms.split())) for kind, text, terms in items if terms]
            for mission_id, items in rows.snippets.items()
        }
        document_frequency: Dict[str, int] = {}
        for terms in self._weights.values():
            for term in terms:
                document_frequency[term] = document_frequency.get(term, 0) + 1
        count = max(len(self._weights), 1)
        self._idf = {term: math.log(1 + count / df) for term, df in document_frequency.items()}
        # term → the missions that have it, with its weight in each (missions in their order)
        self._postings: Dict[str, List[Tuple[str, float]]] = {}
        for mission_id, terms in self._weights.items():
            for term, weight in terms.items():
                if weight:
                    self._postings.setdefault(term, []).append((mission_id, weight))
        # Each mission's snippets by term, each with its idf total computed once; the order of
        # the snippets is kept, so ties are broken as before.
        self._snippets_by_term: Dict[str, Dict[str, List[Snippet]]] = {}
        for mission_id, snippets in self._snippets.items():
            for index, snippet in enumerate(snippets):
                snippet = Snippet(
                    snippet.kind, snippet.text, snippet.terms, sum(self._idf.get(t, 0.0) for t in snippet.terms), index
                )
                snippets[index] = snippet
                for term in snippet.terms:
                    self._snippets_by_term.setdefault(mission_id, {}).setdefault(term, []).append(snippet)
        # Typo tolerance compares a word with the known terms one edit away, so only with
        # terms of its length give or take one: the vocabulary is bucketed by length.
        by_length: Dict[int, List[str]] = {}
        for term in self._idf:
            by_length.setdefault(len(term), []).append(term)
        self._near: Dict[int, List[str]] = {
            size: sorted(term for near in (size - 1, size, size + 1) for term in by_length.get(near, ()))
            for size in range(MIN_FUZZY, max(by_length, default=0) + 2)
        }
        # Officers reuse the same words: a word's resolution is remembered.
        self._resolve = lru_cache(maxsize=50_000)(self._resolve_uncached)
        # Each phrase with the first of its words: a phrase can only be in a text that has
        # that word whole, so most patterns are never run.
        # The longest phrases first: a phrase's words are not read again by a shorter one, so
        # « com com » (communauté de communes) is not « com » (communication). A phrase's last
        # word may take the plural (« thunes » is « thune », « les pilotes » « pilote »).
        # A phrase of several content words (« passer le relais », not « qui fait quoi ») is
        # read through its meaning only: its own words are not search terms (_term_shares).
        self._synonyms: List[Tuple[str, re.Pattern, str, bool]] = []
        # Apostrophes are spaces on both sides: « d'autres coops » is found in a text already
        # read word by word (« d autres coops »).
        folded_synonyms = [(fold(phrase).replace("'", " "), meaning) for phrase, meaning in rows.synonyms]
        for folded, meaning in sorted(folded_synonyms, key=lambda pair: -len(pair[0])):
            words = _WORD.findall(folded)
            if words:
                pattern = re.compile(rf"\b{re.escape(folded)}[sx]?\b")
                self._synonyms.append((words[0], pattern, meaning, len(analyzer.words(folded)) > 1))
        self._meaning_terms: Dict[str, List[str]] = {}
        self._ranker = ContentRanker(
            [(mission_id, text) for mission_id, items in rows.snippets.items() for _kind, text, _terms in items]
            + [(mission.id, mission.summary) for mission in rows.missions]
        )

    def query_terms(self, text: str) -> List[str]:
        """The known index terms a question maps to, after synonyms, typos and elisions."""
        return list(self._term_shares(text))

    def _term_shares(self, text: str) -> Dict[str, float]:
        """Each query term with its share of a word: 1 for the officer's own words; a synonym
        that stands for n words of the map gives each 1/√n, unless the officer wrote it too.

        The words of a phrase of several content words that has a synonym count through its
        meaning only: « passer le relais » is handing over, not the « relais » (people to rely
        on) of another mission; « comité de pilotage » is not « pilotage »."""
        meanings, phrase_words = self._meanings(text)
        shares: Dict[str, float] = {}
        for candidates, surface in self._analyzer.words(text):
            term = None if surface in phrase_words else self._resolve(tuple(candidates))
            if term:
                shares[term] = 1.0
        for meaning in meanings:
            terms = self._terms_of_meaning(meaning)
            for term in terms:
                shares[term] = max(shares.get(term, 0.0), 1.0 / math.sqrt(len(terms)))
        return shares

    def content_terms(self, text: str, ignore: Collection[str] = ()) -> List[str]:
        """The known terms of a text, clause by clause, leaving out the words in ``ignore``
        (accent-free). Each clause is analysed once and the analysis is remembered, so
        deciding an answer never tokenises a message twice."""
        terms: List[str] = []
        for clause in clauses(text):
            for candidates, surface in self._analyzer.words(clause.text):
                term = None if surface in ignore else self._resolve(tuple(candidates))
                if term and term not in terms:
                    terms.append(term)
        return terms

    def word_count(self, text: str, ignore: Collection[str] = ()) -> int:
        """How many content words a text has, known to the knowledge base or not."""
        words = (surface for clause in clauses(text) for _candidates, surface in self._analyzer.words(clause.text))
        return sum(surface not in ignore for surface in words)

    def known_share(self, text: str) -> float:
        """The share of a text's content words that the knowledge base's vocabulary has as
        they are (no typo or prefix guess): low for a question about something else."""
        words = [variants for clause in clauses(text) for variants in self._analyzer.term_variants(clause.text)]
        if not words:
            return 0.0
        return sum(any(term in self._idf for term in candidates) for candidates in words) / len(words)

    def weighted_terms(self, text: str, context: str = "") -> Dict[str, float]:
        """The query's terms, each with the weight of the clause it comes from (bot.focus):
        a topic set aside counts for nothing, background less than the point made; terms of
        the ``context`` count for CONTEXT_WEIGHT unless the message itself has them.

        A synonym stands for the map's words it is given (« comité de pilotage » → « instances
        de décision gouvernance »): those count for as much as √n words, not n, unless the
        officer wrote them too. Otherwise the setting of a situation outweighed its point:
        « deux maires se disputent en comité de pilotage » led with the governance."""
        parts = [(clause.text, clause.weight) for clause in clauses(text)]
        if context:
            parts.append((context, CONTEXT_WEIGHT))
        weights: Dict[str, float] = {}
        for part, weight in parts:
            if weight <= 0:
                continue
            for term, share in self._term_shares(part).items():
                weights[term] = max(weights.get(term, 0.0), weight * share)
        return weights

    def search(self, text: str, limit: int = 5, phase_id: Optional[str] = None, context: str = "") -> List[SearchHit]:
        """Missions ranked by relevance to ``text`` (best first), with the text that matched.

        A hit's ``score`` is the search's own (what thresholds compare); the order also weighs
        the content classifier's opinion, so the first hit need not have the highest score.
        """
        query = self.weighted_terms(text, context)
        if not query:
            return []
        scores: Dict[str, float] = {}
        for term, importance in query.items():
            for mission_id, weight in self._postings.get(term, ()):
                gain = importance * self._idf[term] * weight * (SATURATION + 1) / (weight + SATURATION)
                scores[mission_id] = scores.get(mission_id, 0.0) + gain
        # In a long message one phrase of a mission is weaker evidence than in a short one.
        dilution = min(1.0, SNIPPET_QUERY_TERMS / len(query))
        hits = []
        for mission_id in self._weights:  # the missions' order, as ties are broken by it
            score = scores.get(mission_id, 0.0)
            if score <= 0:
                continue
            snippet, coverage = self._best_snippet(mission_id, query)
            if snippet is not None:
                score += SNIPPET_BONUS * coverage * dilution
            mission = self.missions[mission_id]
            if phase_id and mission.phase_id == phase_id:
                score *= PHASE_BOOST
            if score < MIN_HIT_SCORE:
                continue
            hits.append(
                SearchHit(
                    mission=mission,
                    score=round(score, 4),
                    matched=snippet.text if snippet else "",
                    matched_kind=snippet.kind if snippet else "",
                )
            )
        return self._rerank(text, hits, context)[:limit]

    def _rerank(self, text: str, hits: List[SearchHit], context: str = "") -> List[SearchHit]:
        """The missions found, best first: the search's score (relative to the best one) and
        the content classifier's opinion (bot.kb.ranker) count equally. The classifier reads
        the whole message but what it sets aside (bot.focus.kept_text): the background of a
        situation tells it what the question is about (+10 first missions right of 555 on the
        spent sets, against the focus clauses alone). It reads the conversation's context too:
        « et si le président refuse aussi ? » alone says little; after « personne ne veut être
        chef de file » it says a lot. A mission whose name the question covers gets a little
        more (NAME_BONUS)."""
        if not hits:
            return hits
        best = max(hit.score for hit in hits)
        likeness = self._ranker.scores(" ".join(part for part in (kept_text(text), context) if part))

        def relevance(hit: SearchHit) -> float:
            named = NAME_BONUS if hit.matched_kind in ("title", "map_label") else 0.0
            return hit.score / best + likeness.get(hit.mission.id, 0.0) + named

        return sorted(hits, key=lambda hit: (-relevance(hit), self._order[hit.mission.id]))

    def _best_snippet(self, mission_id: str, query: Dict[str, float]) -> Tuple[Optional[Snippet], float]:
        """The situation, competence or keyword the question covers best, and how strongly.

        Strength is the idf-weighted share of the snippet found in the question (each term
        counted with its weight in the query), scaled down when fewer than three terms match
        (one shared word is weak evidence).
        """
        best, best_strength = None, 0.0
        by_term = self._snippets_by_term.get(mission_id, {})
        candidates = {snippet.order: snippet for term in query if term in by_term for snippet in by_term[term]}
        for order in sorted(candidates):
            snippet = candidates[order]
            shared = snippet.terms & query.keys()
            total = snippet.weight
            coverage = sum(self._idf[term] * query[term] for term in shared) / total if total else 0.0
            if coverage < SNIPPET_COVERAGE:
                continue
            strength = coverage * min(len(shared), 3) / 3
            if strength > best_strength or (
                strength == best_strength and SNIPPET_KINDS_ORDER[snippet.kind] < SNIPPET_KINDS_ORDER[best.kind]
            ):
                best, best_strength = snippet, strength
        return best, best_strength

    def _resolve_uncached(self, candidates: Sequence[str]) -> Optional[str]:
        for candidate in candidates:
            if candidate in self._idf:
                return candidate
        for candidate in candidates:
            prefix = self._longest_known_prefix(candidate)
            if prefix:
                return prefix
        for candidate in candidates:
            if len(candidate) < MIN_FUZZY:
                continue
            near = self._near.get(len(candidate), ())
            match = extractOne(candidate, near, scorer=Levenshtein.distance, score_cutoff=1)
            if match:
                return match[0]
        return None

    def _longest_known_prefix(self, word: str) -> Optional[str]:
        """A conjugated or accent-less form whose stem is known: "mefient" → "mefi"."""
        for size in range(len(word) - 1, MIN_PREFIX - 1, -1):
            if size < 0.6 * len(word):
                break
            if word[:size] in self._idf:
                return word[:size]
        return None

    def _meanings(self, text: str) -> Tuple[List[str], Set[str]]:
        """The meanings of the synonyms a text has, and the words of those of several content
        words."""
        folded = unabbreviate(fold(text)).replace("'", " ")
        words = set(_WORD.findall(folded))
        words |= {word[:-1] for word in words if word[-1] in "sx"}  # a one-word phrase in the plural
        meanings: List[str] = []
        # « besoin d'aide », « aidez-moi », « tu peux m'aider » ask for help, and say nothing
        # of what about; « tu sais faire » asks what the assistant does, not for know-how.
        phrase_words: Set[str] = {
            word
            for pattern in (_HELP, _LINKERS)
            for match in pattern.finditer(folded)
            for word in _WORD.findall(match.group(0))
        }
        for first, pattern, meaning, consumes in self._synonyms:
            if first in words:
                found = [_WORD.findall(match.group(0)) for match in pattern.finditer(folded)]
                if found:
                    folded = pattern.sub(" ", folded)
                    meanings.append(meaning)
                    if consumes:
                        phrase_words.update(word for phrase in found for word in phrase)
        return meanings, phrase_words

    def _terms_of_meaning(self, meaning: str) -> List[str]:
        if meaning not in self._meaning_terms:
            self._meaning_terms[meaning] = [term for term in self._analyzer.terms(meaning) if term in self._idf]
        return self._meaning_terms[meaning]
