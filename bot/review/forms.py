"""The list's filters in the page address (French parameter names) and back."""

from __future__ import annotations

from datetime import date
from typing import Dict, List, Mapping, Optional, Tuple

from bot.review.annotations import STATES
from bot.review.queries import ANNOTATED, FORM_STATES, NOT_ANNOTATED, SORTS, ConversationFilter

TEXT_LIMIT = 200


def _checked(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "") in ("1", "on", "oui")


def confidence_threshold(text: str) -> float:
    """A threshold between 0 and 1, written with a comma or a dot; ValueError otherwise."""
    value = float(text.replace(",", "."))
    if not 0 <= value <= 1:
        raise ValueError(text)
    return value


def read_day(query: Mapping[str, str], name: str, label: str, errors: List[str]) -> Optional[date]:
    """The date of a form field (AAAA-MM-JJ), or None; a wrong one adds a French note to ``errors``."""
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"Date {label} ignorée : format attendu AAAA-MM-JJ.")
        return None


def filter_from_query(query: Mapping[str, str]) -> Tuple[ConversationFilter, List[str]]:
    """Read the filters; a value that makes no sense is dropped with a French note."""
    errors: List[str] = []

    def day(name: str, label: str) -> Optional[date]:
        return read_day(query, name, label, errors)

    confidence = None
    raw = query.get("confiance", "").strip()
    if raw:
        try:
            confidence = confidence_threshold(raw)
        except ValueError:
            errors.append("Seuil de confiance ignoré : un nombre entre 0 et 1 est attendu.")
    form = query.get("formulaire", "")
    annotation = query.get("annotation", "")
    sort = query.get("tri", "last")
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    try:
        page_size = int(query.get("par_page", "50"))
    except ValueError:
        page_size = 50
    criteria = ConversationFilter(
        date_from=day("du", "de début"),
        date_to=day("au", "de fin"),
        text=query.get("texte", "")[:TEXT_LIMIT],
        intent=query.get("intention", "")[:255],
        confidence_below=confidence,
        fallback=_checked(query, "repli"),
        out_of_scope=_checked(query, "hors_perimetre"),
        mission=query.get("mission", "")[:255],
        phase=query.get("phase", "")[:255],
        form=form if form in FORM_STATES else "",
        annotation=annotation if annotation in STATES or annotation in (ANNOTATED, NOT_ANNOTATED) else "",
        sort=sort if sort in SORTS else "last",
        descending=query.get("ordre", "desc") != "asc",
        page=page,
        page_size=page_size if page_size in (20, 50, 100, 200) else 50,
    )
    return criteria, errors


def query_of(criteria: ConversationFilter) -> Dict[str, str]:
    """The address parameters that give these filters back (empty ones left out)."""
    values = {
        "du": criteria.date_from.isoformat() if criteria.date_from else "",
        "au": criteria.date_to.isoformat() if criteria.date_to else "",
        "texte": criteria.text,
        "intention": criteria.intent,
        "confiance": "" if criteria.confidence_below is None else str(criteria.confidence_below),
        "repli": "1" if criteria.fallback else "",
        "hors_perimetre": "1" if criteria.out_of_scope else "",
        "mission": criteria.mission,
        "phase": criteria.phase,
        "formulaire": criteria.form,
        "annotation": criteria.annotation,
        "tri": criteria.sort,
        "ordre": "desc" if criteria.descending else "asc",
        "par_page": str(criteria.page_size),
    }
    return {key: value for key, value in values.items() if value}
