"""The review console's database: engine, tables, sessions and index refresh in one place."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.kb.db import make_engine, make_session_factory
from bot.review import content_history, indexer, training_jobs  # noqa: F401 (their tables join Base)
from bot.review.models import EVENTS, Annotation, AnnotationChange, Base, Conversation, Tag, Turn

logger = logging.getLogger(__name__)

SYNC_ATTEMPTS = 3


class ReviewStore:
    """Opens the tracker database (``TRACKER_DATABASE_URL``) and keeps the index current."""

    def __init__(self, url: str) -> None:
        # No connection here: the web server starts even while the database is unreachable,
        # and the console says so on its pages until it is back.
        self.engine = make_engine(url)
        self._sessions = make_session_factory(self.engine)
        self._sync_lock = threading.Lock()
        self._tables_ready = False

    def create_tables(self) -> None:
        """Create the events table if Rasa has not yet, and the console's tables; idempotent."""
        if not self._tables_ready:
            # Rasa creates ``events`` on its first start; creating it first (same columns) lets
            # the console and its commands run before Rasa ever did.
            EVENTS.metadata.create_all(self.engine)
            Base.metadata.create_all(self.engine)
            self._tables_ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        self.create_tables()
        session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def refresh(self, batch_size: int = indexer.BATCH_SIZE) -> int:
        """Index the events written since the last refresh; returns how many were read.

        One transaction per batch: on SQLite a long first indexing must not hold the write
        lock for seconds, or Rasa could not log the conversations going on meanwhile. A batch
        that other processes kept indexing first is left for the next refresh, with a warning:
        nothing is skipped, since the watermark only moves when a batch is written.
        """
        total = 0
        with self._sync_lock:
            while True:
                read = self._one_batch(batch_size)
                if read is None:
                    logger.warning(
                        "Index de revue non mis à jour : d'autres processus l'ont modifié %d fois pendant la "
                        "lecture. Les événements restants seront lus au prochain rafraîchissement.",
                        SYNC_ATTEMPTS,
                    )
                    return total
                total += read
                if read < batch_size:
                    return total

    def _one_batch(self, batch_size: int) -> Optional[int]:
        """Events read by one batch, or None if every attempt met a concurrent sync."""
        for attempt in range(1, SYNC_ATTEMPTS + 1):
            try:
                with self.session() as session:
                    return indexer.sync(session, batch_size, max_batches=1)
            except indexer.ConcurrentSync:
                logger.info("Index mis à jour par un autre processus ; nouvelle lecture (%d).", attempt)
                time.sleep(0.05 * attempt)
        return None

    def rebuild(self) -> int:
        with self._sync_lock, self.session() as session:
            return indexer.rebuild(session)

    def purge(self, days: int) -> int:
        """Delete conversations whose last message is older than ``days`` days, Rasa's events
        included; returns how many conversations were deleted."""
        if days < 1:
            raise ValueError("La durée de conservation doit être d'au moins un jour.")
        self.refresh()
        cutoff = time.time() - days * 86400
        with self._sync_lock, self.session() as session:
            old = list(
                session.execute(
                    select(Conversation.id, Conversation.sender_id).where(Conversation.last_at < cutoff)
                ).all()
            )
            for start in range(0, len(old), 500):
                chunk = old[start : start + 500]
                session.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_([sender for _id, sender in chunk])))
                # Deleted explicitly rather than through ON DELETE CASCADE, which SQLite only
                # applies when foreign keys are switched on for the connection.
                for model in (AnnotationChange, Annotation, Tag, Turn):
                    session.execute(delete(model).where(model.conversation_id.in_([cid for cid, _s in chunk])))
                session.execute(delete(Conversation).where(Conversation.id.in_([cid for cid, _s in chunk])))
            return len(old)

    def dispose(self) -> None:
        self.engine.dispose()
