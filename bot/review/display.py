"""What the console's pages show beside the index: mission and phase titles from the
knowledge base, the domain's intents, and the template filters that format values."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

from bot.review import queries

logger = logging.getLogger(__name__)

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
# While the knowledge base is unreadable, how long pages show ids before it is read again.
RETRY_SECONDS = 30.0
Labels = Dict[str, Dict[str, str]]


def known_intents() -> List[str]:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    return sorted(name if isinstance(name, str) else next(iter(name)) for name in domain.get("intents", []))


def read_knowledge_labels() -> Labels:
    """Mission and phase titles by id, read from the knowledge base (``KB_DATABASE_URL``)."""
    from bot.kb.db import make_engine, make_session_factory
    from bot.kb.service import KnowledgeBase

    engine = make_engine()
    try:
        kb = KnowledgeBase(make_session_factory(engine))
        return {
            "mission": {mission.id: mission.title for mission in kb.list_missions()},
            "phase": {phase.id: phase.label for phase in kb.list_phases(include_transversal=True)},
        }
    finally:
        engine.dispose()


class KnowledgeLabels:
    """The titles, read again every ``RETRY_SECONDS`` (a title published from the console or
    rebuilt from git shows within that time); ids alone while the knowledge base cannot be read
    (a console started before ``make kb`` shows the titles as soon as the base exists)."""

    def __init__(self, read: Callable[[], Labels] = read_knowledge_labels, clock=time.monotonic) -> None:
        self._read = read
        self._clock = clock
        self._labels: Optional[Labels] = None
        self._next_try = 0.0

    def get(self) -> Labels:
        if self._clock() >= self._next_try:
            self._next_try = self._clock() + RETRY_SECONDS
            try:
                self._labels = self._read()
            except Exception:  # noqa: BLE001 - titles are a comfort, not a requirement
                logger.warning("Base de connaissances illisible : la console affiche les identifiants des missions.")
        return self._labels or {"mission": {}, "phase": {}}

    def forget(self) -> None:
        """Read the titles again at the next page (after a publish)."""
        self._next_try = 0.0


def filters(labels: KnowledgeLabels) -> Dict[str, Callable]:
    """The Jinja filters of the console's templates."""
    return {
        "when": when,
        "percent": lambda value: "" if value is None else f"{value * 100:.0f} %",
        "mission_label": lambda value: labels.get()["mission"].get(value, value),
        "score": lambda value: "" if value is None else f"{value:.2f}".replace(".", ","),
    }


def when(timestamp: Optional[float]) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, queries.local_zone()).strftime("%d/%m/%Y %H:%M:%S")
