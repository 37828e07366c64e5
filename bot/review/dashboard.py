"""The dashboard's numbers: activity per day, fallback rate, top intents and missions, forms."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Dict, List, Optional, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.names import FALLBACK_INTENT
from bot.review.models import Conversation, Tag, Turn
from bot.review.queries import day_start, local_zone


@dataclass(frozen=True)
class Dashboard:
    date_from: date
    date_to: date
    days: Tuple[Tuple[str, int, int], ...]  # (day, conversations, user messages)
    conversations: int
    user_messages: int
    fallback_messages: int
    fallback_conversations: int
    top_intents: Tuple[Tuple[str, int], ...]
    top_missions: Tuple[Tuple[str, int], ...]
    forms_started: int
    forms_completed: int

    @property
    def fallback_rate(self) -> float:
        return self.fallback_messages / self.user_messages if self.user_messages else 0.0


def dashboard(
    session: Session, date_from: date, date_to: date, zone: Optional[tzinfo] = None, top: int = 10
) -> Dashboard:
    """Activity between two days (inclusive), in the console's time zone."""
    zone = zone or local_zone()
    start, end = day_start(date_from, zone), day_start(date_to + timedelta(days=1), zone)
    in_period = and_(Conversation.started_at >= start, Conversation.started_at < end)
    per_day: Dict[str, List[int]] = {}
    day = date_from
    while day <= date_to:
        per_day[day.isoformat()] = [0, 0]
        day += timedelta(days=1)
    for (started_at,) in session.execute(select(Conversation.started_at).where(in_period)):
        per_day[_day(started_at, zone)][0] += 1
    user_turns = and_(Turn.kind == "user", Turn.timestamp >= start, Turn.timestamp < end)
    intents: Counter = Counter()
    for timestamp, intent in session.execute(select(Turn.timestamp, Turn.intent).where(user_turns)):
        key = _day(timestamp, zone)
        if key in per_day:
            per_day[key][1] += 1
        intents[intent or "(aucune)"] += 1
    conversations = sum(counts[0] for counts in per_day.values())
    fallback_conversations = session.execute(
        select(func.count()).select_from(Conversation).where(in_period, Conversation.fallback.is_(True))
    ).scalar_one()
    missions = session.execute(
        select(Tag.value, func.count())
        .join(Conversation, Conversation.id == Tag.conversation_id)
        .where(in_period, Tag.kind == "mission")
        .group_by(Tag.value)
        .order_by(func.count().desc(), Tag.value)
        .limit(top)
    ).all()
    forms_started, forms_completed = session.execute(
        select(
            func.count().filter(Conversation.form_started.is_(True)),
            func.count().filter(Conversation.form_completed.is_(True)),
        ).where(in_period)
    ).one()
    return Dashboard(
        date_from=date_from,
        date_to=date_to,
        days=tuple((key, counts[0], counts[1]) for key, counts in per_day.items()),
        conversations=conversations,
        user_messages=sum(intents.values()),
        fallback_messages=intents.get(FALLBACK_INTENT, 0),
        fallback_conversations=fallback_conversations,
        top_intents=tuple(sorted(intents.items(), key=lambda item: (-item[1], item[0]))[:top]),
        top_missions=tuple((value, count) for value, count in missions),
        forms_started=forms_started or 0,
        forms_completed=forms_completed or 0,
    )


def _day(timestamp: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(timestamp, zone).date().isoformat()
