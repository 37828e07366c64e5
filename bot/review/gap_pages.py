"""The knowledge-gap report page, ``/review/lacunes``: what the assistant handled badly over a
period of whole weeks, by nearest mission and by shared terms (the logic is in gaps.py).

The period runs from a Monday to the chosen last day: 8 weeks by default, 26 at most (the
weekly counts are columns of a table, and half a year already makes a wide one).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import List, Mapping, Optional, Tuple

from aiohttp import web

from bot.review import gaps
from bot.review.auth import Auth
from bot.review.console import Console
from bot.review.forms import confidence_threshold, read_day
from bot.review.queries import local_zone

DEFAULT_WEEKS = 8
MAX_WEEKS = 26


class GapPages:
    def __init__(self, console: Console, auth: Auth, vocabulary: Optional[gaps.KnowledgeVocabulary] = None) -> None:
        self.console = console
        self.auth = auth
        self.vocabulary = vocabulary or gaps.KnowledgeVocabulary()

    async def report(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        today = datetime.now(local_zone()).date()
        criteria, errors = criteria_from_query(request.query, today)
        vocabulary = await self.console.db(self.vocabulary.get)

        def read() -> gaps.GapReport:
            with self.console.store.session() as session:
                return gaps.gap_report(session, criteria, vocabulary)

        report = await self.console.db(read)
        return self.console.page(
            "gaps.html",
            trainer=trainer,
            report=report,
            errors=errors,
            signals=gaps.SIGNALS,
            other_theme=gaps.OTHER_THEME,
            examples=gaps.EXAMPLES,
        )


def criteria_from_query(query: Mapping[str, str], today: date) -> Tuple[gaps.GapCriteria, List[str]]:
    """The report's period, threshold and signal from the address; what makes no sense is
    replaced by the default, with a French note."""
    errors: List[str] = []

    def day(name: str, label: str) -> Optional[date]:
        return read_day(query, name, label, errors)

    date_to = day("au", "de fin") or today
    date_from = day("du", "de début")
    if date_from is not None and date_from > date_to:
        errors.append("Date de début postérieure à la date de fin : période par défaut.")
        date_from = None
    if date_from is not None and date_from < _monday(date_to) - timedelta(weeks=MAX_WEEKS - 1):
        errors.append(f"Période ramenée à {MAX_WEEKS} semaines, le plus long que le rapport affiche.")
        date_from = _monday(date_to) - timedelta(weeks=MAX_WEEKS - 1)
    if date_from is None:
        date_from = _monday(date_to) - timedelta(weeks=DEFAULT_WEEKS - 1)
    threshold = gaps.LOW_CONFIDENCE
    raw = query.get("confiance", "").strip()
    if raw:
        try:
            threshold = confidence_threshold(raw)
        except ValueError:
            errors.append("Seuil de confiance ignoré : un nombre entre 0 et 1 est attendu.")
    signal = query.get("signal", "")
    if signal and signal not in gaps.SIGNALS:
        errors.append("Signal inconnu ignoré : tous les signaux sont affichés.")
        signal = ""
    return gaps.GapCriteria(date_from, date_to, threshold, signal), errors


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def routes(console: Console, auth: Auth) -> List[Tuple]:
    pages = GapPages(console, auth)
    return [("GET", "/lacunes", pages.report)]
