"""Start-up check: a missing or corrupt knowledge base is rebuilt from the content, once,
instead of every question failing (or the action server crashing in a loop)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Optional

from bot.kb.content import DEFAULT_CONTENT_DIR, load_content
from bot.kb.db import database_url, make_engine
from bot.kb.loader import build
from bot.kb.service import KnowledgeBase, KnowledgeBaseUnavailable
from bot.text import FrenchAnalyzer, default_analyzer

logger = logging.getLogger(__name__)


def ensure_readable(
    url: Optional[str] = None, content_dir: Path = DEFAULT_CONTENT_DIR, analyzer: Optional[FrenchAnalyzer] = None
) -> bool:
    """Rebuild the knowledge base if it cannot be read or is empty; True if it was rebuilt.

    A corrupt SQLite file is kept aside (``*.corrompu-<horodatage>``) for inspection.
    """
    url = database_url(url)
    try:
        if KnowledgeBase.from_url(url, analyzer).list_missions():
            return False
        logger.error("Base de connaissances vide (%s) : reconstruction depuis %s.", url, content_dir)
    except KnowledgeBaseUnavailable:
        logger.error("Base de connaissances illisible (%s) : reconstruction depuis %s.", url, content_dir)
    path = _sqlite_path(url)
    if path is not None and path.exists():
        aside = path.with_name(f"{path.name}.corrompu-{int(time.time())}")
        path.rename(aside)
        logger.error("Ancien fichier conservé sous %s.", aside)
    build(make_engine(url), load_content(content_dir), analyzer or default_analyzer())
    return True


def _sqlite_path(url: str) -> Optional[Path]:
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return Path(url[len(prefix) :])
    return None
