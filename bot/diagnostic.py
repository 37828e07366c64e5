"""The guided diagnostic: reading the officer's answers and building a tailored plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from bot.kb.records import MissionSummary
from bot.kb.service import KnowledgeBase
from bot.text import fold, plain

VOLUNTARY = "voulue"
IMPOSED = "imposee"

# Word stems of the officers' answers, compared on accent-free, lower-case text.
_IMPOSED_WORDS = (
    "impos",
    "oblig",
    "forc",
    "contrain",
    "financeur",
    "condition",
    "appel a projet",
    "exig",
    "pas le choix",
    "pas eu le choix",
    "pouss",
    "incit",
    "sollicit",
    "a la demande",
    "nous a demande",
    "on nous a demande",
)
_VOLUNTARY_WORDS = ("voulu", "souhait", "chois", "volont", "initiative", "envie", "spontan", "decid", "libre")
# How officers describe where their cooperation stands, when they name no phase: « on commence
# tout juste, on se réunit », « les actions sont lancées », « on a voté le plan d'action »,
# « ça tourne depuis des années ».
# Longer phrases first: « pas encore commencé » is the prerequisites, not « commencé ».
_STAGE_WORDS = {
    "prerequisites": (
        "pas encore commence", "pas encore demarre", "rien n a commence", "rien n a demarre", "pas encore lance",
        "decouvr", "je debarque", "je viens d arriver", "on vient d arriver", "je prends le poste",
        "etat des lieux", "on s informe", "on se renseigne", "avant de commencer", "avant de demarrer",
    ),
    "emergence": (
        "debut", "commenc", "demarr", "naitre", "naiss", "emerg", "se reunit", "se reunir", "reunir",
        "on se rencontre", "premieres rencontres", "premieres reunions", "monte", "montage", "monter",
        "lance", "idee", "constru", "tout juste", "on reflechit", "reflexion",
    ),
    "implementation": (
        "realis", "concret", "en cours", "deroul", "oeuvre", "mis en place", "met en place", "mettre en place",
        "actions lancees", "actions sont lancees", "operationnel", "deploi", "on avance", "ca avance",
        "en route", "en marche", "on agit", "dans les actions", "dans l action", "en pleine action",
        "plan d action", "plans d action", "programme d action", "feuille de route", "convention signee",
        "convention est signee", "on a signe", "on a vote", "a ete vote", "ont vote", "on a valide", "adopte",
    ),
    "sustainability": (
        "durer", "perenn", "fin du", "se termine", "termin", "s acheve", "bilan", "apres le projet",
        "la suite", "renouvel", "depuis des annees", "plusieurs annees", "ans que", "s essouffl", "fin des",
        "finit", "prend fin", "s arrete",
    ),
}  # fmt: skip
_STAGE_PHRASES = sorted(
    ((phrase, phase) for phase, phrases in _STAGE_WORDS.items() for phrase in phrases), key=lambda item: -len(item[0])
)
_PARTNER_KINDS = (
    "commune", "mairie", "ville", "interco", "epci", "communaute", "agglo", "metropole", "departement",
    "region", "association", "asso", "petr", "pays", "parc", "chambre", "entreprise", "etat", "prefecture",
    "syndicat", "office", "etablissement", "partenaire", "structure", "service", "collectivite", "acteur",
    "elu", "gal", "caf", "universite", "lycee", "ecole", "cooperative", "federation", "reseau", "club",
    "comcom", "cdc",
)  # fmt: skip
# Short names that are a kind of partner only as whole words (« cc » in « cc d'à côté »).
_PARTNER_WORDS = {"cc": "comcom"}
_NUMBER_WORDS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "douze": 12, "quinze": 15, "vingt": 20, "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20,
}  # fmt: skip
# An answer that stops the diagnostic, whatever the question: « laisse tomber », « on verra
# plus tard », « en fait non, annule ». Matched on accent-free text, as whole words.
_CANCEL = re.compile(
    r"\b(?:annule|annuler|annulez|annulons|laisse tomber|laissez tomber|laissons tomber|on laisse tomber|stop|"
    r"stoppe|on arrete|arrete(?: tout| la| le| ca)?$|arretons|on verra (?:plus tard|ca)|une autre fois|"
    r"pas maintenant|j ai pas le temps|je n ai pas le temps|en fait non|finalement non|"
    r"oublie(?:z)? (?:ca|le diagnostic|le questionnaire)|on reprendra|on en reste la|restons en la|"
    r"je prefere (?:ne pas continuer|ne pas poursuivre|arreter|en rester la)|"
    r"(?:(?:ne )?pas|plus) (?:continuer|poursuivre) (?:ce|le|cette) (?:diagnostic|questionnaire|point)|"
    r"(?:arreter|stopper|interrompre) (?:ce|le|cette) (?:diagnostic|questionnaire|point)|"
    r"(?:arreter|stopper|arrete|arretez|arretons) (?:ces|vos|tes|les) questions$)\b"
)
# A short answer that names nothing: « aucune idée », « euh… bonne question », « je sais pas ».
_VAGUE = re.compile(
    r"^(?:euh+|bof|hum+|ben|bah|heu+|\s)*(?:aucune idee|bonne question|je (?:ne )?sais pas|j en sais rien|"
    r"rien de special|pas vraiment|je vois pas|difficile a dire|aucune|rien|ca va|tout va bien|pas de probleme)"
    r"(?: trop| vraiment| du tout| particulier)?$"
)
VAGUE_WORDS = 6
# Which missions the answers add to the plan, and why, is content: knowledge/diagnostic.yml.
PLAN_SIZE = (3, 5)


@dataclass(frozen=True)
class Partners:
    count: Optional[int]
    kinds: Tuple[str, ...]


@dataclass(frozen=True)
class PlanStep:
    """A step of the plan: the mission, why it is proposed, and the first thing to do."""

    mission: MissionSummary
    reason: str
    first_step: str


def read_origin(text: str) -> Optional[str]:
    """ "voulue" or "imposee" from an answer in the officer's words, or ``None``."""
    folded = fold(text)
    if folded in (VOLUNTARY, IMPOSED):
        return folded
    imposed = any(word in folded for word in _IMPOSED_WORDS)
    voluntary = any(word in folded for word in _VOLUNTARY_WORDS)
    if imposed != voluntary:
        return IMPOSED if imposed else VOLUNTARY
    return None


def read_stage(text: str) -> Optional[str]:
    """The phase id an answer describes in the officer's own words, or ``None`` when it names
    none or points two ways. Each phrase found is taken out of the text, longest first, so that
    « pas encore commencé » does not also count as « commencé »."""
    folded = f" {plain(text)} "
    found: dict = {}
    for phrase, phase in _STAGE_PHRASES:
        if phrase in folded:
            found[phase] = found.get(phase, 0) + folded.count(phrase)
            folded = folded.replace(phrase, " ")
    if not found:
        return None
    best = max(found.values())
    leaders = [phase for phase, count in found.items() if count == best]
    return leaders[0] if len(leaders) == 1 else None


def is_cancel(text: str) -> bool:
    """Whether an answer asks to stop the diagnostic rather than answer the question."""
    return bool(_CANCEL.search(plain(text)))


def is_vague(text: str) -> bool:
    """Whether a short answer names nothing (the question is then asked again)."""
    folded = plain(text)
    return len(folded.split()) <= VAGUE_WORDS and bool(_VAGUE.match(folded))


def read_partners(text: str) -> Optional[Partners]:
    """Kinds and number of partners named in an answer, or ``None`` if it names neither.
    Elisions are opened (« l'office de tourisme ») and « com com » is one word."""
    words = plain(text).replace("com com", "comcom").split()
    found = (
        _PARTNER_WORDS.get(word) or next((kind for kind in _PARTNER_KINDS if word.startswith(kind)), None)
        for word in words
    )
    kinds = tuple(dict.fromkeys(kind for kind in found if kind))
    numbers = [int(word) for word in words if re.fullmatch(r"\d{1,3}", word)]
    numbers += [_NUMBER_WORDS[word] for word in words if word in _NUMBER_WORDS]
    if not kinds and not numbers:
        return None
    count = sum(numbers) if numbers else None
    if count is None and len(kinds) > 1:
        count = len(kinds)
    return Partners(count=count, kinds=kinds)


def build_plan(
    kb: KnowledgeBase, phase_id: str, partners: Optional[Partners], origin: Optional[str], difficulty: str
) -> List[PlanStep]:
    """3 to 5 ordered steps: the difficulty first, then what the origin and the number of
    partners add (knowledge/diagnostic.yml), then the key missions of the phase."""
    low, high = PLAN_SIZE
    rules = kb.get_diagnostic_rules()
    phase = kb.get_phase(phase_id)
    values = {"phase": phase.label if phase else phase_id, "count": rules.many_partners_threshold}
    plan: List[Tuple[MissionSummary, str]] = [
        (step.mission, step.reason) for step in kb.suggest_next_steps(difficulty, phase_id, limit=2)
    ]

    def add(mission: MissionSummary, reason: str) -> None:
        if len(plan) < high and all(chosen.id != mission.id for chosen, _ in plan):
            plan.append((mission, reason.format(**values)))

    added = {IMPOSED: rules.imposed, VOLUNTARY: rules.voluntary}.get(origin or "", ())
    if partners and (partners.count or 0) >= rules.many_partners_threshold:
        added += rules.many_partners
    for rule in added:
        add(rule.mission, rule.reason)
    for mission in kb.list_missions(phase_id, top_level=True):
        if len(plan) >= low:
            break
        add(mission, rules.phase_reason)
    first_steps = kb.list_first_steps([mission.id for mission, _ in plan])
    return [PlanStep(mission, reason, first) for (mission, reason), first in zip(plan, first_steps, strict=True)]
