"""The knowledge-gap report: the messages the assistant handled badly, grouped into themes.

A user message is *handled badly* when one of these signals is found in the index
(``review_turns``) for it and for the bot turns that answer it, up to the next user message:

- ``fallback``: the NLU did not understand it (``nlu_fallback``, FallbackClassifier at 0.3 in
  config.yml) or the core fell back (``action_default_fallback`` / two-stage).
- ``low_confidence``: another intent, but below the threshold (0.5 by default: the
  console's own red mark in the list and the transcript; between 0.3 and 0.5 the
  FallbackClassifier lets the intent through).
- ``out_of_scope``: read as out of scope (intent ``out_of_scope`` or the response
  ``utter_out_of_scope``) although the message holds a word or phrase of the knowledge base
  (a mission keyword or title, a phase label, an officers' synonym), compared by Snowball
  stem so that « élus » meets « élu ». The phrases are precomputed (``Vocabulary``): no spaCy.
- ``annotated``: a trainer annotated the message or its answer « réponse incomplète » or
  « réponse inexacte » (annotations marked « résolu » no longer count).
- ``did_you_mean_ignored``: the answer was « Vouliez-vous parler de l'une de ces missions ? »
  (``utter_did_you_mean``) and the next message took none of the buttons: not the payload of
  one, not a mission entity or title of one, not a rank (« la deuxième ») that the assistant
  resolved to one. A conversation that stops there counts as not followed (the officer left).
- ``no_answer``: the assistant asked to rephrase or found no mission (``utter_ask_rephrase``,
  ``utter_default``, ``utter_no_suggestion``).

A message answered by a form (the diagnostic reads its answers with slot mappings, not with
the intent) is not judged on its intent: only annotations count for it.

Themes: a message goes to its *nearest mission*, the first mission cited by the answer (the
missions a turn sets in ``current_mission`` / ``last_missions``: the mission shown, or the first
suggestion), else the mission named in the message. The others "match no mission"; they are
grouped by the significant words and pairs of words they share (stop words removed, stems
compared), the most shared first, greedily: a message joins the first theme whose term it
holds; what shares no term with another message ends in « Autres questions ».

Everything is read in one streamed pass over the turns of the period's conversations (in
the order of the index on conversation and position). The bot turns' messages are tested in
SQL and fetched only when they matter; a message is ruled out on its columns before any JSON
is decoded; examples and their answers are read last, for the themes' five examples only.
Functions take an open session first and return frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import heapq
import json
import logging
import re
import threading
import time
from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import yaml
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from bot.names import FALLBACK_ACTIONS, FALLBACK_INTENT, MISSION_ENTITY, OUT_OF_SCOPE_INTENT
from bot.review.display import DOMAIN
from bot.review.models import Annotation, Conversation, Turn
from bot.review.queries import day_start, local_zone
from bot.text import plain, stem

logger = logging.getLogger(__name__)

# The console marks confidences below 0.5 in red (list and transcript): the same default here.
LOW_CONFIDENCE = 0.5
# Responses of domain.yml that say the assistant could not help (test_gaps checks they exist).
DID_YOU_MEAN_RESPONSE = "utter_did_you_mean"
OUT_OF_SCOPE_RESPONSE = "utter_out_of_scope"
NO_ANSWER_RESPONSES = ("utter_ask_rephrase", "utter_default", "utter_no_suggestion")
RESPONSES = (DID_YOU_MEAN_RESPONSE, OUT_OF_SCOPE_RESPONSE, *NO_ANSWER_RESPONSES)
# Annotation reasons that say the answer itself was wrong (bot.review.annotations.REASONS).
ANSWER_REASONS = ("incomplete", "inaccurate")
RESOLVED_STATE = "resolved"

FALLBACK = "fallback"
LOW_CONFIDENCE_SIGNAL = "low_confidence"
OUT_OF_SCOPE = "out_of_scope"
ANNOTATED = "annotated"
DID_YOU_MEAN_IGNORED = "did_you_mean_ignored"
NO_ANSWER = "no_answer"
SIGNALS = {
    FALLBACK: "repli (question non comprise)",
    LOW_CONFIDENCE_SIGNAL: "confiance faible",
    OUT_OF_SCOPE: "hors périmètre malgré un mot du domaine",
    ANNOTATED: "annotée « réponse incomplète » ou « inexacte »",
    DID_YOU_MEAN_IGNORED: "« vouliez-vous dire » sans suite",
    NO_ANSWER: "sans réponse (reformulation demandée, aucune mission trouvée)",
}

EXAMPLES = 5
MIN_THEME = 2  # a shared term makes a theme from this many messages
PAIR_WEIGHT = 1.5  # a pair of words shared by n messages weighs like a word shared by 1.5 n
MAX_TERM_THEMES = 30  # beyond, the messages go to « Autres questions »
OTHER_THEME = "autres"
EXCERPT = 200
PARTITION_ROWS = 5000

# Function words and the officers' conversational fillers: they make no theme. Folded, as
# ``plain`` gives them. A list of our own: spaCy's (bot.text) costs a 4-second import and
# ~200 MB in the web server, which never loads spaCy otherwise.
STOP_WORDS = frozenset(
    """
    a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais
    aurait auras aurez auriez aurons auront aussi autre autres aux avaient avais avait avant
    avec avez aviez avions avoir avons ayant bah ben bien bon bonjour bonsoir c ca car ce ceci
    cela celle celles celui cependant certain certaine certains ces cet cette ceux chacun
    chaque chez ci combien comme comment contre cours d dans de dela depuis des desquelles desquels dessus
    deux devoir devons dit doit donc dont du duquel elle elles en encore entre es est et etaient
    etais etait etant etc ete etes etiez etions etre eu eux fais fait faire faut falloir fois
    font hein hors i ici il ils j je jusqu jusque l la laquelle le lequel les lesquelles
    lesquels leur leurs lors lui m ma mais me meme memes merci mes moi moins mon n ne ni non
    nos notre nous o oh ok on ont ou oui par parce pas peu peut peuvent peux plus plusieurs
    pour pourquoi pourrais pourrait pouvez pouvoir puis puisque qu quand que quel quelle
    quelles quels qui quoi s sa sans se sera serait ses si sien sienne soi soit sommes son
    sont sous souvent suis sur svp t ta te tes toi ton toujours tous tout toute toutes tres
    trop tu un une unes uns v va vais vas veut veux voici voila vont vos votre voudrais
    vouloir voulons vous vu y
    aide aider besoin chose choses question questions savoir sais sait dire donner truc
    """.split()
)


def significant_words(text: str, folded: Optional[str] = None) -> List[Tuple[int, str, str]]:
    """``(position, word, stem)`` of the words that say something: folded, elisions opened,
    stop words, numbers and one- or two-letter words left out. ``folded`` is ``fold(text)``
    when known (the index keeps it): folding is the costly part."""
    words = (plain(text) if folded is None else folded.replace("'", " ")).split()
    return [
        (position, word, stem(word))
        for position, word in enumerate(words)
        if len(word) > 2 and word not in STOP_WORDS and not word.isdigit()
    ]


class Vocabulary:
    """Words and phrases of the knowledge base, each kept as the set of stems of its
    significant words: a message holds one when it holds all of its stems (« temps fort »
    needs both words, so « quel temps fera-t-il » stays out of scope)."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        by_stem: Dict[str, Set[FrozenSet[str]]] = defaultdict(set)
        for text in texts:
            phrase = frozenset(word_stem for _, _, word_stem in significant_words(text))
            if phrase:
                by_stem[min(phrase)].add(phrase)
        self._by_stem = {word_stem: tuple(phrases) for word_stem, phrases in by_stem.items()}

    def __bool__(self) -> bool:
        return bool(self._by_stem)

    def __len__(self) -> int:
        return sum(len(phrases) for phrases in self._by_stem.values())

    def found_in(self, text: str, folded: Optional[str] = None) -> bool:
        """Whether the text holds one of the words or phrases."""
        stems = {word_stem for _, _, word_stem in significant_words(text, folded)}
        return any(phrase <= stems for word_stem in stems for phrase in self._by_stem.get(word_stem, ()))


_NON_WORD = re.compile(r"[\W_]+")
_TITLE_PARTS = re.compile(r"\b(?:et|ou)\b")
_INFINITIVE = re.compile(r"(?:er|ir|re)$")


def title_phrases(title: str) -> List[str]:
    """What a mission title is about, without its verbs: « Identifier un chef de file » gives
    « un chef de file », « Connaître les publics et les acteurs concernés » gives « les
    publics » and « les acteurs concernés ». A whole title is never written by an officer."""
    phrases = []
    for part in _TITLE_PARTS.split(plain(title)):
        words = significant_words(part)
        if words and _INFINITIVE.search(words[0][1]):
            words = words[1:]
        if words:
            phrases.append(" ".join(word for _, word, _ in words))
    return phrases


def read_vocabulary(url: Optional[str] = None) -> Vocabulary:
    """Vocabulary of the published knowledge base (``KB_DATABASE_URL``): mission keywords and
    the nouns of mission titles, phase labels, the officers' synonyms. Descriptions, map labels, example
    situations and phase aliases are left out: their everyday words (« vivre », « on démarre »)
    would put any message in scope."""
    from bot.kb.db import make_engine, make_session_factory
    from bot.kb.models import SynonymRow
    from bot.kb.service import KnowledgeBase

    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        kb = KnowledgeBase(factory)
        texts: List[str] = []
        for summary in kb.list_missions():
            mission = kb.get_mission(summary.id)
            if mission is not None:
                texts.extend((*title_phrases(mission.title), *mission.keywords))
        texts.extend(phase.label for phase in kb.list_phases(include_transversal=True))
        with factory() as session:
            texts.extend(session.execute(select(SynonymRow.phrase)).scalars())
        return Vocabulary(texts)
    finally:
        engine.dispose()


class KnowledgeVocabulary:
    """The vocabulary, read again at most every ``ttl`` seconds (a mission published from the
    console is taken into account within a minute, without restart); empty while the
    knowledge base cannot be read (the report then simply finds no in-scope word)."""

    def __init__(self, read: Callable[[], Vocabulary] = read_vocabulary, ttl: float = 60.0) -> None:
        self._read = read
        self._ttl = ttl
        self._value = Vocabulary()
        self._next_read = 0.0
        self._lock = threading.Lock()

    def get(self) -> Vocabulary:
        with self._lock:
            if time.monotonic() >= self._next_read:
                try:
                    self._value = self._read()
                except Exception:  # noqa: BLE001 - the report still works without it
                    logger.warning("Base de connaissances illisible : le rapport de lacunes ignore le vocabulaire.")
                self._next_read = time.monotonic() + self._ttl
            return self._value


@lru_cache(maxsize=1)
def form_names() -> FrozenSet[str]:
    """The forms of domain.yml: their action reads an answer with slot mappings."""
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8")) or {}
    return frozenset(domain.get("forms") or {})


@dataclass(frozen=True)
class GapCriteria:
    date_from: date
    date_to: date
    confidence_below: float = LOW_CONFIDENCE
    signal: str = ""  # a key of SIGNALS, or "" for all


@dataclass(frozen=True)
class Week:
    monday: date

    @property
    def number(self) -> int:
        return self.monday.isocalendar()[1]


@dataclass(frozen=True)
class GapExample:
    pseudonym: str
    event_id: int
    timestamp: float
    text: str
    answer: str  # the start of what the assistant answered
    signals: Tuple[str, ...]


@dataclass(frozen=True)
class GapTheme:
    key: str  # a mission id, a term, or OTHER_THEME
    mission: Optional[str]
    terms: Tuple[str, ...]  # the shared terms, the one that made the theme first
    total: int
    conversations: int
    weekly: Tuple[int, ...]  # one count per week of the report
    signals: Tuple[Tuple[str, int], ...]  # (signal, messages), most frequent first
    examples: Tuple[GapExample, ...]


@dataclass(frozen=True)
class GapReport:
    criteria: GapCriteria
    weeks: Tuple[Week, ...]
    user_messages: int
    gap_messages: int
    signals: Tuple[Tuple[str, int], ...]
    missions: Tuple[GapTheme, ...]  # « missions demandées mais mal servies »
    unmatched: Tuple[GapTheme, ...]  # « questions sans mission correspondante »

    @property
    def gap_rate(self) -> float:
        return self.gap_messages / self.user_messages if self.user_messages else 0.0


@dataclass
class _Gap:
    """A message handled badly, while the report is being built."""

    conversation_id: int
    event_id: int
    timestamp: float
    text: str
    folded: str
    signals: Tuple[str, ...]
    mission: Optional[str]
    answer_id: Optional[int]  # the first answer turn: its text is read for the examples only
    words: List[Tuple[int, str, str]] = field(default_factory=list)


TURNS = Turn.__table__


def _sent(response: str):
    """SQL: the bot turn sent this response. The pattern can only meet the indexer's own
    ``"response": "…"`` key: quotes inside a text are escaped in the JSON."""
    pattern = json.dumps({"response": response}, ensure_ascii=False)[1:-1]
    return TURNS.c.messages.like("%" + pattern.replace("_", "\\_") + "%", escape="\\")


# What the report needs of each turn. The bot turns' messages (the longest column) are
# tested in SQL and fetched only when they hold a response of the report, or follow a core
# fallback: ``flagged`` is None for every other turn.
_TURN_COLUMNS = (
    TURNS.c.conversation_id,
    TURNS.c.event_id,
    TURNS.c.kind,
    TURNS.c.timestamp,
    TURNS.c.text,
    TURNS.c.folded_text,
    TURNS.c.intent,
    TURNS.c.confidence,
    TURNS.c.entities,
    TURNS.c.action,
    TURNS.c.missions,
    case(
        (
            or_(TURNS.c.action.in_(sorted(FALLBACK_ACTIONS)), *(_sent(response) for response in RESPONSES)),
            TURNS.c.messages,
        ),
        else_=None,
    ).label("flagged"),
)
# Positions in _TURN_COLUMNS, for the loop over every turn: a row's attributes cost ten
# times its indexes there (the slow path, a quarter of the messages, uses the names).
_CONVERSATION, _EVENT, _KIND, _TIMESTAMP, _INTENT, _CONFIDENCE, _FLAGGED = (
    [column.name for column in _TURN_COLUMNS].index(name)
    for name in ("conversation_id", "event_id", "kind", "timestamp", "intent", "confidence", "flagged")
)
_SUSPECT_INTENTS = frozenset({FALLBACK_INTENT, OUT_OF_SCOPE_INTENT})
# The rows of a suspect exchange, copied for the slow path: a named tuple's fields cost a
# tenth of a SQLAlchemy row's attributes.
_Row = namedtuple("_Row", [column.name for column in _TURN_COLUMNS])


def weeks_of(date_from: date, date_to: date) -> Tuple[Week, ...]:
    """The ISO weeks (Monday to Sunday) that the period touches."""
    monday = date_from - timedelta(days=date_from.weekday())
    weeks = []
    while monday <= date_to:
        weeks.append(Week(monday))
        monday += timedelta(days=7)
    return tuple(weeks)


def gap_report(
    session: Session, criteria: GapCriteria, vocabulary: Optional[Vocabulary] = None, zone: Optional[tzinfo] = None
) -> GapReport:
    """The messages of the period handled badly, grouped by nearest mission and by shared terms."""
    zone = zone or local_zone()
    start = day_start(criteria.date_from, zone)
    end = day_start(criteria.date_to + timedelta(days=1), zone)
    user_messages, gaps = _find_gaps(session, criteria, vocabulary or Vocabulary(), start, end)
    by_mission: Dict[str, List[_Gap]] = defaultdict(list)
    unmatched: List[_Gap] = []
    for gap in gaps:
        if gap.mission:
            by_mission[gap.mission].append(gap)
        else:
            unmatched.append(gap)
    groups = [
        *((mission, mission, (), members) for mission, members in by_mission.items()),
        *((key, None, terms, members) for key, terms, members in group_by_terms(unmatched)),
    ]
    shown = [_latest(members) for *_, members in groups]
    pseudonyms = _pseudonyms(session, {gap.conversation_id for examples in shown for gap in examples})
    answers = _answers(session, {gap.answer_id for examples in shown for gap in examples if gap.answer_id})
    weeks = weeks_of(criteria.date_from, criteria.date_to)
    themes = [
        _theme(key, mission, terms, members, examples, weeks, zone, pseudonyms, answers)
        for (key, mission, terms, members), examples in zip(groups, shown, strict=True)
    ]
    return GapReport(
        criteria=criteria,
        weeks=weeks,
        user_messages=user_messages,
        gap_messages=len(gaps),
        signals=_ranked(Counter(signal for gap in gaps for signal in gap.signals)),
        missions=tuple(
            sorted((theme for theme in themes if theme.mission), key=lambda theme: (-theme.total, theme.key))
        ),
        unmatched=tuple(theme for theme in themes if not theme.mission),
    )


def _find_gaps(
    session: Session, criteria: GapCriteria, vocabulary: Vocabulary, start: float, end: float
) -> Tuple[int, List[_Gap]]:
    """How many user messages the period holds, and those handled badly (with the signal asked)."""
    conversations = (
        select(Conversation.id).where(Conversation.last_at >= start, Conversation.started_at < end).scalar_subquery()
    )
    annotated = _annotated_turns(session, conversations)
    # Core rows (the ORM's would cost more than the query), streamed (a server-side cursor
    # on PostgreSQL) and read in partitions by _conversations.
    rows = session.connection().execute(
        select(*_TURN_COLUMNS)
        .where(TURNS.c.conversation_id.in_(conversations))
        .order_by(TURNS.c.conversation_id, TURNS.c.position)
        .execution_options(stream_results=True)
    )
    threshold = criteria.confidence_below
    gaps: List[_Gap] = []
    user_messages = 0
    for exchanges in _conversations(rows):
        for index, (user, answers) in enumerate(exchanges):
            if not start <= user[_TIMESTAMP] < end:
                continue
            user_messages += 1
            # Most messages are answered well: ruled out here on the columns alone.
            confidence = user[_CONFIDENCE]
            suspect = (
                user[_INTENT] in _SUSPECT_INTENTS
                or (confidence is not None and confidence < threshold)
                or user[_EVENT] in annotated
            )
            for turn in answers:
                if suspect:
                    break
                suspect = turn[_FLAGGED] is not None or turn[_EVENT] in annotated
            if not suspect:
                continue
            user, answers = _Row._make(user), [_Row._make(turn) for turn in answers]
            following = None
            if index + 1 < len(exchanges):
                next_user, next_answers = exchanges[index + 1]
                following = _Row._make(next_user), [_Row._make(turn) for turn in next_answers]
            signals = _signals(user, answers, following, threshold, vocabulary, annotated)
            if signals and (not criteria.signal or criteria.signal in signals):
                gaps.append(
                    _Gap(
                        conversation_id=user.conversation_id,
                        event_id=user.event_id,
                        timestamp=user.timestamp,
                        text=user.text,
                        folded=user.folded_text,
                        signals=signals,
                        mission=_nearest_mission(user, answers),
                        answer_id=answers[0].event_id if answers else None,
                    )
                )
    return user_messages, gaps


def _annotated_turns(session: Session, conversations) -> Set[int]:
    """Turns a trainer found answered incompletely or inaccurately (and not resolved since)."""
    return set(
        session.execute(
            select(Annotation.turn_event_id).where(
                Annotation.conversation_id.in_(conversations),
                Annotation.reason.in_(ANSWER_REASONS),
                Annotation.state != RESOLVED_STATE,
            )
        ).scalars()
    )


def _conversations(rows) -> Iterable[List[Tuple]]:
    """Each conversation as its exchanges: ``(user turn, [bot turns up to the next one])``.
    Bot turns before the first user message (a greeting) belong to no exchange."""
    current: Optional[int] = None
    exchanges: List[Tuple] = []
    for chunk in rows.partitions(PARTITION_ROWS):  # fetched in bulk, never all at once
        for row in chunk:
            conversation_id = row[_CONVERSATION]
            if conversation_id != current:
                if exchanges:
                    yield exchanges
                current, exchanges = conversation_id, []
            if row[_KIND] == "user":
                exchanges.append((row, []))
            elif exchanges:
                exchanges[-1][1].append(row)
    if exchanges:
        yield exchanges


def _signals(user, answers, following, threshold: float, vocabulary: Vocabulary, annotated: Set[int]):
    signals: List[str] = []
    by_form = bool(answers) and answers[0].action in form_names()
    is_payload = user.text.startswith("/")
    if not by_form and not is_payload:
        if user.intent == FALLBACK_INTENT:
            signals.append(FALLBACK)
        elif user.intent != OUT_OF_SCOPE_INTENT and user.confidence is not None and user.confidence < threshold:
            # An unsure « out of scope » is judged on the words instead (below): « quelle est
            # la météo ? » refused at 0.34 was rightly refused.
            signals.append(LOW_CONFIDENCE_SIGNAL)
    if FALLBACK not in signals and any(turn.action in FALLBACK_ACTIONS for turn in answers):
        signals.append(FALLBACK)
    if not by_form and not is_payload and vocabulary:
        refused = user.intent == OUT_OF_SCOPE_INTENT or any(OUT_OF_SCOPE_RESPONSE in _sent_by(turn) for turn in answers)
        if refused and vocabulary.found_in(user.text, user.folded_text):
            signals.append(OUT_OF_SCOPE)
    if user.event_id in annotated or any(turn.event_id in annotated for turn in answers):
        signals.append(ANNOTATED)
    offer = next((turn for turn in answers if DID_YOU_MEAN_RESPONSE in _sent_by(turn)), None)
    if offer is not None and not _took_offer(offer, following):
        signals.append(DID_YOU_MEAN_IGNORED)
    if any(response in NO_ANSWER_RESPONSES for turn in answers for response in _sent_by(turn)):
        signals.append(NO_ANSWER)
    return tuple(signals)


def _sent_by(turn) -> Set[str]:
    """The responses a flagged bot turn sent (none for the others)."""
    if turn.flagged is None:
        return set()
    return {message.get("response") for message in json.loads(turn.flagged)}


def _took_offer(offer, following) -> bool:
    """Whether the message after a « did you mean » took one of its missions."""
    if following is None:
        return False
    user, answers = following
    offered = json.loads(offer.missions)
    titles = {
        plain(title)
        for message in json.loads(offer.flagged)
        if message.get("response") == DID_YOU_MEAN_RESPONSE
        for title in message.get("buttons") or []
    }
    if user.text.startswith("/") and any(f'"{mission}"' in user.text for mission in offered):
        return True  # the button's payload: /ask_mission{"mission": "…"}
    if MISSION_ENTITY in user.entities and any(
        entity.get("entity") == MISSION_ENTITY and entity.get("value") in offered
        for entity in json.loads(user.entities)
    ):
        return True
    if plain(user.text) in titles:
        return True
    # « la deuxième »: the assistant showed one of the offered missions, without offering again.
    return not any(DID_YOU_MEAN_RESPONSE in _sent_by(turn) for turn in answers) and any(
        mission in offered for turn in answers for mission in json.loads(turn.missions)
    )


def _nearest_mission(user, answers) -> Optional[str]:
    for turn in answers:
        if turn.missions != "[]":
            missions = json.loads(turn.missions)
            if missions:
                return missions[0]
    if MISSION_ENTITY in user.entities:
        for entity in json.loads(user.entities):
            if entity.get("entity") == MISSION_ENTITY and isinstance(entity.get("value"), str):
                return entity["value"]
    return None


def group_by_terms(gaps: List[_Gap]) -> List[Tuple[str, Tuple[str, ...], List[_Gap]]]:
    """Themes of messages that match no mission: ``(key, terms, messages)``, largest first.

    Terms are stems of significant words and pairs of neighbouring significant words. Lazy
    greedy: the term held by the most messages not yet in a theme makes the next theme, a pair
    counting ``PAIR_WEIGHT`` times a word (« chef de file » in three messages is a better theme
    than « chef » in four, one of them a cook's), until no term is shared by ``MIN_THEME``
    messages or ``MAX_TERM_THEMES`` themes exist; the rest make « Autres questions ». Terms
    are shown as the officers wrote them, accents included.
    """
    postings: Dict[str, List[int]] = defaultdict(list)
    surfaces: Dict[str, Counter] = defaultdict(Counter)
    for index, gap in enumerate(gaps):
        words = gap.words = significant_words(gap.text, gap.folded) if not gap.text.startswith("/") else []
        shown = _shown_words(gap.text, gap.folded)
        terms: Dict[str, str] = {}
        for position, (place, _, word_stem) in enumerate(words):
            terms.setdefault(word_stem, shown[place])
            if position + 1 < len(words):
                next_place, _, next_stem = words[position + 1]
                if next_stem != word_stem and next_place - place <= 3:
                    terms.setdefault(f"{word_stem} {next_stem}", " ".join(shown[place : next_place + 1]))
        for term, surface in terms.items():
            postings[term].append(index)
            surfaces[term][surface] += 1
    assigned = [False] * len(gaps)

    def key(term: str, count: int) -> Tuple[float, int, str]:
        pair = " " in term
        return (-count * (PAIR_WEIGHT if pair else 1.0), -pair, term)

    heap = [key(term, len(members)) for term, members in postings.items() if len(members) >= MIN_THEME]
    heapq.heapify(heap)
    themes = []
    while heap and len(themes) < MAX_TERM_THEMES:
        term = heapq.heappop(heap)[2]
        members = [index for index in postings[term] if not assigned[index]]
        if len(members) < MIN_THEME:
            continue
        if heap and key(term, len(members)) > heap[0]:
            heapq.heappush(heap, key(term, len(members)))  # another term now holds more
            continue
        for index in members:
            assigned[index] = True
        chosen = [gaps[index] for index in members]
        themes.append((term, _labels(term, chosen, surfaces), chosen))
    rest = [gap for index, gap in enumerate(gaps) if not assigned[index]]
    if rest:
        themes.append((OTHER_THEME, (), rest))
    return themes


def _shown_words(text: str, folded_text: str) -> List[str]:
    """The words of ``plain(text)`` with their accents, when both split alike."""
    folded = folded_text.replace("'", " ").split()
    shown = _NON_WORD.sub(" ", text.lower()).split()  # apostrophes of any kind split, as in plain
    return shown if len(shown) == len(folded) else folded


def _labels(term: str, members: List[_Gap], surfaces: Dict[str, Counter]) -> Tuple[str, ...]:
    """The theme's term as the officers wrote it most often, then up to two other words most
    of its messages share."""
    seed = set(term.split())
    others: Counter = Counter()
    for gap in members:
        others.update({word_stem for _, _, word_stem in gap.words} - seed)
    extra = [word_stem for word_stem, count in others.most_common(2) if count >= max(MIN_THEME, len(members) // 2)]
    return tuple(surfaces[key].most_common(1)[0][0] for key in (term, *extra))


def _latest(members: List[_Gap]) -> List[_Gap]:
    return sorted(members, key=lambda gap: (-gap.timestamp, -gap.event_id))[:EXAMPLES]


def _pseudonyms(session: Session, ids: Set[int]) -> Dict[int, str]:
    found: Dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(select(Conversation.id, Conversation.pseudonym).where(Conversation.id.in_(chunk)))
        found.update((row.id, row.pseudonym) for row in rows)
    return found


def _answers(session: Session, ids: Set[int]) -> Dict[int, str]:
    """The start of what these bot turns said."""
    found: Dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(select(Turn.event_id, Turn.messages).where(Turn.event_id.in_(chunk)))
        found.update((row.event_id, _excerpt(row.messages)) for row in rows)
    return found


def _chunks(ids: Set[int], size: int = 500) -> Iterable[List[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _theme(
    key: str,
    mission: Optional[str],
    terms: Tuple[str, ...],
    members: List[_Gap],
    examples: List[_Gap],
    weeks: Tuple[Week, ...],
    zone: tzinfo,
    pseudonyms: Dict[int, str],
    answers: Dict[int, str],
) -> GapTheme:
    column = {week.monday: position for position, week in enumerate(weeks)}
    weekly = [0] * len(weeks)
    for gap in members:
        day = datetime.fromtimestamp(gap.timestamp, zone).date()
        position = column.get(day - timedelta(days=day.weekday()))
        if position is not None:
            weekly[position] += 1
    return GapTheme(
        key=key,
        mission=mission,
        terms=terms,
        total=len(members),
        conversations=len({gap.conversation_id for gap in members}),
        weekly=tuple(weekly),
        signals=_ranked(Counter(signal for gap in members for signal in gap.signals)),
        examples=tuple(
            GapExample(
                pseudonym=pseudonyms.get(gap.conversation_id, ""),
                event_id=gap.event_id,
                timestamp=gap.timestamp,
                text=gap.text,
                answer=answers.get(gap.answer_id, "") if gap.answer_id else "",
                signals=gap.signals,
            )
            for gap in examples
        ),
    )


def _excerpt(messages: str) -> str:
    text = " ".join(message.get("text") or "" for message in json.loads(messages)).strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _ranked(counts: Counter) -> Tuple[Tuple[str, int], ...]:
    order = list(SIGNALS)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], order.index(item[0]))))
