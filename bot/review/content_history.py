"""Versions of the knowledge content edited in the review console, and publishing.

The YAML in the content directory (``KNOWLEDGE_DIR``, by default knowledge/) is the source:
publishing writes the edited mission, or the synonyms, back into its file (bot.kb.editing),
rebuilds the knowledge base from the files, and records the version here (who, when, why,
the whole document). A change made in git shows up as a version by ``GIT_AUTHOR`` as soon as
the console sees that a file no longer holds the last version it recorded. An edit carries
the digest of the document it started from: if the file changed meanwhile (another trainer,
a ``git pull``), publishing is refused rather than overwriting that change.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from sqlalchemy import Column, Float, Index, Integer, String, Text, select
from sqlalchemy.orm import Session

from bot.kb import content as content_module
from bot.kb import editing
from bot.kb.db import database_url, make_engine
from bot.kb.loader import build
from bot.review.models import Base
from bot.text import FrenchAnalyzer, default_analyzer

logger = logging.getLogger(__name__)

MISSION, SYNONYMS = "mission", "synonyms"
SYNONYMS_ID = "synonymes"
GIT_AUTHOR = "modification hors console (git)"
GIT_COMMENT = "Le fichier du dépôt ne contient plus la dernière version enregistrée par la console."
BASELINE_COMMENT = "Version du dépôt avant la première publication depuis la console."
_PUBLISH_LOCK = threading.Lock()


class ContentVersion(Base):
    """One published version of a mission or of the synonyms."""

    __tablename__ = "review_content_versions"
    __table_args__ = (Index("ix_review_content_versions_item", "kind", "item_id", "id"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # MISSION or SYNONYMS
    item_id = Column(String(64), nullable=False)  # the mission id, or SYNONYMS_ID
    document = Column(Text, nullable=False)  # JSON of the whole mission entry, or of the synonyms
    digest = Column(String(64), nullable=False)
    author = Column(String(255), nullable=False)
    created_at = Column(Float, nullable=False)
    comment = Column(Text, nullable=False, default="")
    restored_from = Column(Integer)  # the version this one brought back, if any


@dataclass(frozen=True)
class Version:
    id: int
    kind: str
    item_id: str
    document: Any
    digest: str
    author: str
    created_at: float
    comment: str
    restored_from: Optional[int] = None


class StaleEdit(editing.EditError):
    """The file changed since the form was shown."""


def _version(row: ContentVersion) -> Version:
    return Version(
        row.id,
        row.kind,
        row.item_id,
        json.loads(row.document),
        row.digest,
        row.author,
        row.created_at,
        row.comment,
        row.restored_from,
    )


def list_versions(
    session: Session, kind: Optional[str] = None, item_id: Optional[str] = None, limit: int = 500
) -> List[Version]:
    """Versions newest first, of one item or of all."""
    query = select(ContentVersion).order_by(ContentVersion.id.desc()).limit(limit)
    if kind:
        query = query.where(ContentVersion.kind == kind)
    if item_id:
        query = query.where(ContentVersion.item_id == item_id)
    return [_version(row) for row in session.execute(query).scalars()]


def get_version(session: Session, version_id: int) -> Optional[Version]:
    row = session.get(ContentVersion, version_id)
    return _version(row) if row else None


def latest_version(session: Session, kind: str, item_id: str) -> Optional[Version]:
    versions = list_versions(session, kind, item_id, limit=1)
    return versions[0] if versions else None


def list_edited_items(session: Session) -> List[Tuple[str, str]]:
    """(kind, item id) of every item with a recorded version."""
    return [tuple(row) for row in session.execute(select(ContentVersion.kind, ContentVersion.item_id).distinct())]


def record_version(
    session: Session,
    kind: str,
    item_id: str,
    document: Any,
    author: str,
    comment: str,
    at: Optional[float] = None,
    restored_from: Optional[int] = None,
) -> Version:
    row = ContentVersion(
        kind=kind,
        item_id=item_id,
        document=json.dumps(document, ensure_ascii=False),
        digest=editing.digest(document),
        author=author,
        created_at=time.time() if at is None else at,
        comment=comment,
        restored_from=restored_from,
    )
    session.add(row)
    session.flush()
    return _version(row)


def notice_outside_change(session: Session, kind: str, item_id: str, document: Any) -> Optional[Version]:
    """Record the file's document as a change made in git when it is not the last version the
    console recorded (nothing is recorded for an item the console never published)."""
    latest = latest_version(session, kind, item_id)
    if latest is None or latest.digest == editing.digest(document):
        return None
    logger.info("Contenu modifié hors console : %s %s", kind, item_id)
    return record_version(session, kind, item_id, document, GIT_AUTHOR, GIT_COMMENT)


@dataclass(frozen=True)
class Current:
    """An item as its file holds it now."""

    path: Path
    document: Any
    digest: str


class ContentPublisher:
    """Reads, checks and publishes edits of the content directory into the knowledge base."""

    def __init__(
        self,
        content_dir: Optional[Path] = None,
        kb_url: Optional[str] = None,
        analyzer: Callable[[], FrenchAnalyzer] = default_analyzer,
    ) -> None:
        self.content_dir = Path(content_dir or content_module.DEFAULT_CONTENT_DIR)
        self._kb_url = kb_url
        self._analyzer = analyzer

    def analyzer(self) -> FrenchAnalyzer:
        return self._analyzer()

    @property
    def kb_url(self) -> str:
        return database_url(self._kb_url)

    def load(self) -> content_module.Content:
        """The content as published (raises ContentError if a file was broken in git)."""
        return content_module.load_content(self.content_dir)

    def current(self, kind: str, item_id: str) -> Optional[Current]:
        if kind == SYNONYMS:
            document = editing.read_synonyms(self.content_dir)
            return Current(self.content_dir / editing.SYNONYMS_FILE, document, editing.digest(document))
        found = editing.find_mission(self.content_dir, item_id)
        if found is None:
            return None
        return Current(found.path, found.document, editing.digest(found.document))

    def file_text(self, kind: str, item_id: str, path: Path, document: Any) -> str:
        if kind == SYNONYMS:
            return editing.synonyms_file_text(path, document)
        return editing.mission_file_text(path, item_id, document)

    def check(self, kind: str, item_id: str, document: Any) -> content_module.Content:
        """The whole content with this draft, validated by the loader.

        Raises:
            EditError: on the form's field, in French.
        """
        current = self._require(kind, item_id)
        text = self.file_text(kind, item_id, current.path, document)
        return editing.validate(self.content_dir, current.path, text, item_id)

    def publish(
        self,
        session: Session,
        kind: str,
        item_id: str,
        document: Any,
        shown_digest: str,
        author: str,
        comment: str,
        restored_from: Optional[int] = None,
    ) -> Version:
        """Write the draft into its file, rebuild the knowledge base, record the version.

        ``session`` is the review store's, committed by the caller. The file is written only
        once the whole content with it passed the loader's checks, and put back as it was if
        the knowledge base cannot be rebuilt.

        Raises:
            StaleEdit: the file's document is no longer the one ``shown_digest`` describes.
            EditError: the draft is invalid, unchanged, or has no comment.
        """
        comment = " ".join(comment.split())
        if not comment:
            raise editing.EditError(
                "Dites en une phrase pourquoi vous publiez cette modification (elle figurera dans l'historique).",
                "comment",
            )
        with self._exclusive():
            current = self._require(kind, item_id)
            if current.digest != shown_digest:
                raise StaleEdit(
                    "Ce contenu a été modifié depuis l'ouverture du formulaire (par un autre formateur ou une mise "
                    "à jour du dépôt). Vos modifications ne sont pas publiées : rechargez la page pour repartir de "
                    "la version publiée, puis refaites-les."
                )
            if editing.digest(document) == current.digest:
                raise editing.EditError("Aucune modification à publier : le brouillon est la version publiée.")
            old_text = current.path.read_text(encoding="utf-8")
            new_text = self.file_text(kind, item_id, current.path, document)
            # The content read from a copy holding the new file: the very content built below.
            content = editing.validate(self.content_dir, current.path, new_text, item_id)
            if latest_version(session, kind, item_id) is None:
                record_version(session, kind, item_id, current.document, GIT_AUTHOR, BASELINE_COMMENT)
            else:
                notice_outside_change(session, kind, item_id, current.document)
            editing.write_atomically(current.path, new_text)
            try:
                self.rebuild(content)
            except BaseException:
                editing.write_atomically(current.path, old_text)
                raise
            # The document as the file now holds it (what the next form will be compared with).
            published = self._require(kind, item_id).document
            version = record_version(session, kind, item_id, published, author, comment, restored_from=restored_from)
        logger.info("Contenu publié par %s : %s %s (version %d)", author, kind, item_id, version.id)
        return version

    def rebuild(self, content: Optional[content_module.Content] = None) -> None:
        """Rebuild the knowledge base from ``content`` (default: the content directory), in one
        transaction; the action servers see the new content digest and drop their search
        caches (bot.kb.service)."""
        engine = make_engine(self.kb_url)
        try:
            build(engine, content or content_module.load_content(self.content_dir), self.analyzer())
        finally:
            engine.dispose()

    def _require(self, kind: str, item_id: str) -> Current:
        current = self.current(kind, item_id)
        if current is None:
            raise editing.EditError(f"La mission « {item_id} » n'existe plus dans le contenu.")
        return current

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One publication at a time: threads of this process, and other processes (a lock on
        the content directory itself, so that nothing is written into it)."""
        with _PUBLISH_LOCK:
            handle = os.open(self.content_dir, os.O_RDONLY)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
            finally:
                os.close(handle)


def restore_comment(version: Version, when: Callable[[float], str]) -> str:
    return f"Retour à la version du {when(version.created_at)}"


def history_items(session: Session, publisher: ContentPublisher) -> Dict[Tuple[str, str], Optional[Current]]:
    """Every item with a history, after recording the changes made in git to any of them."""
    items = {}
    for kind, item_id in list_edited_items(session):
        current = publisher.current(kind, item_id)
        if current is not None:
            notice_outside_change(session, kind, item_id, current.document)
        items[(kind, item_id)] = current
    return items
