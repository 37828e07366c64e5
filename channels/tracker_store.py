"""Rasa's SQL tracker store, pointed at ``TRACKER_DATABASE_URL``.

Default: the SQLite file ``var/tracker.sqlite3`` (no server to run). A deployment sets, for
example, ``TRACKER_DATABASE_URL=postgresql+psycopg2://rasa@db/rasa`` and every replica writes
the same log. The review console reads the same URL (bot.review.config).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.review.config import tracker_database_url

logger = logging.getLogger(__name__)


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose whole URL comes from the environment."""

    def __init__(self, domain: Optional[Any] = None, event_broker: Optional[Any] = None, **kwargs: Any) -> None:
        url = tracker_database_url()
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        logger.info("Journal des conversations : %s", parsed.render_as_string(hide_password=True))
        kwargs.pop("host", None)
        # A host containing "://" is used by Rasa as the complete SQLAlchemy URL.
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's query, reading only the ``data`` column: building an ORM object for every
        stored event was half of the read time of a conversation (py-spy, BENCHMARKS.md)."""
        with self.session_scope() as session:
            rows = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions)
                .with_entities(self.SQLEvent.data)
                .all()
            )
        events = [json.loads(data) for (data,) in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
