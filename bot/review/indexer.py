"""Builds the review index (conversations, turns, tags) from Rasa's events table.

Reading is incremental: ``sync`` reads the events after the last one it indexed, so a page
load only pays for the messages that arrived since the previous one. Rasa's own rows are
never modified.

A user turn is a user message with its intent, confidence, entities and the slots its
entities filled. A bot turn is one action (``action_listen`` and Rasa's internal actions
aside) with what it said, the missions it cited (the ``current_mission`` / ``last_missions``
slots it set) and its other slot changes.

Work is done on plain dictionaries and written in bulk once per batch of events: the ORM's
one-row-at-a-time inserts made a 10,000-conversation log take 50 s to index.

Events are read in id order from a watermark, the last id read. On PostgreSQL several Rasa
replicas write at once: ids come from one sequence when a row is inserted, but transactions
commit in any order, so a reader can see id 101 before id 100 exists for it. The ids missing
below the watermark (gaps) are therefore kept in ``review_sync_gaps`` and read again at every
sync; rows that appear there are indexed then. A gap is forgotten only once it cannot be filled
any more (a rolled-back save, a deleted row): PostgreSQL's snapshot tells which transactions are
still running, and once every transaction that had started ``GAP_GRACE_S`` after the gap was
first seen has ended (snapshot ``xmin`` at or past that moment's ``xmax``), whatever is still
missing will never be committed. The grace covers a writer that has drawn its id but not yet
written its first row (PostgreSQL gives it a transaction id only then). SQLite has one writer
at a time: ids commit in order there, and no gap is recorded.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy import and_, bindparam, delete, func, select, text, union_all, update
from sqlalchemy.orm import Session

from bot.names import (
    EXTRACT_SLOTS_ACTION,
    FALLBACK_ACTIONS,
    FALLBACK_INTENT,
    LISTEN_ACTION,
    MISSION_SLOTS,
    OUT_OF_SCOPE_INTENT,
    PHASE,
    PHASE_ENTITY,
    PLAN_ACTION,
    SESSION_START_ACTION,
    UNLIKELY_INTENT_ACTION,
)
from bot.review.models import EVENTS, Annotation, Conversation, SyncGap, SyncState, Tag, Turn
from bot.text import fold

BATCH_SIZE = 5000
# Actions that belong to the user's turn (they only read the message) or to no turn.
SILENT_ACTIONS = {LISTEN_ACTION, EXTRACT_SLOTS_ACTION, SESSION_START_ACTION, UNLIKELY_INTENT_ACTION}
JSON_COLUMNS = ("entities", "messages", "missions", "slots")
# What later events can change in a turn already written: its JSON columns and its form.
UPDATED_TURN_COLUMNS = (*JSON_COLUMNS, "form")
CONVERSATIONS = Conversation.__table__
# A conversation's summary before any event is read (also what a rebuild starts again from).
EMPTY_SUMMARY = {
    "user_messages": 0,
    "turn_count": 0,
    "min_confidence": None,
    "fallback": False,
    "out_of_scope": False,
    "form_started": False,
    "form_completed": False,
    "form_active": False,
    "first_message": "",
}
TURNS = Turn.__table__
TAGS = Tag.__table__
GAPS = SyncGap.__table__
# How long a writer may hold an event id before PostgreSQL gives its transaction an id.
GAP_GRACE_S = 5.0


class ConcurrentSync(RuntimeError):
    """Another process indexed the same events first; roll back and read again."""


def new_pseudonym() -> str:
    """A random handle shown instead of the sender id (which may identify a person)."""
    return "c-" + secrets.token_hex(5)


@dataclass
class _Open:
    """A conversation being indexed, with its last turn (which may still receive events)."""

    row: Dict[str, Any]
    is_new: bool
    tags: Set[Tuple[str, str]]
    turn: Optional[Dict[str, Any]] = None
    changed: bool = False
    new_turns: List[Dict[str, Any]] = field(default_factory=list)
    changed_turns: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    new_tags: List[Tuple[str, str]] = field(default_factory=list)

    def tag(self, kind: str, value: Any) -> None:
        if isinstance(value, str) and value and (kind, value[:255]) not in self.tags:
            self.tags.add((kind, value[:255]))
            self.new_tags.append((kind, value[:255]))

    def touch_turn(self) -> Optional[Dict[str, Any]]:
        """The current turn, marked for writing."""
        if self.turn is not None and not self.turn.get("_new"):
            self.changed_turns[self.turn["event_id"]] = self.turn
        return self.turn


def sync(
    session: Session, batch_size: int = BATCH_SIZE, max_batches: Optional[int] = None, now: Optional[float] = None
) -> int:
    """Index the events written since the last call (at most ``max_batches`` batches of new
    events, plus those committed late into known gaps); returns how many were read.

    Call it in a transaction of its own. Two syncs at once are kept apart by the state row:
    locked on PostgreSQL, compared-and-set elsewhere (the second then raises ConcurrentSync).
    """
    # On PostgreSQL a second sync waits here until the first commits, then reads its result.
    state = session.execute(
        select(SyncState).where(SyncState.id == 1).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if state is None:
        state = SyncState(id=1, last_event_id=0)
        session.add(state)
        session.flush()
    last = state.last_event_id
    next_id = [session.execute(select(func.coalesce(func.max(Conversation.id), 0))).scalar_one() + 1]
    read = batches = 0
    known: Dict[str, _Open] = {}
    while max_batches is None or batches < max_batches:
        batches += 1
        snapshot = _snapshot(session)  # before the events are read
        moment = time.time() if now is None else now
        # One statement, so one view of what is committed: the new events and those committed
        # late into known gaps. A conversation's later events are never read before its
        # earlier ones (a replica commits one save of a conversation before the next).
        rows = session.execute(_new_and_late_events(last, batch_size)).all()
        new = [row for row in rows if row.id > last]
        late = [row.id for row in rows if row.id <= last]
        if snapshot:
            # Whether a gap is still open can be judged only when the read was not cut short.
            _settle_gaps(session, late, snapshot, moment, complete=len(rows) < batch_size)
        if new:
            _claim(session, last, new[-1].id)
            if snapshot:
                _add_gaps(session, _missing(last, [row.id for row in new]), moment)
        if rows:
            _load_conversations(session, known, {row.sender_id for row in rows} - known.keys())
            for row in rows:
                current = known.get(row.sender_id)
                if current is None:
                    current = known[row.sender_id] = _new_conversation(row.sender_id, row.timestamp, next_id)
                _apply(current, row.id, row.type_name, row.timestamp or 0.0, _load(row.data))
            _write(session, known.values())
            read += len(rows)
        if new:
            last = new[-1].id
        if len(rows) < batch_size:
            break
    session.expire(state)
    return read


def _new_and_late_events(last: int, batch_size: int):
    """The first ``batch_size`` events by id among those after the watermark and those in gaps."""
    columns = (EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
    new = select(*columns).where(EVENTS.c.id > last).order_by(EVENTS.c.id).limit(batch_size)
    late = select(*columns).join(GAPS, EVENTS.c.id.between(GAPS.c.first_id, GAPS.c.last_id))
    both = union_all(new.subquery().select(), late).subquery()
    return select(both).order_by(both.c.id).limit(batch_size)


def _claim(session: Session, start: int, last: int) -> None:
    """Move the watermark from ``start`` to ``last``, or fail if another sync moved it first.

    Done before writing the index: on PostgreSQL a second sync waits here for the first to
    commit, then finds the watermark moved, instead of colliding on the rows it inserted."""
    moved = session.execute(
        update(SyncState)
        .where(SyncState.id == 1, SyncState.last_event_id == start)
        .values(last_event_id=last)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise ConcurrentSync("L'index a été mis à jour par un autre processus pendant la lecture.")


def _snapshot(session: Session) -> Optional[Tuple[int, int]]:
    """``(xmin, xmax)`` of a PostgreSQL snapshot taken now: every transaction below xmin has
    ended, every transaction that had a transaction id is below xmax. None elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    xmin, xmax = session.execute(
        text("select txid_snapshot_xmin(s), txid_snapshot_xmax(s) from txid_current_snapshot() as s")
    ).one()
    return int(xmin), int(xmax)


def _missing(last: int, ids: List[int]) -> List[Tuple[int, int]]:
    """The id ranges absent between the watermark and the ids just read (both sorted)."""
    ranges, previous = [], last
    for event_id in ids:
        if event_id > previous + 1:
            ranges.append((previous + 1, event_id - 1))
        previous = event_id
    return ranges


def _add_gaps(session: Session, ranges: List[Tuple[int, int]], first_seen: float, horizon: Optional[int] = None):
    if ranges:
        session.execute(
            GAPS.insert(),
            [{"first_id": a, "last_id": b, "first_seen": first_seen, "horizon": horizon} for a, b in ranges],
        )


def _settle_gaps(session: Session, found: List[int], snapshot: Tuple[int, int], now: float, complete: bool) -> None:
    """Split the gaps where late events were found; if the read saw everything, start the clock
    of the gaps old enough and forget those that no running transaction can fill any more."""
    xmin, xmax = snapshot
    for gap in session.execute(select(GAPS).order_by(GAPS.c.first_id)).mappings().all():
        inside = [event_id for event_id in found if gap["first_id"] <= event_id <= gap["last_id"]]
        this_gap = and_(GAPS.c.first_id == gap["first_id"], GAPS.c.last_id == gap["last_id"])
        if inside:
            # Claimed like the watermark: a second sync that read the same late events fails here.
            if session.execute(delete(GAPS).where(this_gap)).rowcount != 1:
                raise ConcurrentSync("Un autre processus a indexé les mêmes événements tardifs.")
            rest = _missing(gap["first_id"] - 1, [*inside, gap["last_id"] + 1])
            _add_gaps(session, rest, gap["first_seen"], gap["horizon"])
        elif not complete:
            continue
        elif gap["horizon"] is not None and xmin >= gap["horizon"]:
            session.execute(delete(GAPS).where(this_gap))
        elif gap["horizon"] is None and now - gap["first_seen"] >= GAP_GRACE_S:
            session.execute(update(GAPS).where(this_gap).values(horizon=xmax))


def rebuild(session: Session) -> int:
    """Forget the index and read every event again. Annotated conversations keep their id and
    pseudonym (annotations point at them and at event ids, which do not change)."""
    session.execute(delete(TAGS))
    session.execute(delete(TURNS))
    annotated = select(Annotation.__table__.c.conversation_id)
    session.execute(delete(CONVERSATIONS).where(~CONVERSATIONS.c.id.in_(annotated)))
    session.execute(update(CONVERSATIONS).values(EMPTY_SUMMARY))
    session.execute(update(SyncState.__table__).values(last_event_id=0))
    session.execute(delete(GAPS))
    session.expire_all()
    return sync(session)


def _load(data: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _load_conversations(session: Session, known: Dict[str, _Open], senders: Set[str]) -> None:
    """Bring the already indexed conversations of these senders, their tags and last turns."""
    senders_list = sorted(senders)
    for start in range(0, len(senders_list), 500):
        chunk = senders_list[start : start + 500]
        conversations = {
            row["id"]: dict(row)
            for row in session.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.sender_id.in_(chunk))).mappings()
        }
        if not conversations:
            continue
        ids = list(conversations)
        tags: Dict[int, Set[Tuple[str, str]]] = {cid: set() for cid in ids}
        for cid, kind, value in session.execute(
            select(TAGS.c.conversation_id, TAGS.c.kind, TAGS.c.value).where(TAGS.c.conversation_id.in_(ids))
        ):
            tags[cid].add((kind, value))
        last_positions = (
            select(TURNS.c.conversation_id, func.max(TURNS.c.position).label("position"))
            .where(TURNS.c.conversation_id.in_(ids))
            .group_by(TURNS.c.conversation_id)
            .subquery()
        )
        last_turns = {
            row["conversation_id"]: _decoded(dict(row))
            for row in session.execute(
                select(TURNS).join(
                    last_positions,
                    (TURNS.c.conversation_id == last_positions.c.conversation_id)
                    & (TURNS.c.position == last_positions.c.position),
                )
            ).mappings()
        }
        for cid, row in conversations.items():
            known[row["sender_id"]] = _Open(row=row, is_new=False, tags=tags[cid], turn=last_turns.get(cid))


def _decoded(turn: Dict[str, Any]) -> Dict[str, Any]:
    for column in JSON_COLUMNS:
        turn[column] = json.loads(turn[column])
    return turn


def _new_conversation(sender_id: str, timestamp: Optional[float], next_id: List[int]) -> _Open:
    row = {
        "id": next_id[0],
        "sender_id": sender_id,
        "pseudonym": new_pseudonym(),
        "channel": None,
        "started_at": timestamp or 0.0,
        "last_at": timestamp or 0.0,
        **EMPTY_SUMMARY,
    }
    next_id[0] += 1
    return _Open(row=row, is_new=True, tags=set())


def _new_turn(current: _Open, event_id: int, kind: str, timestamp: float, **values: Any) -> Dict[str, Any]:
    row = current.row
    turn = {
        "event_id": event_id,
        "conversation_id": row["id"],
        "position": row["turn_count"],
        "kind": kind,
        "timestamp": timestamp,
        "text": "",
        "folded_text": "",
        "intent": None,
        "confidence": None,
        "entities": [],
        "action": None,
        "messages": [],
        "missions": [],
        "slots": {},
        "form": None,
        "_new": True,
    }
    turn.update(values)
    row["turn_count"] += 1
    current.new_turns.append(turn)
    current.turn = turn
    return turn


def _apply(current: _Open, event_id: int, type_name: str, timestamp: float, data: Dict[str, Any]) -> None:
    current.changed = True
    row = current.row
    row["last_at"] = max(row["last_at"] or 0.0, timestamp)
    if type_name == "user":
        _user(current, event_id, timestamp, data)
    elif type_name == "action":
        _action(current, event_id, timestamp, data.get("name") or "")
    elif type_name == "bot":
        turn = current.touch_turn()
        if turn is None or turn["kind"] != "bot":
            turn = _new_turn(current, event_id, "bot", timestamp)
        turn["messages"].append(_bot_message(data))
    elif type_name == "slot":
        _slot(current, data.get("name"), data.get("value"))
    elif type_name == "active_loop":
        _active_loop(current, data.get("name"))


def _user(current: _Open, event_id: int, timestamp: float, data: Dict[str, Any]) -> None:
    row = current.row
    parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    confidence = intent.get("confidence") if isinstance(intent.get("confidence"), int | float) else None
    entities = [
        {key: entity.get(key) for key in ("entity", "value", "start", "end")}
        for entity in parse.get("entities") or []
        if isinstance(entity, dict)
    ]
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    _new_turn(
        current,
        event_id,
        "user",
        timestamp,
        text=text,
        folded_text=fold(text),
        intent=name,
        confidence=confidence,
        entities=entities,
    )
    row["user_messages"] += 1
    if not row["channel"] and isinstance(data.get("input_channel"), str):
        row["channel"] = data["input_channel"][:64]
    if not row["first_message"]:
        row["first_message"] = text[:300]
    if confidence is not None and (row["min_confidence"] is None or confidence < row["min_confidence"]):
        row["min_confidence"] = confidence
    if name == FALLBACK_INTENT:
        row["fallback"] = True
    if name == OUT_OF_SCOPE_INTENT:
        row["out_of_scope"] = True
    current.tag("intent", name)
    for entity in entities:
        if entity["entity"] == PHASE_ENTITY:
            current.tag("phase", entity["value"])


def _action(current: _Open, event_id: int, timestamp: float, name: str) -> None:
    row = current.row
    if name == LISTEN_ACTION:
        current.turn = None
        return
    if name in SILENT_ACTIONS:
        return
    _new_turn(current, event_id, "bot", timestamp, action=name)
    current.tag("action", name)
    if name in FALLBACK_ACTIONS:
        row["fallback"] = True
    if name == PLAN_ACTION and row["form_started"]:
        row["form_completed"] = True


def _slot(current: _Open, name: Any, value: Any) -> None:
    if not isinstance(name, str):
        return
    turn = current.touch_turn()
    if turn is not None:
        turn["slots"][name] = value
    if name in MISSION_SLOTS and value:
        missions = [mission for mission in (value if isinstance(value, list) else [value]) if isinstance(mission, str)]
        for mission in missions:
            current.tag("mission", mission)
        if turn is not None and turn["kind"] == "bot":
            turn["missions"].extend(mission for mission in missions if mission not in turn["missions"])
    if name == PHASE:
        current.tag("phase", value)


def _active_loop(current: _Open, name: Any) -> None:
    row = current.row
    turn = current.touch_turn()
    if turn is not None:
        turn["form"] = name or ""
    if name:
        row["form_started"] = True
        row["form_active"] = True
        current.tag("form", name)
    else:
        row["form_active"] = False


def _bot_message(data: Dict[str, Any]) -> Dict[str, Any]:
    extra = data.get("data") if isinstance(data.get("data"), dict) else {}
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    buttons = [button.get("title") for button in extra.get("buttons") or [] if isinstance(button, dict)]
    return {
        "text": data.get("text") if isinstance(data.get("text"), str) else "",
        "buttons": [title for title in buttons if isinstance(title, str)],
        "response": metadata.get("utter_action") if isinstance(metadata.get("utter_action"), str) else None,
    }


def _encoded(turn: Dict[str, Any]) -> Dict[str, Any]:
    row = {key: value for key, value in turn.items() if not key.startswith("_")}
    for column in JSON_COLUMNS:
        row[column] = json.dumps(row[column], ensure_ascii=False)
    return row


def _write(session: Session, conversations: Iterable[_Open]) -> None:
    """Write what this batch changed, in bulk."""
    new_conversations, changed_conversations, new_turns, changed_turns, new_tags = [], [], [], [], []
    for current in conversations:
        if not current.changed:
            continue
        if current.is_new:
            new_conversations.append(dict(current.row))
            current.is_new = False
        else:
            changed_conversations.append(current.row)
        new_turns.extend(_encoded(turn) for turn in current.new_turns)
        changed_turns.extend(_encoded(turn) for turn in current.changed_turns.values())
        new_tags.extend(
            {"conversation_id": current.row["id"], "kind": kind, "value": value} for kind, value in current.new_tags
        )
        for turn in current.new_turns:
            turn.pop("_new", None)
        current.new_turns.clear()
        current.changed_turns.clear()
        current.new_tags.clear()
        current.changed = False
    connection = session.connection()
    if new_conversations:
        connection.execute(CONVERSATIONS.insert(), new_conversations)
    if changed_conversations:
        columns = [column.name for column in CONVERSATIONS.columns if column.name != "id"]
        _update_many(connection, CONVERSATIONS, "id", columns, changed_conversations)
    if new_turns:
        connection.execute(TURNS.insert(), new_turns)
    if changed_turns:
        _update_many(connection, TURNS, "event_id", UPDATED_TURN_COLUMNS, changed_turns)
    if new_tags:
        connection.execute(TAGS.insert(), new_tags)


def _update_many(connection, table, key: str, columns: Iterable[str], rows: List[Dict[str, Any]]) -> None:
    """One bulk UPDATE of ``columns`` for each row, matched on ``key``.

    Bound parameters are prefixed, since SQLAlchemy reserves column names for the SET clause.
    """
    columns = tuple(columns)
    connection.execute(
        table.update()
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: bindparam(f"b_{name}") for name in columns}),
        [{f"b_{name}": row[name] for name in (key, *columns)} for row in rows],
    )
