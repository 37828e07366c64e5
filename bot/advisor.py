"""What to answer: one decision per message, from the NLU's reading and the conversation.

The NLU names a dialogue act (a follow-up, a rank reference, a question on the phases, a
situation…), but an intent label is not trusted on its own: every message that talks about
the officer's work is also ranked against the knowledge base, with the conversation's
context (the mission being discussed, the last list shown, the officer's previous message),
so that an NLU confusion can no longer produce a refusal, a follow-up on nothing, or an
overview nobody asked for. The actions turn a ``Decision`` into responses; the thresholds
live here and nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import List, Optional, Sequence, Tuple

from bot import focus
from bot.kb.phase_names import PhaseMatch
from bot.kb.records import Mission, Phase, SearchHit, Suggestion
from bot.kb.service import KnowledgeBase
from bot.text import fold, plain

# Dialogue acts: what the rule that ran the action took the message for.
PHASES, PHASE, MISSION, SITUATION = "phases", "phase", "mission", "situation"
OUT_OF_SCOPE, FALLBACK, CHOOSE, CAPABILITIES, JOB = "out_of_scope", "fallback", "choose", "capabilities", "job"
IS_BOT = "is_bot"
# Small talk: greetings, thanks, goodbyes, and « oui », « non », « annuler » with nothing to
# answer or cancel.
GREET, THANK, GOODBYE, NOTHING_PENDING = "greet", "thank", "goodbye", "nothing_pending"
SMALL_TALK = (GREET, THANK, GOODBYE, NOTHING_PENDING)
WHY, EXAMPLE, DETAILS, NEXT, HOW, WHEN, PITFALLS = "why", "example", "details", "next", "how", "when", "pitfalls"
FOLLOW_UPS = (WHY, EXAMPLE, DETAILS, NEXT, HOW, WHEN, PITFALLS)

# Kinds of decision, each rendered by the actions with its own responses.
SHOW_PHASES = "show_phases"
SHOW_PHASE = "show_phase"
SHOW_MISSION = "show_mission"
SHOW_STEP = "show_step"
SUGGEST = "suggest"
FOLLOW_UP = "follow_up"
DID_YOU_MEAN = "did_you_mean"
REPHRASE = "rephrase"
REFUSE = "refuse"
NO_CONTEXT = "no_context"
NO_OPTION = "no_option"
NO_SUGGESTION = "no_suggestion"
SHOW_CAPABILITIES = "show_capabilities"
SHOW_JOB = "show_job"
SHOW_IS_BOT = "show_is_bot"
GREETING, THANKS, FAREWELL, ANYTHING_ELSE = "greeting", "thanks", "farewell", "anything_else"
_SMALL_TALK_REPLIES = {GREET: GREETING, THANK: THANKS, GOODBYE: FAREWELL, NOTHING_PENDING: ANYTHING_ELSE}

# Where components/relevance.py puts its score in the NLU's parse data.
RELEVANCE_KEY = "relevance"

# Kinds of list the conversation last showed (slot ``last_list``).
LIST_PHASES, LIST_MISSIONS = "phases", "missions"

# Search scores (bot.kb.search): at or above CONFIDENT the best mission is answered even when
# the NLU took the message for something else; below WEAK a message with no word of the
# officer's work is out of scope.
CONFIDENT = 9.0
WEAK = 5.0
# A message with this many content terms or more says something of its own, even when the
# NLU reads a follow-up or a rank reference in it.
CONTENT_TERMS = 3
# At or below this share of words the knowledge base knows, an unsure message is about
# something else.
KNOWN_SHARE = 0.6

# Below this relevance (components/relevance.py: the probability that a message is about the
# work), a message the knowledge base does not match strongly is out of scope; a short message
# continuing a conversation on a mission needs the lower bound.
OFF_TOPIC = 0.2
OFF_TOPIC_IN_CONVERSATION = 0.05
# At or above this search score the knowledge base is believed whatever the filter says; from
# CONFIDENT up to it, the filter needs half of OFF_TOPIC to refuse.
TRUSTED = 1.5 * CONFIDENT
# Below this confidence, the NLU's reading of a follow-up (« et ensuite ? ») that names no
# aspect and has words of the work is doubted: the message goes to the search.
SURE_FOLLOW_UP = 0.6
# Below this confidence, the NLU's small talk (« bonjour », « oui ») with words of the work is
# doubted: « conflits » read as « oui » (0.36), « évaluation coop » as « bonjour » (0.37); real
# small talk is read at 0.8 and more.
SURE_SMALL_TALK = 0.5
# At or above this relevance, the NLU's « out of scope » is not believed.
ON_TOPIC = 0.5
# The relevance filter this sure places a message at work, whatever the base matches.
AT_WORK = 0.9
# When the NLU is at least this sure a message is out of scope, a knowledge base that matches
# it well but not certainly (below TRUSTED) no longer saves it unless the filter leans towards
# the work: « la gouvernance d'une SAS », « un jeu vidéo en mode coopération ».
SURE_OUT = 0.9
# The NLU this sure a message is out of scope and the filter below OFF_TOPIC: refused whatever
# the base matches (a mission's name in another world).
LIKELY_OUT = 0.7
OFF_TOPIC_WHEN_SURE = 0.3

# Words that place a message in the officer's work: it is then never refused as out of scope.
_WORK_WORDS = re.compile(
    r"\b(?:coop|coops|cooperation|cooperations|cooperer|cooperons|cooperent|coopere|partenaire|partenaires|"
    r"partenariat|partenariats|elu|elus|elue|elues|territoire|territoires|territorial|territoriale|interco|"
    r"intercommunalite|intercommunalites|epci|petr|com com|comcom|communaute de communes|agglo|agglomeration|"
    r"syndicat mixte|departement|region|collectivite|collectivites|chef de file|gouvernance|comite de pilotage|"
    r"copil|cotech|comite technique|financeur|financeurs|subvention|subventions|leader|feder|convention|"
    r"charge de cooperation|chargee de cooperation|charge de mission|chargee de mission|technicien|techniciens|"
    r"maire|maires|conseil communautaire|dgs|mon poste|ma structure|nos structures|porteur|porteurs|"
    r"plan d action|ingenierie|parc naturel|pays|president|presidente|presidents|vice president|"
    r"conseiller municipal|conseiller communautaire|conseillers|conseil municipal|acteur|acteurs|habitants|"
    r"services|agents|metropole|mairie|mairies|"
    r"communes|intercommunal|intercommunale)\b"
)
# Words any question on the job may carry without saying what it is about.
_GENERIC_WORDS = "coopération coopérations projet projets mission missions faire travail territoire territoires"
# Ordinals as officers type them, accent-free: a phase lists up to twelve missions.
_ORDINALS = (
    "premier", "deuxieme", "troisieme", "quatrieme", "cinquieme", "sixieme",
    "septieme", "huitieme", "neuvieme", "dixieme", "onzieme", "douzieme",
)  # fmt: skip
_RANK_WORDS = {
    **{word: rank for rank, word in enumerate(_ORDINALS, start=1)},
    **{f"{rank}{suffix}": rank for rank in range(2, 13) for suffix in ("e", "eme", "em")},
    "premiere": 1, "1er": 1, "1ere": 1, "1re": 1,
    "second": 2, "seconde": 2, "2nd": 2, "2nde": 2,
}  # fmt: skip
_RANK_NUMBER = re.compile(r"[1-9]|1[0-2]")
_LAST_WORDS = ("dernier", "derniere", "last")
_PHASE_NOUNS = ("phase", "phases")
# A question on the whole course: several phases or steps, not « dans quelle phase … ? ».
_OVERVIEW = re.compile(
    r"\b(?:(?:les|des|ses|quelles|differentes|grandes|principales|quatre) (?:grandes |differentes |principales )?"
    r"(?:phases|etapes)|cheminement|chronologie|grandes lignes|vue d ensemble|de a a z|cycle de vie|"
    r"du debut (?:a|jusqu a) la fin|(?:s organise|se deroule|se passe|se structure) (?:\w+ ){0,7}dans le temps|"
    r"(?:commence|demarre) et (?:par (?:ou|quoi) )?(?:on |je )?(?:finit|termine)|"
    r"(?:deroule|deroulement|parcours) (?:type|general|global|complet|habituel|classique|d ensemble)|"
    r"dans quel ordre (?:on fait |faire |se font |s enchainent |(?:\w+ ){0,3}les choses)|"
    r"l ordre (?:des etapes|des phases|des choses|dans lequel))\b"
)
# « Par où commencer ? », « on commence par quoi ? »: where the course starts.
_START = re.compile(
    r"\b(?:par (?:ou|quoi) (?:est ce qu )?(?:on |je |il faut |faut il )?(?:commence|demarre)|"
    r"(?:on|je) (?:commence|demarre) par quoi|(?:commencer|demarrer) par quoi|premiere chose a faire)"
)
_PHASE_NAMED = re.compile(r"\b(?:phases?|etapes?|stade) ")
_THIS_PHASE = re.compile(r"\b(?:cette (?:phase|etape|periode)|ce stade|ce moment la|a ce moment)\b")
# What an officer asks about a stage of the cooperation, with no difficulty of their own:
# « quelles sont mes missions ? », « je dois faire quoi à ce stade ? », « et maintenant ? ».
_WHAT_NOW = re.compile(
    r"\b(?:(?:qu est ce qu(?:e|e j)?|que) (?:je |on |il )?(?:dois|doit|faut|fait|fais|faire)(?: faire)?\b|"
    r"(?:que|qu) (?:dois je|doit on|faut il) faire|(?:je|on|il) (?:dois|doit|faut) (?:\w+ ){1,3}quoi\b|"
    r"(?:je|on|j y|on y) (?:fais|fait) quoi|quel(?:le)?s sont (?:elles|ils)|des conseils\b|"
    r"^(?:et )?(?:les|mes|nos) (?:missions|taches|competences)\b|"
    r"ce qu (?:on|il faut) (?:fait|faire)|ce que (?:je|j|on) (?:dois|doit|devrais|devrait) (?:y )?faire|"
    r"(?:les )?choses a faire|on passe a quoi|c est lesquel(?:le)?s|lesquel(?:le)?s sont|"
    r"(?:quelles?|c est quoi) (?:sont )?(?:les |mes |nos )?(?:missions|taches|priorites|competences)"
    r"(?: (?:je|on) (?:dois|doit) (?:mobiliser|avoir|maitriser|remplir|assurer))?|"
    r"qu est ce qui (?:m |nous )?(?:attend|compte|est important|se fait|se passe)|"
    r"et maintenant|la suite(?! d)|l etape (?:d apres|suivante)|"
    r"a ce stade|a ce moment|a cette etape|dans cette etape|(?:quelle|quel) (?:phase|etape|stade)|"
    r"par (?:ou|quoi) (?:je |on )?(?:commence|demarre)|(?:je|on) m y prends? comment|comment (?:je|on) m y prends?)"
)
# Words of small talk: a message that has one is what the NLU read, however unsure.
_SMALL_TALK_WORDS = re.compile(
    r"\b(?:bonjour|bonsoir|salut|hello|coucou|merci|au revoir|a bientot|a plus tard|"
    r"bonne (?:journee|soiree|continuation)|bye|ciao|oui|non|ok|okay|d accord|annule|annuler|stop)\b"
)
# The kinds of text (bot.kb.search) that name a mission rather than describe a situation.
_NAMED = ("keyword", "title", "map_label")
# Words that ask for more on the mission discussed, whatever aspect (« et après ? », « et là ? »).
_FOLLOW_UP_WORDS = re.compile(r"\b(?:et apres|ensuite|suite|puis|et la|et maintenant|alors)\b")
# « Comment … ? »: a question on how to do something, not on what a stage holds.
_HOW = re.compile(r"\bcomment\b")
# « On est dans quelle phase ? »: the stage the message tells is the answer, whatever else it says.
_WHICH_PHASE = re.compile(
    r"\b(?:(?:quelle|quel) (?:est )?(?:cette |la |ma |notre )?(?:phase|etape|stade)|on en est ou|ou en est on)\b"
)
# Setting up a whole cooperation: « on me demande de monter une coopération, par où je commence ? ».
_SETUP = re.compile(
    r"\b(?:monter|monte|lancer|lance|demarrer|demarre|debuter|debute|commencer|commence|entamer|entame|creer|cree|"
    r"mettre en place|construire|initier) (?:une|un|notre|la|le|cette|ce) "
    r"(?:cooperation|projet de cooperation|partenariat)\b"
)
# « Quand tout est signé, … », « une fois le dossier bouclé, … »: a clause that tells when,
# not a topic set aside, though it says something is done (bot.focus drops it from the search).
_WHEN = re.compile(r"^(?:et )?(?:quand|lorsque|lorsqu|une fois(?: que| qu)?|des que|des qu|maintenant que|apres que)\b")
# The officer asks where they stand (« on est dans quelle phase ? »), not when a mission comes
# (« dans quelle phase on cherche le chef de file ? »).
_WE_ARE = re.compile(r"\b(?:on (?:en )?est|nous (?:en )?sommes|on se situe|ou en est on)\b")
# Words between « avant » / « après » and the name of a phase: « avant même la phase d'émergence ».
_PHASE_FILLERS = ("meme", "la", "l", "le", "les", "phase", "etape", "de", "d", "du")
# A stage the officer has finished: the next phase is the one asked about.
_DONE = re.compile(r"\b(?:fini|finie|termine|terminee|acheve|achevee|boucle|bouclee|clos|close)\b")
# The job itself, named: « chargée de coopération », « ce boulot », « mon poste ».
_JOB_NAME = re.compile(
    r"\b(?:charge(?:e|es|s)? (?:e )?de (?:mission )?(?:cooperation|coop|coope)|"
    r"(?:ce|mon|ton|le|du|au) (?:metier|boulot|job|poste)(?! de (?!charge))"
    r")\b"
)
# What the job is: « c'est quoi », « en quoi ça consiste », « je vais faire quoi ».
_WHAT_IS = re.compile(
    r"\b(?:c est quoi|qu est ce que c est|en quoi (?:ca )?consiste|ca consiste en quoi|consiste en quoi|"
    r"(?:je|on) (?:vais|va|dois|doit) faire quoi|ca fait quoi|(?:que|qu est ce que) (?:fait|font)|"
    r"(?:quel|quelle) (?:est|sera) (?:mon|son|le|la) (?:role|quotidien|mission)|"
    r"(?:quelles|c est quoi) (?:sont )?(?:mes|ses|les) missions|"
    r"a quoi (?:ca )?ressemble|ressemble a quoi|decri(?:s|vez|re)|present(?:e|er|ez))\b"
)
# Something going wrong: « les partenaires décrochent », « personne ne veut piloter ».
_TROUBLE = re.compile(
    r"\b(?:(?:ne|n) (?:\w+ ){1,2}(?:pas|plus|jamais|personne|aucun|aucune)|personne ne|aucun|aucune|"
    r"probleme|pb|souci|difficult\w*|conflit\w*|tension\w*|bloqu\w*|coinc\w*|galer\w*|manqu\w*|refus\w*|"
    r"disput\w*|decroch\w*|desaccord\w*|inquiet\w*|crise|retard\w*|echec|peur|dout\w*|frein\w*|"
    r"essouffl\w*|fach\w*|deteste\w*|lach\w*|demotiv\w*|perd\w*)\b"
)
# Words that say nothing of what is asked: « concrètement, je vais faire quoi ? ».
_FILLERS = re.compile(r"\b(?:concretement|exactement|vraiment|en fait|au juste|au quotidien|en gros|en vrai)\b")
_STEP_NOUNS = ("etape", "etapes")
_MISSION_NOUNS = ("mission", "missions", "piste", "pistes", "proposition", "option", "choix")
# An item of whatever list was shown last: « le premier point » of the overview is a phase.
_ITEM_NOUNS = ("point", "points", "element", "item")
# The words that make a rank reference (« la deuxième phase »), not counted as content.
REFERENCE_WORDS = frozenset((*_RANK_WORDS, *_LAST_WORDS, *_PHASE_NOUNS, *_STEP_NOUNS, *_MISSION_NOUNS, *_ITEM_NOUNS))


@dataclass(frozen=True)
class Context:
    """What the conversation holds when the message arrives (from the slots)."""

    current_mission: Optional[str] = None
    last_missions: Tuple[str, ...] = ()
    last_list: Optional[str] = None
    phase: Optional[str] = None
    previous_text: str = ""


@dataclass(frozen=True)
class Turn:
    """One message as the NLU read it. ``text`` is empty for a button payload."""

    act: str
    text: str = ""
    mission_id: Optional[str] = None
    phase_id: Optional[str] = None
    rank: Optional[str] = None
    themes: Tuple[str, ...] = ()
    context: Context = field(default_factory=Context)
    # How surely the message is about the officer's work (components/relevance.py), 0–1;
    # None when the model gives none (a button, an older model).
    relevance: Optional[float] = None
    # The act of the NLU's second reading, if it has one.
    second_act: Optional[str] = None
    # How sure the NLU is of its reading (the intent's confidence), 0–1; None for a button.
    confidence: Optional[float] = None


@dataclass(frozen=True)
class Decision:
    kind: str
    mission: Optional[Mission] = None
    phase: Optional[Phase] = None
    suggestions: Tuple[Suggestion, ...] = ()
    aspect: str = ""
    rank: int = 0


class Advisor:
    """Decides the answer to a message; reads the knowledge base, never writes."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def decide(self, turn: Turn) -> Decision:
        decision = self._decide(turn)
        if decision.kind == SHOW_PHASE and decision.phase is not None and turn.text:
            return replace(decision, phase=self._beside(turn.text, decision.phase))
        return decision

    def _beside(self, text: str, phase: Phase) -> Phase:
        """The phase before or after the one named, when the officer asks what comes « avant
        (même) l'émergence » or « après la mise en œuvre »."""
        match = self.kb.match_phase(text)
        if match is None or match.phase.id != phase.id:
            return phase
        before = plain(text).split()[max(0, match.start - 5) : match.start]
        while before and before[-1] in _PHASE_FILLERS:
            before.pop()
        if not before or before[-1] not in ("avant", "apres"):
            return phase
        return self._neighbour_phase(phase.id, 1 if before[-1] == "apres" else -1) or phase

    def _decide(self, turn: Turn) -> Decision:
        if turn.act in SMALL_TALK:
            return self._small_talk(turn)
        if turn.act == OUT_OF_SCOPE and turn.relevance is not None and turn.relevance >= ON_TOPIC:
            # The NLU's « out of scope » against the relevance filter: its second reading.
            turn = replace(turn, act=turn.second_act or FALLBACK)
        if turn.mission_id:
            mission = self.kb.get_mission(turn.mission_id)
            if mission is not None:
                return Decision(SHOW_MISSION, mission=mission)
        if turn.act == PHASE and turn.phase_id and not turn.text:
            phase = self.kb.get_phase(turn.phase_id)
            if phase is not None:
                return Decision(SHOW_PHASE, phase=phase)
        words = fold(turn.text).split()
        chosen = self._choose(turn, words)
        if chosen is not None:
            return chosen
        if turn.act == CHOOSE and self._words(turn.text) < CONTENT_TERMS:
            # « les pièges ? » read as a choice in a list: an aspect of the mission discussed.
            return self._aspect_of_mission(turn) or Decision(NO_OPTION)
        if turn.act != JOB and self._job_asked(turn.text):
            # « je passe un entretien pour un poste de chargé de coopération : c'est quoi ce
            # boulot ? », whatever act the NLU read.
            return Decision(SHOW_JOB)
        stage = self._stage_asked(turn.text)
        if stage is not None:
            # « on est en plein dans la réalisation, quelles sont mes missions ? », whatever
            # act the NLU read in it.
            return Decision(SHOW_PHASE, phase=stage)
        in_this_phase = self._in_this_phase(turn)
        if in_this_phase is not None:
            return in_this_phase
        if turn.act in FOLLOW_UPS:
            return self._follow_up(turn)
        if turn.act in (PHASES, PHASE):
            return self._phases(turn)
        if turn.act == CAPABILITIES:
            return self._capabilities(turn)
        if turn.act == IS_BOT:
            return self._is_bot(turn)
        if turn.act == JOB:
            phase = self.kb.find_phase(turn.text)
            if phase is not None:
                # « les missions transversales du chargé de coopération » names a part of the map.
                return Decision(SHOW_PHASE, phase=phase)
            if not _JOB_NAME.search(plain(turn.text)):
                # « c'est quoi conduire le projet de coopération, au quotidien ? » names a mission,
                # not the job.
                hits = self.kb.find_missions(turn.text, limit=8)
                if hits and _best(hits) >= CONFIDENT:
                    return self._content(replace(turn, act=MISSION))
            return Decision(SHOW_JOB)
        return self._content(turn)

    def _capabilities(self, turn: Turn) -> Decision:
        """« Tu sers à quoi ? » gets the list of what the assistant does; a message that
        also describes a situation gets advice on it, and « quelles compétences ? » while a
        mission is discussed is about that mission."""
        # « comment » here asks how the assistant helps, not how to lead the mission.
        follow_up = self._aspect_of_mission(turn, exclude=(HOW,))
        if follow_up is not None:
            return follow_up
        # Counted in search terms, « ya deux partenaires qui se détestent, help » says little
        # (the synonym « se détestent » is not a term): the base's confidence decides.
        return self._confident_advice(turn.text) or Decision(SHOW_CAPABILITIES)

    def _confident_advice(self, text: str) -> Optional[Decision]:
        """Advice on a message the knowledge base matches with confidence, whatever act the
        NLU read in it; ``None`` otherwise."""
        if self._size(text) >= 1:
            hits = self.kb.find_missions(text, limit=8)
            if hits and _best(hits) >= CONFIDENT:
                return self._suggest(hits)
        return None

    def _small_talk(self, turn: Turn) -> Decision:
        """A greeting, thanks or « oui » gets its reply; a word of the work the NLU took for one
        with doubt (« conflits », « évaluation coop ») gets what the knowledge base has on it."""
        unsure = turn.confidence is not None and turn.confidence < SURE_SMALL_TALK
        if unsure and not _SMALL_TALK_WORDS.search(plain(turn.text)) and self._size(turn.text) >= 1:
            decision = self.decide(replace(turn, act=FALLBACK))
            # An answer, not a doubt: « allez je vous laisse » read as « goodbye » at 0.4 is
            # still a goodbye, whatever mission its « laisse » half matches.
            if decision.kind in (SUGGEST, SHOW_MISSION, SHOW_PHASE, SHOW_PHASES, FOLLOW_UP, SHOW_STEP):
                return decision
        return Decision(_SMALL_TALK_REPLIES[turn.act])

    def _is_bot(self, turn: Turn) -> Decision:
        """« T'es un robot ? » gets the answer that it is one; a question on the work the NLU
        took for it gets advice: « on est en fin de programme, qu'est-ce qui m'attend ? » was
        read as « qu'est-ce que tu es ? » (0.56)."""
        return self._confident_advice(turn.text) or Decision(SHOW_IS_BOT)

    # -- rank references -------------------------------------------------------------------

    def _choose(self, turn: Turn, words: List[str]) -> Optional[Decision]:
        """« la deuxième », « le 3 », « la dernière phase », « l'étape 2 »: one item of a list
        the conversation showed, when the message is mostly that reference."""
        index = rank_index(turn.rank, words)
        if index is not None and self._words(turn.text) >= CONTENT_TERMS:
            # « Après la mise en œuvre, il se passe quoi ? C'est quoi la dernière phase ? »: a
            # sentence of its own that names a rank and a phase is still a reference.
            sentence = next((clause for clause in focus.clauses(turn.text) if _is_phase_rank(clause.text)), None)
            if sentence is None:
                return None
            words = fold(sentence.text).split()
            index = rank_index(None, words)
        if index is None:
            return None
        context = turn.context
        noun = _noun(words)
        if noun == "phase" or (noun != "mission" and context.last_list == LIST_PHASES):
            phases = self.kb.list_phases(include_transversal=noun != "phase")
            phase = _item(phases, index)
            return Decision(SHOW_PHASE, phase=phase) if phase else Decision(NO_OPTION)
        mission = self.kb.get_mission(context.current_mission) if context.current_mission else None
        if mission is not None and (noun == "step" or not context.last_missions):
            step = _item(list(mission.how), index)
            if step is None:
                return Decision(NO_OPTION)
            return Decision(SHOW_STEP, mission=mission, rank=mission.how.index(step) + 1)
        chosen = _item(list(context.last_missions), index)
        mission = self.kb.get_mission(chosen) if chosen else None
        return Decision(SHOW_MISSION, mission=mission) if mission else Decision(NO_OPTION)

    # -- follow-ups on the mission being discussed ------------------------------------------

    def _follow_up(self, turn: Turn) -> Decision:
        context = turn.context
        mission = self.kb.get_mission(context.current_mission) if context.current_mission else None
        if self._size(turn.text) >= CONTENT_TERMS:
            hits = self.kb.find_missions(turn.text, limit=8, phase_id=context.phase)
            if hits and _best(hits) >= CONFIDENT and (mission is None or hits[0].mission.id != mission.id):
                return self._suggest(hits)
        if mission is not None:
            if not _aspects(turn.text) and self._doubtful_follow_up(turn):
                # « auprès des habitants surtout » read as « et ensuite ? » (0.50): a word of
                # the work and none of a follow-up, the officer goes on about the mission.
                return self._content(replace(turn, act=FALLBACK))
            # « et les pièges ? » read as « et ensuite ? »: the one aspect the words name wins.
            named = _named_aspect(turn.text)
            return Decision(FOLLOW_UP, mission=mission, aspect=named or turn.act)
        if self._words(turn.text) >= 2:
            return self._content(turn)
        first = self._first_phase(turn.text)
        if first is not None:
            return Decision(SHOW_PHASE, phase=first)
        if turn.act == NEXT and context.phase and context.last_list in (LIST_MISSIONS, LIST_PHASES):
            phase = self._next_phase(context.phase)
            if phase is not None:
                return Decision(SHOW_PHASE, phase=phase)
        return Decision(NO_CONTEXT)

    def _doubtful_follow_up(self, turn: Turn) -> bool:
        """The NLU is unsure of its follow-up reading and the message has words of the work."""
        unsure = turn.confidence is not None and turn.confidence < SURE_FOLLOW_UP
        return unsure and self._size(turn.text) >= 1 and not _FOLLOW_UP_WORDS.search(plain(turn.text))

    def _first_phase(self, text: str) -> Optional[Phase]:
        """« On commence par quoi ? » with no mission under discussion: the course starts with
        the first phase of the map."""
        folded = plain(text)
        start = _START.search(folded)
        if start is None or _OVERVIEW.search(folded):
            return None  # « par quoi on commence et par quoi on finit ? » asks for the whole course
        # The words of « par quoi on commence » are not what the message is about.
        if self._size(f"{folded[: start.start()]} {folded[start.end() :]}") > CONTENT_TERMS:
            return None
        phases = self.kb.list_phases(include_transversal=False)
        return phases[0] if phases else None

    @staticmethod
    def _course_asked(text: str) -> bool:
        """Where to start in setting up a whole cooperation, with nothing going wrong: the
        whole course, which starts with the first phase."""
        folded = plain(text)
        return bool(_START.search(folded) and _SETUP.search(folded) and not _TROUBLE.search(folded))

    def _next_phase(self, phase_id: str) -> Optional[Phase]:
        return self._neighbour_phase(phase_id, 1)

    def _neighbour_phase(self, phase_id: str, offset: int) -> Optional[Phase]:
        """The phase ``offset`` places after (or before, if negative) the given one, if any."""
        phases = self.kb.list_phases()
        ids = [phase.id for phase in phases]
        index = ids.index(phase_id) + offset if phase_id in ids else -1
        return phases[index] if 0 <= index < len(phases) else None

    # -- the phases -------------------------------------------------------------------------

    def _phases(self, turn: Turn) -> Decision:
        """A phase named is explained; « dans quelle phase on cherche le chef de file ? » says
        when that mission comes; a question on a mission that the NLU took for one on the
        phases gets that mission; otherwise the overview."""
        # The phase the message names, its longest name winning (« la phase d'émergence » over
        # « au tout début »); the NLU's reading when the message names none the base knows.
        phase = self.kb.find_phase(turn.text)
        phase = phase or (self.kb.get_phase(turn.phase_id) if turn.phase_id else None)
        if phase is not None:
            return self._mission_beside(turn) or Decision(SHOW_PHASE, phase=phase)
        if _OVERVIEW.search(plain(turn.text)):
            # « les grandes phases d'une coopération entre territoires » asks for the course,
            # whatever mission its other words happen to match.
            return Decision(SHOW_PHASES)
        if self._size(turn.text) >= 2:
            hits = self.kb.find_missions(turn.text, limit=8)
            if hits and _best(hits) >= CONFIDENT:
                mission = self.kb.get_mission(hits[0].mission.id)
                if self._talks_of_phases(turn.text):
                    return Decision(FOLLOW_UP, mission=mission, aspect=WHEN)
                return Decision(SHOW_MISSION, mission=mission) if turn.act == PHASE else self._suggest(hits)
            if (
                hits
                and _best(hits) >= WEAK
                and not self._talks_of_phases(turn.text)
                and not _START.search(plain(turn.text))
            ):
                # « projet coop qui part dans ts les sens, comment je coordonne tt ça » says no
                # word of phases or steps: a situation the NLU misread, not the overview.
                return self._suggest(hits)
        if self._off_the_job(turn.text):
            # « Quelle est la capitale de l'Australie ? » read as a question on the phases.
            return Decision(REFUSE)
        return Decision(SHOW_PHASES)

    def _mission_beside(self, turn: Turn) -> Optional[Decision]:
        """The mission a question on the phases asks about beside the phase it names: « pour
        la mise en œuvre, comment on fixe des objectifs concrets ? » is about the objectives.
        The message without the phase's name must match the mission with confidence."""
        match = self.kb.match_phase(turn.text)
        if match is None:
            return None
        rest = _without(plain(turn.text), match)
        if self._talks_of_phases(rest) or self.kb.find_phase(rest) is not None:
            return None  # « avant de démarrer, quels éléments de contexte ? »: the phase again
        hits = self.kb.find_missions(rest, limit=8) if self._size(rest) >= 2 else []
        if not hits or _best(hits) < CONFIDENT:
            return None
        return Decision(SHOW_MISSION, mission=self.kb.get_mission(hits[0].mission.id))

    def _in_this_phase(self, turn: Turn) -> Optional[Decision]:
        """« et concrètement dans cette phase, pour les partenaires ? » after a phase was shown:
        the missions of that phase the rest of the message is about, or the phase itself when
        the message says nothing else. « cette phase » is a reference, not content: left out of
        the search, where « phase » would match whatever mission mentions one."""
        folded = plain(turn.text)
        reference = _THIS_PHASE.search(folded)
        if reference is None or not turn.context.phase or self.kb.find_phase(turn.text) is not None:
            return None
        phase = self.kb.get_phase(turn.context.phase)
        if phase is None:
            return None
        rest = _WHAT_NOW.sub(" ", f"{folded[: reference.start()]} {folded[reference.end() :]}")
        if self._size(rest) >= 1:
            hits = self.kb.find_missions(rest, limit=len(self.kb.list_missions()), phase_id=phase.id)
            hits = [hit for hit in hits if hit.mission.phase_id == phase.id]
            if hits:
                return self._suggest(hits[:8])
        return Decision(SHOW_PHASE, phase=phase)

    def _off_the_job(self, text: str) -> bool:
        """A message of several words that speaks neither of phases nor of the officer's work,
        most of whose words the knowledge base does not know."""
        if self._talks_of_phases(text) or _WORK_WORDS.search(plain(text)) or self._words(text) < 2:
            return False
        return self.kb.known_share(text) <= KNOWN_SHARE

    @staticmethod
    def _talks_of_phases(text: str) -> bool:
        words = set(fold(text).split())
        return bool(
            words & {"phase", "phases", "etape", "etapes", "deroule", "deroulement", "methode", "cycle", "cheminement"}
        )

    # -- everything else: the officer's words against the knowledge base --------------------

    def _content(self, turn: Turn) -> Decision:
        context = turn.context
        text = turn.text
        follow_up = self._aspect_of_mission(turn) if self._unsure_act(turn) else None
        if follow_up is not None:
            return follow_up
        if not text.strip():
            return Decision(NO_SUGGESTION if turn.act in (MISSION, SITUATION) else REPHRASE)
        topic, hits = self._other_side(turn)
        other_side = bool(hits)
        if other_side:
            text = topic
        else:
            hits = self.kb.find_missions(
                text, limit=8, phase_id=turn.phase_id or context.phase, context=self._context_text(turn)
            )
        best = max((hit.score for hit in hits), default=0.0)
        if best < CONFIDENT:
            # « ça intervient à quel moment ? » while a mission is discussed, whatever act the
            # NLU read, when the message matches no mission well.
            follow_up = self._aspect_of_mission(turn)
            if follow_up is not None:
                return follow_up
        if not context.current_mission and self._course_asked(text):
            return Decision(SHOW_PHASES)
        first = self._first_phase(text) if best < CONFIDENT and not context.current_mission else None
        if first is not None:
            return Decision(SHOW_PHASE, phase=first)
        at_work = other_side or bool(turn.themes or _WORK_WORDS.search(plain(text)))
        if (not at_work and self._elsewhere(turn, text, best)) or self._unrelated(turn, best):
            return Decision(REFUSE)
        phase = self._phase_alone(text) or self._phase_asked(text)
        if phase is not None:
            # « Comment pérenniser une coopération ? »: the phase is all the message names.
            return Decision(SHOW_PHASE, phase=phase)
        if best < CONFIDENT and _OVERVIEW.search(plain(text)) and not self.kb.find_phase(text):
            return Decision(SHOW_PHASES)  # « le déroulé général d'une coopération », whatever the NLU read
        if turn.act in (MISSION, SITUATION) and best < CONFIDENT and self._talks_of_phases(text):
            phase = self.kb.find_phase(text)
            return Decision(SHOW_PHASE, phase=phase) if phase else Decision(SHOW_PHASES)
        if turn.act == MISSION and (hits or turn.themes):
            # The search's first mission, not the NLU's theme: the theme is a keyword of the
            # lookup tables (« copil »), the search weighs the whole message (theme first: 260
            # of 296 first missions right on the spent sets, search first: 272).
            chosen = hits[0].mission.id if hits else turn.themes[0]
            mission = self.kb.get_mission(chosen)
            if mission is not None:
                return Decision(SHOW_MISSION, mission=mission)
        if turn.act == SITUATION and hits:
            return self._suggest(hits)
        if best >= CONFIDENT or (at_work and best >= WEAK):
            return self._suggest(hits)
        if hits and self._size(text) <= 2 and self._names(text, hits[0]):
            # « conflits », « évaluation coop », « interconnaissance »: a keyword or the name of
            # a mission, typed as in a search engine.
            return self._suggest(hits)
        if hits and context.current_mission == hits[0].mission.id and self._size(text) < 2 * CONTENT_TERMS:
            # « et si aucun ne veut ? » after the lead partner: the conversation says what it is
            # about, the officer gets advice rather than « did you mean ».
            return self._suggest(hits)
        if hits:
            return Decision(DID_YOU_MEAN, suggestions=tuple(self.kb.suggestions(hits[:3], keep_all=True)))
        if turn.act in (MISSION, SITUATION):
            return Decision(NO_SUGGESTION)
        return Decision(REPHRASE)

    def _other_side(self, turn: Turn) -> Tuple[str, List[SearchHit]]:
        """« Et côté financements ? » during a conversation: the topic named (« financements »)
        and its missions, when it is one the base knows (a mission's keyword or name); the
        conversation's words would outweigh the one word asked about. No missions otherwise
        (« et côté élus ? » is read with what came before)."""
        folded = plain(turn.text)
        if not (turn.context.current_mission or turn.context.previous_text) or not _OTHER_SIDE.match(folded):
            return "", []
        topic = _OTHER_SIDE.sub(" ", folded)
        hits = self.kb.find_missions(topic, limit=8, phase_id=turn.phase_id or turn.context.phase)
        return topic, hits if hits and (_best(hits) >= WEAK or self._names(topic, hits[0])) else []

    def _names(self, text: str, hit: SearchHit) -> bool:
        """Whether a short message is a keyword of the mission found or words of its name."""
        if hit.matched_kind in _NAMED:
            return True
        generic = set(self.kb.content_terms(_GENERIC_WORDS))
        terms = set(self.kb.content_terms(text)) - generic
        name = set(self.kb.content_terms(f"{hit.mission.title} {hit.mission.map_label}"))
        return bool(terms) and terms <= name

    def _phase_alone(self, text: str) -> Optional[Phase]:
        """The phase a message names when it says nothing else of its own: besides the phase's
        words, only words any question on the job carries (coopération, projet, missions…)."""
        generic = set(self.kb.content_terms(_GENERIC_WORDS))
        terms = [term for term in self.kb.content_terms(text, ignore=REFERENCE_WORDS) if term not in generic]
        if not terms or len(terms) > 2:
            return None  # a phase's name takes one or two words: longer messages say more
        phase = self.kb.find_phase(text)
        if phase is None:
            return None
        known = set(self.kb.content_terms(" ".join((phase.label, *phase.aliases))))
        return None if any(term not in known for term in terms) else phase

    def _phase_asked(self, text: str) -> Optional[Phase]:
        """The phase a question names with a phase noun (« qu'est-ce qui se joue dans cette
        phase de réalisation ? », « c'est quoi les missions de la phase d'émergence ? ») when,
        those words left out, the question matches no mission: « pendant la phase d'émergence,
        comment trouver un chef de file ? » is about a mission, « dans la phase de mise en œuvre
        les partenaires décrochent » a situation."""
        for clause in focus.clauses(text):
            folded = plain(clause.text)
            if not clause.text.rstrip().endswith("?") or not _PHASE_NAMED.search(folded):
                continue
            for phase in self.kb.list_phases(include_transversal=True):
                for name in sorted({plain(name) for name in (phase.label, *phase.aliases)}, key=len, reverse=True):
                    named = re.search(
                        rf"{_PHASE_NAMED.pattern}(?:de la |de l |du |des |de |d )?{re.escape(name)}\b", folded
                    )
                    if named is None:
                        continue
                    rest = f"{folded[: named.start()]} {folded[named.end() :]}"
                    hits = self.kb.find_missions(rest, limit=1)
                    return phase if not hits or hits[0].score < WEAK else None
        return None

    def _stage_asked(self, text: str) -> Optional[Phase]:
        """The phase of a question on what to do at a stage the officer describes in their own
        words, with no difficulty besides: « on est en plein dans la réalisation, quelles sont
        mes missions ? », « avant de se lancer, on regarde quoi ? ». A stage finished (« on a
        fini la réalisation, et maintenant ? ») asks for the next phase. « On est en mise en
        œuvre et les partenaires décrochent, que faire ? » is a situation: the message without
        the stage and the question still matches a mission — unless the officer asks which
        phase they are in (« on réunit les partenaires pour faire naître un projet : on est
        dans quelle phase ? »). A topic the officer sets aside (bot.focus) tells no stage; a
        clause that tells when does (« quand tout est signé, je fais quoi ? »), as does a stage
        finished (« on a bouclé la réalisation »).
        A rest that tells no difficulty is still a question of its own when it matches a
        mission strongly (« je dois transformer tout ça en objectifs mesurables »)."""
        text = " ".join(
            clause.text
            for clause in focus.clauses(text)
            if clause.weight > 0 or _WHEN.match(plain(clause.text)) or _DONE.search(plain(clause.text))
        )
        folded = plain(text)
        which_phase = bool(_WHICH_PHASE.search(folded))
        if not which_phase and not _WHAT_NOW.search(folded):
            return None
        match = self.kb.match_phase(text)
        if match is None:
            return self._phase_of_activity(folded) if which_phase and _WE_ARE.search(folded) else None
        if not which_phase and not self._asked_in_one_clause(text):
            if self._tells_a_difficulty(_without(folded, match)):
                return None
        words = folded.split()
        if _DONE.search(" ".join(words[max(0, match.start - 3) : match.start])):
            return self._next_phase(match.phase.id) or match.phase
        return match.phase

    def _asked_in_one_clause(self, text: str) -> bool:
        """Whether one clause asks what to do at a stage it names, and says nothing else:
        « je viens d'arriver et dois comprendre le terrain. Qu'est-ce que je dois regarder en
        préalable ? » asks for the stage; what comes before sets the scene."""
        for clause in focus.clauses(text):
            folded = plain(clause.text)
            match = self.kb.match_phase(clause.text) if _WHAT_NOW.search(folded) else None
            if match is None:
                continue
            return not self._tells_a_difficulty(_without(folded, match))
        return False

    def _tells_a_difficulty(self, rest: str) -> bool:
        """Whether what a stage question says besides the stage is a question of its own: a
        difficulty (something goes wrong), a question on how to do something that matches a
        mission (« comment susciter d'autres coopérations plus tard ? »), or a strong match of
        a mission; « on cherche les partenaires et les sujets » only sets the scene. The words
        that ask what to do (« à ce stade », « concrètement ») are not part of it."""
        rest = _FILLERS.sub(" ", _WHAT_NOW.sub(" ", rest))
        hits = self.kb.find_missions(rest, limit=1)
        bar = WEAK if _TROUBLE.search(rest) else CONFIDENT if _HOW.search(rest) else TRUSTED
        return bool(hits and hits[0].score >= bar)

    def _phase_of_activity(self, folded: str) -> Optional[Phase]:
        """The phase the officer's activity belongs to, when they ask which phase they are in
        without naming one: « on cherche les sujets communs, on en est où ? ». A transversal
        mission tells no phase."""
        rest = _FILLERS.sub(" ", _WHICH_PHASE.sub(" ", _WHAT_NOW.sub(" ", folded)))
        hits = self.kb.find_missions(rest, limit=1)
        if not hits or hits[0].score < CONFIDENT:
            return None
        phase = self.kb.get_phase(hits[0].mission.phase_id)
        return None if phase is None or phase.transversal else phase

    def _job_asked(self, text: str) -> bool:
        """A question on what the job is, asked in the officer's words, about nothing else:
        « je commence lundi comme chargée de coopération, je vais faire quoi ? ». « En tant
        que chargé de coopération, c'est quoi la bonne façon de gérer un conflit ? » is about
        a mission: the message without the job's name and the question still matches one."""
        folded = plain(text)
        if _JOB_NAME.search(folded) is None or _OVERVIEW.search(folded) or self.kb.find_phase(text) is not None:
            # « les missions transversales du métier » names a part of the map.
            return False
        asked = [plain(clause.text) for clause in focus.clauses(text) if _WHAT_IS.search(plain(clause.text))]
        if not asked:
            return False

        def strongest(part: str) -> float:
            rest = _FILLERS.sub(" ", _WHAT_IS.sub(" ", _JOB_NAME.sub(" ", part)))
            hits = self.kb.find_missions(rest, limit=1)
            return hits[0].score if hits else 0.0

        # The question itself says nothing else; the rest of the message tells no difficulty.
        return strongest(asked[-1]) < WEAK and strongest(folded) < CONFIDENT

    def _elsewhere(self, turn: Turn, text: str, best: float) -> bool:
        """Whether a message with no word of the officer's work is about something else: the
        NLU says so and the knowledge base is not sure; or the base knows few of its words and
        matches none strongly; or it matches nothing at all. Not when the relevance filter is
        sure the message is about the work, whatever the NLU's doubt: « quelles sont les grandes
        étapes ? » (NLU fallback, filter 0.93) was refused."""
        if best >= CONFIDENT or (turn.act != OUT_OF_SCOPE and (turn.relevance or 0.0) >= AT_WORK):
            return False
        if self._continues(turn) and turn.act != OUT_OF_SCOPE and (turn.relevance or 0.0) >= OFF_TOPIC:
            # « et si je me trompe sur quelqu'un ? » after « comment repérer les personnes
            # fiables ? »: no word of the work, but the mission discussed is its topic.
            return False
        if turn.act == OUT_OF_SCOPE or (turn.act == FALLBACK and best < WEAK):
            return True
        return best == 0.0 and self._has_content(text) or self.kb.known_share(text) <= KNOWN_SHARE

    def _unrelated(self, turn: Turn, best: float) -> bool:
        """Whether the relevance filter places a message outside the work, words of the work
        or not (« un conflit avec mon voisin », « la gouvernance d'une SAS »), and the knowledge
        base does not strongly disagree: the better the base matches it, the surer the filter
        must be, unless the NLU is sure too. A short message continuing a conversation on a mission
        (« et si la Région dit non ? ») is refused only when the filter is nearly certain."""
        if turn.relevance is None or self._talks_of_phases(turn.text):
            return False
        continues = self._continues(turn)
        read_out = not continues and turn.act == OUT_OF_SCOPE
        sure_out = read_out and (turn.confidence or 0.0) >= SURE_OUT
        if read_out and (turn.confidence or 0.0) >= LIKELY_OUT and turn.relevance < OFF_TOPIC:
            # Both models agree, whatever the base matches: « comment piloter un drone ? »,
            # « gérer le conflit avec mon propriétaire », « chef de file d'une liste électorale ».
            # (On the spent sets, no question on the work is read so: the lowest relevance of
            # one the NLU reads out of scope is 0.31.)
            return True
        if best >= TRUSTED:
            return False
        if sure_out:
            return turn.relevance < OFF_TOPIC_WHEN_SURE
        if not continues and turn.relevance < OFF_TOPIC_WHEN_SURE and self.kb.known_share(turn.text) <= KNOWN_SHARE:
            # « la coopération entre les cellules du système immunitaire »: one word of the
            # work among words the base does not know, and the filter doubts.
            return True
        if continues or best >= CONFIDENT:
            # A follow-up, or a message the base matches well (« un conflit de voisinage »):
            # the filter has to be surer.
            return turn.relevance < (OFF_TOPIC_IN_CONVERSATION if continues else OFF_TOPIC / 2)
        return turn.relevance < OFF_TOPIC

    def _continues(self, turn: Turn) -> bool:
        """Whether a message is a short one continuing the conversation on a mission, not one
        that changes the subject (« au fait, tu sais réparer une fuite ? »)."""
        return bool(
            turn.context.current_mission
            and self._size(turn.text) < 2 * CONTENT_TERMS
            and not _NEW_TOPIC.search(plain(turn.text))
        )

    def _aspect_of_mission(self, turn: Turn, exclude: Sequence[str] = ()) -> Optional[Decision]:
        """A short message naming one aspect (« quelles compétences ? », « un exemple ? ») while
        a mission is discussed: that aspect of that mission, whatever act the NLU read."""
        aspect = _aspect(turn.text)
        if aspect is None or aspect in exclude or not turn.context.current_mission:
            return None
        if self._size(turn.text) > CONTENT_TERMS:
            return None
        if _NEW_TOPIC.search(plain(turn.text)) and self._size(turn.text) >= 2:
            # « au fait, tu sais comment réparer une fuite sous l'évier ? »: another subject.
            return None
        mission = self.kb.get_mission(turn.context.current_mission)
        return Decision(FOLLOW_UP, mission=mission, aspect=aspect) if mission is not None else None

    @staticmethod
    def _unsure_act(turn: Turn) -> bool:
        """The NLU found no act, or read « out of scope » where the filter does not agree."""
        if turn.act == FALLBACK:
            return True
        return turn.act == OUT_OF_SCOPE and (turn.relevance is None or turn.relevance >= OFF_TOPIC)

    def _context_text(self, turn: Turn) -> str:
        """For a short message, the conversation it continues: the mission being discussed
        and the officer's previous message."""
        if self._size(turn.text) >= 2 * CONTENT_TERMS:
            return ""
        parts = [turn.context.previous_text]
        if turn.context.current_mission:
            mission = self.kb.get_mission(turn.context.current_mission)
            parts.append(mission.title if mission else "")
        return " ".join(part for part in parts if part)

    def _has_content(self, text: str) -> bool:
        return self._size(text) >= 2

    def _words(self, text: str) -> int:
        """How many content words a message has besides a rank reference, known or not."""
        return self.kb.word_count(text, ignore=REFERENCE_WORDS)

    def _size(self, text: str) -> int:
        """How many search terms a message carries besides a rank reference."""
        return len(self.kb.content_terms(text, ignore=REFERENCE_WORDS))

    def _suggest(self, hits: Sequence[SearchHit]) -> Decision:
        suggestions = tuple(self.kb.suggestions(hits))
        return Decision(SUGGEST, suggestions=suggestions) if suggestions else Decision(NO_SUGGESTION)


def _without(folded: str, match: PhaseMatch) -> str:
    """A folded text without the phase name ``match`` found in it (word positions)."""
    words = folded.split()
    return " ".join(words[: match.start] + words[match.end :])


def _best(hits: Sequence[SearchHit]) -> float:
    """The highest search score among hits (the first hit is the most relevant, which
    also weighs the content classifier, not always the highest score)."""
    return max(hit.score for hit in hits)


def rank_index(rank: Optional[str], words: Sequence[str]) -> Optional[int]:
    """Zero-based index named by « la deuxième », « 2 », « la 3e », « la dernière »; -1 for
    the last; ``None`` when no rank is named."""
    if rank == "last" or any(word in _LAST_WORDS for word in words):
        return -1
    if rank and rank.isdigit():
        return int(rank) - 1
    for word in words:
        if word in _RANK_WORDS:
            return _RANK_WORDS[word] - 1
        if _RANK_NUMBER.fullmatch(word):
            return int(word) - 1
    return None


# « Et côté financements ? », « et au niveau des élus ? »: the same project, another topic.
_OTHER_SIDE = re.compile(
    r"^(?:et |mais |ok |bon )*(?:cote|du cote|au niveau|niveau|concernant|en ce qui concerne|pour ce qui est|"
    r"s agissant|quid|et pour (?:le|la|les|l) (?!suite\b))\b"
)
# A message that opens another subject, whatever mission was being discussed.
_NEW_TOPIC = re.compile(
    r"^(?:(?:bon|ok|merci|et) )*(?:au fait|sinon|rien a voir|autre chose|autre question|autre sujet|"
    r"question differente|changement de sujet|changeons de sujet|hors sujet|petite question)\b"
)
# Words that ask about one aspect of the mission being discussed, for messages the NLU was
# unsure about (« c'est quoi les compétences derrière ? »).
_ASPECT_WORDS = (
    (DETAILS, ("competence", "competences", "savoir faire", "qualites")),
    (EXAMPLE, ("exemple", "exemples", "cas concret", "retour d experience")),
    (PITFALLS, ("piege", "pieges", "erreur", "erreurs", "eviter", "risque", "risques", "vigilance")),
    (WHEN, ("quand", "quel moment", "a quelle etape", "dans quelle phase")),
    (WHY, ("pourquoi", "interet", "a quoi ca sert", "a quoi bon")),
    (HOW, ("comment", "concretement", "on fait quoi", "je fais quoi", "par quoi")),
)


# Words that name the « how » itself, unlike « comment » alone.
_HOW_NAMED = ("concretement", "comment faire", "comment s y prendre")


def _aspect(text: str) -> Optional[str]:
    named = _aspects(text)
    return named[0] if named else None


def _named_aspect(text: str) -> Optional[str]:
    """The aspect a follow-up names, when it names exactly one (« et les pièges ? »); ``None``
    when it names none or several (« pourquoi faut-il éviter ça ? »). « Comment », « on fait
    quoi » name no aspect of their own: « et on fait quoi une fois que c'est fait ? » is next."""
    named = [aspect for aspect in _aspects(text) if aspect != HOW]
    if not named and any(f" {word} " in f" {plain(text)} " for word in _HOW_NAMED):
        return HOW  # « et concrètement ? »
    return named[0] if len(named) == 1 else None


def _aspects(text: str) -> List[str]:
    """The aspects whose words a message has, in the order of _ASPECT_WORDS."""
    folded = f" {plain(text)} "
    return [aspect for aspect, words in _ASPECT_WORDS if any(f" {word} " in folded for word in words)]


def _is_phase_rank(text: str) -> bool:
    words = fold(text).split()
    return _noun(words) == "phase" and rank_index(None, words) is not None and len(words) <= 8


def _noun(words: Sequence[str]) -> Optional[str]:
    """The kind of list a rank points into: the noun right after the rank word (« la quatrième
    mission de cette phase » is a mission), else any list noun of the message."""
    words = [word.rsplit("'", 1)[-1] for word in words]  # « l'étape 2 »
    if "plan" in words:
        # « la première étape du plan »: a mission of the diagnostic's plan, not a step of one.
        return "mission"
    ranks = [
        i for i, word in enumerate(words) if word in _RANK_WORDS or word in _LAST_WORDS or _RANK_NUMBER.fullmatch(word)
    ]
    following = words[ranks[0] + 1 : ranks[0] + 3] if ranks else ()
    for word in following:
        if word in _PHASE_NOUNS:
            return "phase"
        if word in _STEP_NOUNS:
            return "step"
        if word in _MISSION_NOUNS:
            return "mission"
    if any(word in _PHASE_NOUNS for word in words):
        return "phase"
    if any(word in _STEP_NOUNS for word in words):
        return "step"
    if any(word in _MISSION_NOUNS for word in words):
        return "mission"
    return None


def _item(items: list, index: int):
    return items[index] if items and -len(items) <= index < len(items) else None
