"""Where the point of a French message lies: which of its clauses to search, and how much.

Officers write « Pas de souci d'argent, c'est la gouvernance qui coince », « Merci ! Autre
chose : … » or three sentences of background before the real question. A search over the
whole message would lead with the topic they set aside. The message is cut into clauses
(sentences, then contrast words such as « mais », « par contre »), and each clause gets a
weight:

- a clause that sets a topic aside (« pas de souci de … », « aucun problème », « ce n'est
  pas ça », « c'est réglé », « on a déjà … », « oubliez … », « laissons de côté … ») weighs
  nothing, as does a bare greeting or thanks;
- the clause the officer points at (after « mais », « par contre », « sauf que »; after
  « ma question », « autre chose », « le vrai problème », « ce qui coince ») weighs fully,
  and the other clauses then weigh less (background).

A problem stated with a negation (« les élus ne se parlent pas ») is not a topic set aside:
only a negated *problem word* or a dismissal is. When no clause is left, the whole message
is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Tuple

from bot.text import plain

BACKGROUND = 0.5

_SENTENCES = re.compile(r"(?<=[.!?;:…])\s+|\n+|,\s+")
# Words that turn to what matters; the clause after them is the focus.
# « cependant », « pourtant » turn only after a comma: « ils doivent pourtant siéger
# ensemble » goes on with the sentence, it does not bring its point.
_CONTRAST = re.compile(
    r"\s*(?:,|\s)\s*(?=\b(?:mais|par contre|en revanche|sauf que|au contraire|"
    r"en fait|seulement voila|le hic)\b)|\s*,\s*(?=\b(?:cependant|pourtant)\b)",
    re.IGNORECASE,
)
_FOCUS_START = re.compile(
    r"^(?:mais|par contre|en revanche|sauf que|cependant|pourtant|au contraire|en fait|seulement voila|le hic)\b"
)
_FOCUS_CUES = re.compile(
    r"\b(?:ma (?:vraie )?question|autre chose|question rapide|autre question|question differente|autre sujet|"
    r"(?:le|mon|notre) (?:vrai |seul |principal |gros )?(?:probleme|souci|blocage|sujet|hic|point dur)|"
    r"ce qui (?:manque|coince|bloque|pose (?:probleme|souci)|m inquiete|me preoccupe|cloche)|"
    r"c est (?:surtout|plutot|juste|seulement|vraiment|celle|celui|ceux|celles|cote) |"
    r"je (?:voudrais|veux|voulais|souhaite|aimerais) (?:savoir|comprendre)|ce que je (?:veux|voudrais) savoir|"
    r"la (?:vraie )?question|en vrai|la tout de suite|dans l immediat|"
    r"ce que je (?:maitrise mal|ne maitrise pas|ne sais pas faire|sais mal faire)|ce qui me manque|"
    r"la ou (?:je|on) (?:coince|bloque|galere|peche)|mon point faible|"
    r"qui (?:coince|bloque|pose (?:probleme|souci)|cloche|manque)\b)"
)
_PROBLEM_WORDS = (
    r"(?:souci|soucis|probleme|problemes|pb|conflit|conflits|difficulte|difficultes|inquietude|blocage|"
    r"tension|tensions|question|sujet|souci a se faire)"
)
# « Ce n'est pas mon équipe qui pose problème », « ce n'est pas tant l'animation des réunions qui
# coince », « le problème n'est pas la communication »: the problem is elsewhere, not here.
_NOT_THIS = re.compile(
    r"\bce n est pas (?:\w+ ){1,3}(?:qui|que)\b"
    r"|\b(?:ne|n) (?:porte|portent|concerne|concernent) pas (?:sur|vraiment|tant)?\b"
    r"|\bce n est pas (?:\w+ ){1,6}qui (?:coince|bloque|pose|cloche|manque|gene|inquiete)\b"
    r"|\b(?:(?:le|mon|notre) (?:vrai |seul |principal |gros )?(?:probleme|souci|blocage|sujet|point dur)|"
    r"ce qui (?:manque|coince|bloque|pose (?:probleme|souci)|cloche)),? (?:ce |c )?n est pas\b"
)
_DISMISSALS = re.compile(
    r"\b(?:"
    r"(?:pas|plus|aucun|aucune|sans|ni|zero) (?:de |d |du |des |le |la |les |un |une |vrai |vraie |gros )*"
    + _PROBLEM_WORDS
    + r"|pas besoin de"
    r"|ce n est pas (?:ca|cela|le (?:sujet|souci|probleme)|la (?:question|difficulte)|qu on|que)"
    r"|(?:n est|ne sont) pas (?:le|la|un|une|du|de|en) ?(?:sujet|souci|probleme|question|cause)?"
    r"|(?:est|sont|c est) (?:deja |bien |tout a fait )?(?:regle|regles|reglee|boucle|bouclee|clair|clairs|claire|"
    r"acquis|acquise|signe|signee|ok|valide|validee|finance|financee|convaincu|convaincus|d accord|bon|bien)\b"
    r"|on a deja|ils ont deja|nous avons deja|il y a deja|c est fait"
    r"|(?:on|nous|je) (?:connait|connaissons|connais|maitrise|maitrisons) (?:deja |bien |tres bien |par coeur )+"
    r"|(?:j ai|on a|nous avons|ils ont) (?:obtenu|eu|decroche) (?:l |leur |un |une |le |la )?"
    r"(?:accord|feu vert|aval|validation|soutien)"
    r"|(?:on a|nous avons|j ai|ils ont) (?:bien |enfin )?(?:regle|tranche|resolu|boucle)\b"
    r"|je ne (?:cherche|parle|demande) pas|je ne veux pas (?:parler|aborder|traiter|revenir)"
    r"|ne m interesse(?:nt)? pas|pas pour (?:l instant|le moment|maintenant)"
    r"|on verra (?:plus tard|apres|ca plus tard|ca apres)|(?:ca|cela) (?:peut attendre|attendra|viendra apres)"
    r")"
    r"|" + _NOT_THIS.pattern
)
# A clause that opens by setting its topic aside: « Oubliez la question du chef de file »,
# « laissons de côté le budget ». Its words (« la question ») do not make it the focus.
_SET_ASIDE = re.compile(
    r"^(?:oublie|oubliez|oublions|on oublie|laisse de cote|laissez de cote|laissons de cote|je laisse de cote|"
    r"mettons de cote|passons sur|peu importe|ne parlons pas (?:de|du|des|d))\b"
)
_SMALL_TALK = re.compile(
    r"^(?:bonjour|bonsoir|salut|hello|coucou|re|hey|merci|top|super|parfait|ok|d accord|genial|cool|"
    r"question rapide|autre chose|autre question|question differente|autre sujet|une question|j ai une question|"
    r"petite question)\b"
)
# Thanks for what was said, however long: « merci pour tes conseils sur le chef de file ».
_THANKS_FOR = re.compile(r"^(?:ok |super |top )?merci (?:beaucoup |bien |encore )?(?:pour|de|du|des)\b")
# A dismissal that names no topic of its own sets aside the clause before it.
_SHORT_DISMISSAL = re.compile(
    r"^(?:on verra (?:plus tard|apres|ca plus tard|ca apres)|(?:ca|cela) (?:peut attendre|attendra|viendra apres)|"
    r"(?:c est )?(?:deja )?(?:regle|boucle|fait|acquis|ok)|pas pour (?:l instant|le moment|maintenant)|on l a deja)$"
)
# « Le projet n'est pas imposé, ce n'est pas ça » : a dismissal that points back at the clause
# before, however long it is (up to BACK_DISMISSED_WORDS words).
_BACK_DISMISSAL = re.compile(r"^(?:ce n est pas|c est pas) (?:ca|cela|le sujet|le probleme|la question)$")
BACK_DISMISSED_WORDS = 10
# « Le plan d'action est clair, les objectifs aussi » : a clause that only adds « … aussi » to a
# dismissal is set aside with it.
_ALSO = re.compile(r"^(?:et )?(?:\w+ ){1,4}(?:aussi|egalement|non plus)$")
SMALL_TALK_WORDS = 6  # a greeting or thanks longer than this says something else too
_CUE_ONLY = re.compile(
    r"^(?:(?:bon|alors|bref|du coup|en vrai|sinon|la|maintenant) )*"
    r"(?:question rapide|autre chose|autre question|question differente|autre sujet|une question|"
    r"ma (?:vraie )?question|petite question|"
    r"mais|par contre|en revanche|sauf que|cependant|pourtant|au contraire|en fait|le hic|"
    r"(?:le|mon|notre) (?:vrai |seul |principal |gros )?(?:probleme|souci|blocage|sujet)|"
    r"ce qui (?:manque|coince|bloque|pose (?:probleme|souci)|cloche)(?: maintenant)?|"
    r"ce que je (?:maitrise mal|ne maitrise pas|ne sais pas faire|sais mal faire)|ce qui me manque|"
    r"la ou (?:je|on) (?:coince|bloque|galere|peche)|mon point faible)"
    r"(?: c est| c est que| ce serait| est)?$"
)


# accent-free lower case with elisions opened (« n'est » → « n est »); a clause is folded several
# times while the message is weighed.
fold = lru_cache(maxsize=4096)(plain)


@dataclass(frozen=True)
class Clause:
    text: str
    weight: float


def clauses(text: str) -> List[Clause]:
    """The clauses of a message with the weight each should have in a search."""
    return list(_clauses(text or ""))


@lru_cache(maxsize=1024)
def _clauses(text: str) -> Tuple[Clause, ...]:
    """clauses(), remembered: a message is weighed once however often it is read."""
    return tuple(_weigh(text))


def _weigh(text: str) -> List[Clause]:
    pieces: List[Tuple[str, bool]] = []
    for sentence in _SENTENCES.split(text or ""):
        parts = [part for part in _CONTRAST.split(sentence) if part and part.strip(" ,")]
        for part in parts:
            folded = fold(part)
            if folded:
                focus = bool(_FOCUS_START.match(folded) or _FOCUS_CUES.search(folded))
                aside = _NOT_THIS.search(folded) or _SET_ASIDE.match(folded)
                pieces.append((part.strip(" ,"), focus and not aside))
    if not pieces:
        return []
    # « Autre chose : … »: a cue alone points at the clause after it.
    pieces = [
        (part, focus or (index > 0 and bool(_CUE_ONLY.match(fold(pieces[index - 1][0])))))
        for index, (part, focus) in enumerate(pieces)
    ]
    focused = any(focus for part, focus in pieces if not _small_talk(part))
    pieces = [(part, focus and not _CUE_ONLY.match(fold(part))) for part, focus in pieces]
    weighted = []
    for index, (part, focus) in enumerate(pieces):
        folded = fold(part)
        if _small_talk(part):
            weight = 0.0
        elif focus:
            weight = 1.0
        elif _dismisses(folded) and _another_clause_counts(pieces, index):
            weight = 0.0
            before = len(fold(pieces[index - 1][0]).split()) if index else 0
            if index and (
                (_SHORT_DISMISSAL.match(folded) and before <= 4)
                or (_BACK_DISMISSAL.match(folded) and before <= BACK_DISMISSED_WORDS)
            ):
                # « La communication, on verra plus tard » : the topic set aside is the clause before.
                weighted[index - 1] = Clause(weighted[index - 1].text, 0.0)
        elif (
            index and weighted[index - 1].weight == 0 and _ALSO.match(folded) and not _small_talk(pieces[index - 1][0])
        ):
            weight = 0.0  # « … est clair, les objectifs aussi »
        else:
            weight = BACKGROUND if focused else 1.0
        weighted.append(Clause(part, weight))
    if not any(clause.weight for clause in weighted):
        return [Clause(text.strip(), 1.0)]
    return weighted


def _another_clause_counts(pieces: List[Tuple[str, bool]], index: int) -> bool:
    """A dismissal only drops its clause when the message says something else too."""
    return any(
        other != index and not _small_talk(part) and not _dismisses(fold(part))
        for other, (part, _focus) in enumerate(pieces)
    )


def _dismisses(folded: str) -> bool:
    """Whether a clause sets its topic aside (« pas de souci de… », « oubliez… »)."""
    return bool(_DISMISSALS.search(folded) or _SET_ASIDE.match(folded))


def _small_talk(part: str) -> bool:
    folded = fold(part)
    if _THANKS_FOR.match(folded):
        return True  # « Merci pour la réponse sur le chef de file » is about the answer given
    return bool(_SMALL_TALK.match(folded) or _CUE_ONLY.match(folded)) and len(folded.split()) <= SMALL_TALK_WORDS


def forget() -> None:
    """Empty the memos (benchmarks measure messages seen for the first time)."""
    fold.cache_clear()
    _clauses.cache_clear()


def kept_text(text: str) -> str:
    """The message without what it sets aside (weight 0): the point and its background.

    The content classifier reads this: the search already weighs background less, and a
    situation described before the question (« on a sept actions… je découvre les retards »)
    tells the classifier what the question is about."""
    kept = [clause.text for clause in clauses(text) if clause.weight > 0]
    return " ".join(kept) if kept else (text or "").strip()
