"""Tables of the review console.

Rasa's ``events`` table is only read (``EVENTS``, declared in its own metadata so that
``create_all`` never touches it). Everything the console writes lives in ``review_*`` tables
beside it: an index of conversations and turns rebuilt from the events, the trainers'
annotations with their history, trainer accounts, login sessions and failed logins.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

# The columns Rasa 3.6's SQLTrackerStore creates (rasa/core/tracker_store.py, SQLEvent).
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

Base = declarative_base()


class SyncState(Base):
    """How far the index has read the events table."""

    __tablename__ = "review_sync_state"

    id = Column(Integer, primary_key=True)
    last_event_id = Column(Integer, nullable=False, default=0)


class SyncGap(Base):
    """Event ids below the watermark not seen yet (PostgreSQL only): a transaction still running
    may commit them later. Read again at every sync until filled or settled (bot.review.indexer)."""

    __tablename__ = "review_sync_gaps"

    first_id = Column(Integer, primary_key=True, autoincrement=False)
    last_id = Column(Integer, nullable=False)
    first_seen = Column(Float, nullable=False)  # time.time() when the indexer first saw it
    # PostgreSQL's next transaction id at least GAP_GRACE_S after first_seen: once every older
    # transaction has ended (snapshot xmin >= horizon), what is still missing never comes.
    horizon = Column(BigInteger)


class Conversation(Base):
    """One sender's conversation, summarised for the list and its filters."""

    __tablename__ = "review_conversations"

    # Given by the indexer (max + 1), so turns can be written in bulk with their conversation.
    id = Column(Integer, primary_key=True, autoincrement=False)
    sender_id = Column(String(255), nullable=False, unique=True)
    pseudonym = Column(String(32), nullable=False, unique=True)
    channel = Column(String(64))
    started_at = Column(Float, nullable=False, index=True)
    last_at = Column(Float, nullable=False, index=True)
    user_messages = Column(Integer, nullable=False, default=0)
    turn_count = Column(Integer, nullable=False, default=0)
    min_confidence = Column(Float, index=True)
    fallback = Column(Boolean, nullable=False, default=False)
    out_of_scope = Column(Boolean, nullable=False, default=False)
    form_started = Column(Boolean, nullable=False, default=False)
    form_completed = Column(Boolean, nullable=False, default=False)
    # Form still running when the last event was read; used to finish the state on the next event.
    form_active = Column(Boolean, nullable=False, default=False)
    first_message = Column(Text, nullable=False, default="")


class Tag(Base):
    """What a conversation touched, for the intent / mission / phase filters and the dashboard."""

    __tablename__ = "review_tags"
    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", "value"),
        Index("ix_review_tags_kind_value", "kind", "value", "conversation_id"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(16), nullable=False)
    value = Column(String(255), nullable=False)


class Turn(Base):
    """A user message, or one bot action with what it said, cited and changed."""

    __tablename__ = "review_turns"
    __table_args__ = (Index("ix_review_turns_conversation", "conversation_id", "position"),)

    # Id of the Rasa event the turn starts with: stable across rebuilds of the index.
    event_id = Column(Integer, primary_key=True, autoincrement=False)
    conversation_id = Column(Integer, ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    kind = Column(String(8), nullable=False)  # "user" or "bot"
    timestamp = Column(Float, nullable=False)
    text = Column(Text, nullable=False, default="")
    folded_text = Column(Text, nullable=False, default="")
    intent = Column(String(255), index=True)
    confidence = Column(Float)
    entities = Column(Text, nullable=False, default="[]")  # JSON list of {entity, value, start, end}
    action = Column(String(255))
    messages = Column(Text, nullable=False, default="[]")  # JSON list of {text, buttons, response}
    missions = Column(Text, nullable=False, default="[]")  # JSON list of mission ids cited
    slots = Column(Text, nullable=False, default="{}")  # JSON object of slot changes
    form = Column(String(255))  # form (re)started by this turn; "" when a form ends


class _Judgement:
    """What a trainer said about a turn, besides its state: the same columns in the current
    annotation and in each entry of its history."""

    reason = Column(String(32), nullable=False)
    correct_intent = Column(String(255))
    comment = Column(Text, nullable=False, default="")
    author = Column(String(64), nullable=False)


class Annotation(_Judgement, Base):
    """A trainer's current judgement on one turn (the history is in AnnotationChange)."""

    __tablename__ = "review_annotations"

    id = Column(Integer, primary_key=True)
    turn_event_id = Column(Integer, nullable=False, unique=True)
    conversation_id = Column(
        Integer, ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    state = Column(String(32), nullable=False, index=True)
    updated_at = Column(Float, nullable=False)


class AnnotationChange(_Judgement, Base):
    __tablename__ = "review_annotation_changes"

    id = Column(Integer, primary_key=True)
    turn_event_id = Column(Integer, nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False)
    state = Column(String(32), nullable=False)
    changed_at = Column(Float, nullable=False)


class Trainer(Base):
    __tablename__ = "review_trainers"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(Float, nullable=False)


class LoginSession(Base):
    __tablename__ = "review_sessions"

    id = Column(Integer, primary_key=True)
    # HMAC-SHA256 of the cookie value keyed with REVIEW_SECRET: a leaked table gives no usable cookie.
    token_hash = Column(String(64), nullable=False, unique=True)
    trainer_id = Column(Integer, ForeignKey("review_trainers.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    expires_at = Column(Float, nullable=False, index=True)


class FailedLogin(Base):
    __tablename__ = "review_failed_logins"
    __table_args__ = (Index("ix_review_failed_logins_key", "key", "at"),)

    id = Column(Integer, primary_key=True)
    key = Column(String(255), nullable=False)  # "user:<name>" or "ip:<address>"
    at = Column(Float, nullable=False)
