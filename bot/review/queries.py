"""Read functions of the console: the filtered conversation list and a transcript
(the dashboard's numbers are in dashboard.py).

They take an open session first and return frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Dict, List, Optional, Tuple

from sqlalchemy import and_, exists, func, not_, select
from sqlalchemy.orm import Session

from bot.review.models import Annotation, AnnotationChange, Conversation, Tag, Turn
from bot.text import fold

FORM_STATES = {
    "started": "démarré",
    "completed": "terminé",
    "abandoned": "abandonné",
    "running": "en cours",
}
SORTS = {
    "started": Conversation.started_at,
    "last": Conversation.last_at,
    "messages": Conversation.user_messages,
    "confidence": Conversation.min_confidence,
}
NOT_ANNOTATED = "none"
ANNOTATED = "any"
MAX_PAGE_SIZE = 200


def local_zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Paris")
    except Exception:  # noqa: BLE001 - no time zone database: show UTC rather than fail
        return timezone.utc


def day_start(day: date, zone: tzinfo) -> float:
    return datetime.combine(day, time.min, tzinfo=zone).timestamp()


@dataclass(frozen=True)
class ConversationFilter:
    """The list's filters; every field left empty is ignored, the others combine (AND)."""

    date_from: Optional[date] = None
    date_to: Optional[date] = None
    text: str = ""
    intent: str = ""
    confidence_below: Optional[float] = None
    fallback: bool = False
    out_of_scope: bool = False
    mission: str = ""
    phase: str = ""
    form: str = ""  # a key of FORM_STATES
    annotation: str = ""  # NOT_ANNOTATED, ANNOTATED or an annotation state
    sort: str = "last"
    descending: bool = True
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class ConversationRow:
    id: int
    pseudonym: str
    channel: str
    started_at: float
    last_at: float
    user_messages: int
    min_confidence: Optional[float]
    fallback: bool
    out_of_scope: bool
    form: str
    first_message: str
    annotations: int


@dataclass(frozen=True)
class Page:
    rows: Tuple[ConversationRow, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _conditions(criteria: ConversationFilter, zone: tzinfo) -> list:
    conditions = []
    if criteria.date_from:
        conditions.append(Conversation.last_at >= day_start(criteria.date_from, zone))
    if criteria.date_to:
        conditions.append(Conversation.started_at < day_start(criteria.date_to + timedelta(days=1), zone))
    if criteria.text.strip():
        pattern = "%" + fold(criteria.text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            exists().where(
                Turn.conversation_id == Conversation.id,
                Turn.kind == "user",
                Turn.folded_text.like(pattern, escape="\\"),
            )
        )
    for kind, value in (("intent", criteria.intent), ("mission", criteria.mission), ("phase", criteria.phase)):
        if value:
            conditions.append(
                exists().where(Tag.conversation_id == Conversation.id, Tag.kind == kind, Tag.value == value)
            )
    if criteria.confidence_below is not None:
        conditions.append(Conversation.min_confidence < criteria.confidence_below)
    if criteria.fallback:
        conditions.append(Conversation.fallback.is_(True))
    if criteria.out_of_scope:
        conditions.append(Conversation.out_of_scope.is_(True))
    if criteria.form == "started":
        conditions.append(Conversation.form_started.is_(True))
    elif criteria.form == "completed":
        conditions.append(Conversation.form_completed.is_(True))
    elif criteria.form == "running":
        conditions.append(and_(Conversation.form_active.is_(True), Conversation.form_completed.is_(False)))
    elif criteria.form == "abandoned":
        conditions.append(
            and_(
                Conversation.form_started.is_(True),
                Conversation.form_completed.is_(False),
                Conversation.form_active.is_(False),
            )
        )
    annotated = exists().where(Annotation.conversation_id == Conversation.id)
    if criteria.annotation == NOT_ANNOTATED:
        conditions.append(not_(annotated))
    elif criteria.annotation == ANNOTATED:
        conditions.append(annotated)
    elif criteria.annotation:
        conditions.append(
            exists().where(Annotation.conversation_id == Conversation.id, Annotation.state == criteria.annotation)
        )
    return conditions


def form_state(conversation: Conversation) -> str:
    if conversation.form_completed:
        return "completed"
    if conversation.form_active:
        return "running"
    if conversation.form_started:
        return "abandoned"
    return ""


def list_conversations(session: Session, criteria: ConversationFilter, zone: Optional[tzinfo] = None) -> Page:
    """One page of the conversations matching every filter, sorted as asked."""
    conditions = _conditions(criteria, zone or local_zone())
    total = session.execute(select(func.count()).select_from(Conversation).where(*conditions)).scalar_one()
    page_size = max(1, min(criteria.page_size, MAX_PAGE_SIZE))
    page = max(1, criteria.page)
    column = SORTS.get(criteria.sort, Conversation.last_at)
    order = column.desc() if criteria.descending else column.asc()
    annotation_count = (
        select(func.count())
        .where(Annotation.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    result = session.execute(
        select(Conversation, annotation_count)
        .where(*conditions)
        .order_by(order.nulls_last(), Conversation.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    rows = tuple(_row(conversation, count) for conversation, count in result)
    return Page(rows=rows, total=total, page=page, page_size=page_size)


def iter_conversations(session: Session, criteria: ConversationFilter, zone: Optional[tzinfo] = None):
    """Every conversation matching the filters (for the CSV export), in the list's order."""
    page = 1
    while True:
        result = list_conversations(session, replace(criteria, page=page, page_size=MAX_PAGE_SIZE), zone)
        yield from result.rows
        if page >= result.pages:
            return
        page += 1


def _row(conversation: Conversation, annotations: int) -> ConversationRow:
    return ConversationRow(
        id=conversation.id,
        pseudonym=conversation.pseudonym,
        channel=conversation.channel or "",
        started_at=conversation.started_at,
        last_at=conversation.last_at,
        user_messages=conversation.user_messages,
        min_confidence=conversation.min_confidence,
        fallback=conversation.fallback,
        out_of_scope=conversation.out_of_scope,
        form=form_state(conversation),
        first_message=conversation.first_message,
        annotations=annotations or 0,
    )


@dataclass(frozen=True)
class AnnotationView:
    state: str
    reason: str
    correct_intent: Optional[str]
    comment: str
    author: str
    at: float


@dataclass(frozen=True)
class TurnView:
    event_id: int
    kind: str
    timestamp: float
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    entities: Tuple[Dict, ...]
    action: Optional[str]
    messages: Tuple[Dict, ...]
    missions: Tuple[str, ...]
    slots: Dict[str, object]
    form: Optional[str]
    annotation: Optional[AnnotationView]
    history: Tuple[AnnotationView, ...] = field(default=())


@dataclass(frozen=True)
class Transcript:
    conversation: ConversationRow
    turns: Tuple[TurnView, ...]


def get_conversation(session: Session, pseudonym: str) -> Optional[Conversation]:
    return session.execute(select(Conversation).where(Conversation.pseudonym == pseudonym)).scalar_one_or_none()


def get_transcript(session: Session, pseudonym: str) -> Optional[Transcript]:
    """The whole conversation behind a pseudonym, turn by turn, with annotations; None if unknown."""
    conversation = get_conversation(session, pseudonym)
    if conversation is None:
        return None
    annotations = {
        row.turn_event_id: row
        for row in session.execute(select(Annotation).where(Annotation.conversation_id == conversation.id)).scalars()
    }
    history: Dict[int, List[AnnotationView]] = {}
    for change in session.execute(
        select(AnnotationChange)
        .where(AnnotationChange.conversation_id == conversation.id)
        .order_by(AnnotationChange.changed_at, AnnotationChange.id)
    ).scalars():
        history.setdefault(change.turn_event_id, []).append(_annotation_view(change, change.changed_at))
    turns = tuple(
        TurnView(
            event_id=turn.event_id,
            kind=turn.kind,
            timestamp=turn.timestamp,
            text=turn.text,
            intent=turn.intent,
            confidence=turn.confidence,
            entities=tuple(json.loads(turn.entities)),
            action=turn.action,
            messages=tuple(json.loads(turn.messages)),
            missions=tuple(json.loads(turn.missions)),
            slots=json.loads(turn.slots),
            form=turn.form,
            annotation=_annotation_view(annotations[turn.event_id], annotations[turn.event_id].updated_at)
            if turn.event_id in annotations
            else None,
            history=tuple(history.get(turn.event_id, ())),
        )
        for turn in session.execute(
            select(Turn).where(Turn.conversation_id == conversation.id).order_by(Turn.position)
        ).scalars()
    )
    return Transcript(conversation=_row(conversation, len(annotations)), turns=turns)


def _annotation_view(row, at: float) -> AnnotationView:
    return AnnotationView(
        state=row.state,
        reason=row.reason,
        correct_intent=row.correct_intent,
        comment=row.comment,
        author=row.author,
        at=at,
    )


def list_values(session: Session, kind: str) -> List[str]:
    """The intents, missions or phases seen in the conversations, for the filter menus."""
    return list(session.execute(select(Tag.value).where(Tag.kind == kind).distinct().order_by(Tag.value)).scalars())
