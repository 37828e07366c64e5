"""The facade the actions call: plain records in, plain records out."""

from __future__ import annotations

import logging
import threading
import time
from typing import Collection, List, Optional, Sequence

from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import sessionmaker

from bot.kb import queries
from bot.kb.db import make_engine, make_session_factory
from bot.kb.loader import DIGEST_KEY
from bot.kb.models import MetaRow
from bot.kb.phase_names import PhaseMatch, PhaseNames
from bot.kb.records import DiagnosticRules, Mission, MissionSummary, Phase, SearchHit, Suggestion
from bot.kb.search import SearchIndex
from bot.text import FrenchAnalyzer, default_analyzer, plain

# A hit must reach this score, and this share of the best hit's, to be suggested.
MIN_SUGGESTION_SCORE = 2.0
RELATIVE_SUGGESTION_SCORE = 0.35

# Longer questions are cut before analysis: a situation is described in far fewer words, and
# spaCy's cost grows with the text.
MAX_QUERY_CHARS = 2000

# How often, at most, a process asks the database whether the content was rebuilt (a trainer
# published from the review console): the search caches are then dropped and rebuilt.
RELOAD_CHECK_SECONDS = 1.0

logger = logging.getLogger(__name__)

REASON_SITUATION = "Vous décrivez une situation typique de cette mission : « {text} »."
REASON_MATCH = "Votre question rejoint « {text} », au cœur de cette mission."
REASON_SUMMARY = "Cette mission répond à ce que vous décrivez : {summary}"
REASON_PHASE = "Mission clé de la phase « {phase} »."
REASON_NEXT = "Étape qui suit habituellement « {title} »."


class KnowledgeBaseUnavailable(RuntimeError):
    """The database has not been built or cannot be read."""


class KnowledgeBase:
    """Queries over the missions and competences of a cooperation officer.

    Missions are read from the database at each call; what is computed from the whole content
    (the search index and its ranker, the phases' terms) is cached, and dropped when the
    content digest the loader stores changes: a knowledge base rebuilt while the process runs
    is used without a restart, at most ``reload_seconds`` later.
    """

    def __init__(
        self,
        session_factory: sessionmaker,
        analyzer: Optional[FrenchAnalyzer] = None,
        reload_seconds: float = RELOAD_CHECK_SECONDS,
        clock=time.monotonic,
    ) -> None:
        self._session_factory = session_factory
        self._analyzer = analyzer
        self._index: Optional[SearchIndex] = None
        self._phase_terms: dict = {}
        self._names: Optional[PhaseNames] = None
        self._lock = threading.Lock()
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._digest: Optional[str] = None
        self._next_check = float("-inf")
        self._check_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: Optional[str] = None, analyzer: Optional[FrenchAnalyzer] = None) -> KnowledgeBase:
        """Open the knowledge base at ``url`` (default: ``KB_DATABASE_URL`` or the SQLite file)."""
        return cls(make_session_factory(make_engine(url)), analyzer)

    def list_phases(self, include_transversal: bool = False) -> List[Phase]:
        """The four phases in order; with ``include_transversal`` the transversal group too."""
        return self._read(queries.list_phases, include_transversal)

    def get_phase(self, phase_id: str) -> Optional[Phase]:
        return self._read(queries.get_phase, phase_id)

    def find_phase(self, text: str) -> Optional[Phase]:
        """The phase a text names (id, label or an officer's word for it), or ``None``."""
        match = self.match_phase(text)
        return match.phase if match else None

    def match_phase(self, text: str) -> Optional[PhaseMatch]:
        """The phase a text names, and the words that name it (bot.kb.phase_names).

        Names are first looked for in the officer's words, the longest found winning
        ("missions transversales" beats "transversal"; « avant de se lancer » is « avant de
        lancer »); then one-word names by their term, so that « on démarre tout juste » finds
        the alias « démarrer » (a longer name, such as « fin du projet », is not matched term
        by term: « projet » alone names no phase).
        """
        if not plain(text).strip():
            return None
        match = self._phase_names().match(text)
        if match is not None:
            return match
        terms = set(self._analyzer_terms(text))
        best, best_size = None, 0
        for phase in self.list_phases(include_transversal=True):
            for alias_terms in self._alias_terms(phase):
                if alias_terms and alias_terms <= terms and len(alias_terms) > best_size:
                    best, best_size = (phase, alias_terms), len(alias_terms)
        if best is None:
            return None
        phase, alias_terms = best
        words = plain(text).split()
        found = self._analyzer_words(text)
        surface = next((surface for candidates, surface in found if alias_terms & set(candidates)), "")
        start = words.index(surface) if surface in words else 0
        return PhaseMatch(phase, start, start + 1, best_size)

    def _phase_names(self) -> PhaseNames:
        self._drop_stale_caches()
        if self._names is None:
            self._names = PhaseNames(self.list_phases(include_transversal=True))
        return self._names

    def _alias_terms(self, phase: Phase) -> List[frozenset]:
        self._drop_stale_caches()
        if phase.id not in self._phase_terms:
            names = (name for name in (phase.label, *phase.aliases) if len(name.split()) == 1)
            self._phase_terms[phase.id] = [frozenset(self._analyzer_terms(name)) for name in names]
        return self._phase_terms[phase.id]

    def _analyzer_terms(self, text: str) -> List[str]:
        return (self._analyzer or default_analyzer()).terms(text[:MAX_QUERY_CHARS])

    def _analyzer_words(self, text: str):
        return (self._analyzer or default_analyzer()).words(text[:MAX_QUERY_CHARS])

    def list_missions(self, phase_id: Optional[str] = None, top_level: bool = False) -> List[MissionSummary]:
        """Missions of a phase (or all) in map order; ``top_level`` leaves out sub-missions."""
        return self._read(queries.list_missions, phase_id, top_level)

    def get_mission(self, mission_id: str) -> Optional[Mission]:
        """A mission with its competences, advice, pitfalls, example and links, or ``None``."""
        return self._read(queries.get_mission, mission_id)

    def list_first_steps(self, mission_ids: Sequence[str]) -> List[str]:
        """The first "how" step of each mission, in the order given, in one read ("" for an
        unknown id)."""
        return self._read(queries.list_first_steps, list(mission_ids)) if mission_ids else []

    def get_diagnostic_rules(self) -> DiagnosticRules:
        """What the diagnostic's answers add to its plan (knowledge/diagnostic.yml).

        Raises:
            KnowledgeBaseUnavailable: the database was built without them (by older code).
        """
        rules = self._read(queries.get_diagnostic_rules)
        if rules is None:
            raise KnowledgeBaseUnavailable(
                "La base de connaissances n'a pas les règles du diagnostic : lancez « python -m bot.kb build »."
            )
        return rules

    def find_missions(
        self, text: str, limit: int = 5, phase_id: Optional[str] = None, context: str = ""
    ) -> List[SearchHit]:
        """Missions ranked by relevance to free French text, best first.

        ``context`` is the conversation a short message continues (bot.kb.search weighs it
        below the message itself).
        """
        if not text or not text.strip():
            return []
        return self._search_index().search(
            text[:MAX_QUERY_CHARS], limit=limit, phase_id=phase_id, context=context[:MAX_QUERY_CHARS]
        )

    def content_terms(self, text: str, ignore: Collection[str] = ()) -> List[str]:
        """The search terms a text carries (stop words, punctuation, numbers and the
        accent-free words in ``ignore`` left out)."""
        return self._search_index().content_terms(text[:MAX_QUERY_CHARS], ignore) if text and text.strip() else []

    def word_count(self, text: str, ignore: Collection[str] = ()) -> int:
        """How many content words a text has (stop words and the words in ``ignore`` left
        out), whether the knowledge base knows them or not."""
        return self._search_index().word_count(text[:MAX_QUERY_CHARS], ignore) if text and text.strip() else 0

    def known_share(self, text: str) -> float:
        """The share of a text's content words the knowledge base knows (0 to 1)."""
        return self._search_index().known_share(text[:MAX_QUERY_CHARS]) if text and text.strip() else 0.0

    def suggest_next_steps(
        self, text: Optional[str] = None, phase_id: Optional[str] = None, limit: int = 4
    ) -> List[Suggestion]:
        """An ordered short list of missions for a situation, each with the reason it was chosen."""
        hits = self.find_missions(text or "", limit=limit * 2, phase_id=phase_id)
        return self.suggestions(hits, phase_id=phase_id, limit=limit)

    def suggestions(
        self, hits: Sequence[SearchHit], phase_id: Optional[str] = None, limit: int = 4, keep_all: bool = False
    ) -> List[Suggestion]:
        """Search hits as suggestions, each with the reason it was chosen.

        Hits far below the best one are left out (unless ``keep_all``); the usual next step of
        the best mission and the key missions of the phase complete a list that would
        otherwise hold fewer than two.
        """
        suggestions: List[Suggestion] = []
        if hits:
            best = max(hit.score for hit in hits)
            floor = 0.0 if keep_all else max(MIN_SUGGESTION_SCORE, best * RELATIVE_SUGGESTION_SCORE)
            for hit in hits:
                if hit.score >= floor and len(suggestions) < limit:
                    suggestions.append(Suggestion(hit.mission, _reason(hit), hit.score))
        if keep_all:
            return suggestions
        if suggestions and len(suggestions) < 2:
            best = self.get_mission(suggestions[0].mission.id)
            if best and best.next:
                suggestions.append(Suggestion(best.next, REASON_NEXT.format(title=best.title), 0.0))
        if phase_id and len(suggestions) < 2:
            phase = self.get_phase(phase_id)
            chosen = {suggestion.mission.id for suggestion in suggestions}
            for mission in self.list_missions(phase_id, top_level=True):
                if len(suggestions) >= min(limit, 3):
                    break
                if mission.id not in chosen:
                    suggestions.append(Suggestion(mission, REASON_PHASE.format(phase=phase.label), 0.0))
        return suggestions[:limit]

    def warm_up(self) -> None:
        """Load spaCy and the search index, and run one search, now rather than on the first
        question (spaCy's first analysis alone takes about a second)."""
        self._search_index().search("identifier un chef de file")

    def _drop_stale_caches(self) -> None:
        """Forget the caches if the content was rebuilt since they were computed; the database
        is asked at most once every ``reload_seconds`` (one primary-key read)."""
        now = self._clock()
        if now < self._next_check or not self._check_lock.acquire(blocking=False):
            return  # checked recently, or another thread is checking right now
        try:
            self._next_check = now + self._reload_seconds
            try:
                digest = self._read(_content_digest)
            except KnowledgeBaseUnavailable:
                return  # the next read says so; the caches stay until the base is readable
            if digest != self._digest:
                if self._digest is not None:
                    logger.info("Base de connaissances reconstruite : index de recherche rechargé.")
                with self._lock:
                    self._index = None
                    self._phase_terms = {}
                    self._names = None
                self._digest = digest
        finally:
            self._check_lock.release()

    def _search_index(self) -> SearchIndex:
        self._drop_stale_caches()
        if self._index is None:
            with self._lock:
                if self._index is None:
                    rows = self._read(queries.load_search_rows)
                    if not rows.missions:
                        raise KnowledgeBaseUnavailable(
                            "La base de connaissances est vide : lancez « python -m bot.kb build »."
                        )
                    self._index = SearchIndex(rows, self._analyzer or default_analyzer())
        return self._index

    def _read(self, query, *args):
        try:
            with self._session_factory() as session:
                return query(session, *args)
        except DatabaseError as error:  # missing tables, corrupt file, unreachable server
            raise KnowledgeBaseUnavailable(
                "La base de connaissances est illisible ou n'a pas été construite : lancez « python -m bot.kb build »."
            ) from error


def _content_digest(session) -> str:
    row = session.get(MetaRow, DIGEST_KEY)
    return row.value if row else ""


def _reason(hit: SearchHit) -> str:
    if hit.matched_kind == "situation":
        return REASON_SITUATION.format(text=hit.matched)
    if hit.matched:
        return REASON_MATCH.format(text=hit.matched)
    return REASON_SUMMARY.format(summary=hit.mission.summary)
