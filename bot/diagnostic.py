"""The guided diagnostic: reading the officer's answers and building a tailored plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from bot.kb.records import Suggestion
from bot.kb.service import KnowledgeBase
from bot.text import fold

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
)
_VOLUNTARY_WORDS = ("voulu", "souhait", "chois", "volont", "initiative", "envie", "spontan", "decid", "libre")
_PARTNER_KINDS = (
    "commune", "mairie", "ville", "interco", "epci", "communaute", "agglo", "metropole", "departement",
    "region", "association", "asso", "petr", "pays", "parc", "chambre", "entreprise", "etat", "prefecture",
    "syndicat", "office", "etablissement", "partenaire", "structure", "service", "collectivite", "acteur",
    "elu", "gal", "caf", "universite", "lycee", "ecole", "cooperative", "federation", "reseau", "club",
)  # fmt: skip
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
    r"oublie(?:z)? (?:ca|le diagnostic|le questionnaire)|on reprendra)\b"
)
# A short answer that names nothing: « aucune idée », « euh… bonne question », « je sais pas ».
_VAGUE = re.compile(
    r"^(?:euh+|bof|hum+|ben|bah|heu+|\s)*(?:aucune idee|bonne question|je (?:ne )?sais pas|j en sais rien|"
    r"rien de special|pas vraiment|je vois pas|difficile a dire|aucune|rien|ca va|tout va bien|pas de probleme)"
    r"(?: trop| vraiment| du tout| particulier)?$"
)
VAGUE_WORDS = 6
MANY_PARTNERS = 4
PLAN_SIZE = (3, 5)

REASON_IMPOSED = "La coopération est née d'un cadre imposé par un financement : il faut en faire un projet partagé."
REASON_IMPOSED_TRUST = "Un « mariage forcé » suscite des doutes : rassurer et montrer la valeur ajoutée."
REASON_VOLUNTARY = "Une coopération voulue gagne à être structurée tôt : chef de file, gouvernance, fonctionnement."
REASON_MANY_PARTNERS = "Avec {count} partenaires ou plus, la complexité multi-partenaires se pilote."
REASON_PHASE = "Mission clé de la phase « {phase} » où vous vous trouvez."


@dataclass(frozen=True)
class Partners:
    count: Optional[int]
    kinds: Tuple[str, ...]


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


def is_cancel(text: str) -> bool:
    """Whether an answer asks to stop the diagnostic rather than answer the question."""
    return bool(_CANCEL.search(fold(text).replace("'", " ")))


def is_vague(text: str) -> bool:
    """Whether a short answer names nothing (the question is then asked again)."""
    folded = fold(text).replace("'", " ")
    return len(folded.split()) <= VAGUE_WORDS and bool(_VAGUE.match(folded))


def read_partners(text: str) -> Optional[Partners]:
    """Kinds and number of partners named in an answer, or ``None`` if it names neither."""
    words = fold(text).split()
    found = (next((kind for kind in _PARTNER_KINDS if word.startswith(kind)), None) for word in words)
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
) -> List[Suggestion]:
    """3 to 5 ordered steps: the difficulty first, then what the origin, the number of
    partners and the phase call for."""
    low, high = PLAN_SIZE
    plan: List[Suggestion] = list(kb.suggest_next_steps(difficulty, phase_id, limit=2))
    missions = {mission.id: mission for mission in kb.list_missions()}

    def add(mission_id: str, reason: str) -> None:
        if len(plan) < high and mission_id in missions and all(step.mission.id != mission_id for step in plan):
            plan.append(Suggestion(missions[mission_id], reason, 0.0))

    if origin == IMPOSED:
        add("understand_cooperation_nature", REASON_IMPOSED)
        add("build_trust", REASON_IMPOSED_TRUST)
    elif origin == VOLUNTARY:
        add("build_partnerships", REASON_VOLUNTARY)
    if partners and (partners.count or 0) >= MANY_PARTNERS:
        add("grasp_complexity", REASON_MANY_PARTNERS.format(count=MANY_PARTNERS))
    phase = kb.get_phase(phase_id)
    for mission in kb.list_missions(phase_id, top_level=True):
        if len(plan) >= low:
            break
        add(mission.id, REASON_PHASE.format(phase=phase.label))
    return plan
