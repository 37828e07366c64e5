"""The review index misses nothing when several Rasa replicas write at once on PostgreSQL:
transactions commit in any order, so an older event id can appear after a newer one was
indexed. Every event ends up indexed without a rebuild, rolled-back ids are forgotten, and
SQLite (one writer at a time) records no gap. Also: a refresh that keeps meeting another
process's sync says so and leaves the batch for the next refresh."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from typing import Dict, List

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.review import indexer
from bot.review import store as store_module
from bot.review.models import EVENTS, Conversation, SyncGap, Turn
from bot.review.store import ReviewStore
from tests.conftest import postgres_schema
from tests.review.conftest import insert_events, recorded_events


@pytest.fixture
def pg_url():
    with postgres_schema("review_writers") as url:
        yield url


@pytest.fixture
def pg_store(pg_url):
    store = ReviewStore(pg_url)
    store.create_tables()
    yield store
    store.dispose()


def event_rows(sender: str, events: List[Dict]) -> List[Dict]:
    return [
        {
            "sender_id": sender,
            "type_name": event["type_name"],
            "timestamp": event["timestamp"],
            "intent_name": event["intent_name"],
            "action_name": event["action_name"],
            "data": json.dumps(event["data"], ensure_ascii=False) if isinstance(event["data"], dict) else event["data"],
        }
        for event in events
    ]


def index_contents(store: ReviewStore) -> Dict[str, List[tuple]]:
    """Each conversation's turns as the console shows them (ids aside) and its message count."""
    with store.session() as session:
        conversations = {row.id: row for row in session.execute(select(Conversation)).scalars()}
        turns: Dict[str, List[tuple]] = {row.sender_id: [row.user_messages] for row in conversations.values()}
        for turn in session.execute(select(Turn).order_by(Turn.conversation_id, Turn.position)).scalars():
            turns[conversations[turn.conversation_id].sender_id].append(
                (turn.position, turn.event_id, turn.kind, turn.text, turn.intent, turn.action, turn.messages)
            )
    return turns


def gap_count(store: ReviewStore) -> int:
    with store.session() as session:
        return session.execute(select(func.count()).select_from(SyncGap)).scalar_one()


def test_older_event_committed_after_a_newer_one_was_indexed_is_indexed_without_rebuild(pg_store, pg_url):
    events = recorded_events()
    engine = create_engine(pg_url, future=True)
    slow = engine.connect()
    transaction = slow.begin()
    slow.execute(EVENTS.insert(), event_rows("officer-slow", events[:20]))  # ids 1-20, not committed
    insert_events(pg_store, "officer-fast", events[:15])  # ids 21-35, committed
    assert pg_store.refresh() == 15
    transaction.commit()  # ids 1-20 appear below the watermark
    slow.close()
    assert pg_store.refresh() == 20
    indexed = index_contents(pg_store)
    assert indexed["officer-slow"][0] == sum(event["type_name"] == "user" for event in events[:20])
    assert gap_count(pg_store) == 0
    assert pg_store.refresh() == 0  # read once only
    pg_store.rebuild()
    assert index_contents(pg_store) == indexed
    engine.dispose()


def test_rolled_back_ids_are_forgotten_once_no_older_transaction_runs(pg_store, pg_url, monkeypatch):
    monkeypatch.setattr(indexer, "GAP_GRACE_S", 0.0)
    engine = create_engine(pg_url, future=True)
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(EVENTS.insert(), event_rows("abandoned", recorded_events()[:5]))
        transaction.rollback()
    insert_events(pg_store, "officer", recorded_events()[:3])
    assert pg_store.refresh() == 3
    assert gap_count(pg_store) == 1  # ids 1-5: maybe a transaction still running
    deadline = time.monotonic() + 30
    while gap_count(pg_store) and time.monotonic() < deadline:
        pg_store.refresh()
        time.sleep(0.2)
    assert gap_count(pg_store) == 0
    engine.dispose()


def test_gap_is_kept_while_the_transaction_that_drew_its_id_runs(pg_store, pg_url, monkeypatch):
    monkeypatch.setattr(indexer, "GAP_GRACE_S", 0.0)
    engine = create_engine(pg_url, future=True)
    slow = engine.connect()
    transaction = slow.begin()
    slow.execute(EVENTS.insert(), event_rows("officer-slow", recorded_events()[:4]))
    insert_events(pg_store, "officer-fast", recorded_events()[:4])
    for _ in range(5):  # long past the grace: the running transaction keeps the gap open
        pg_store.refresh()
        time.sleep(0.1)
    assert gap_count(pg_store) == 1
    transaction.commit()
    slow.close()
    assert pg_store.refresh() == 4
    assert set(index_contents(pg_store)) == {"officer-slow", "officer-fast"}
    engine.dispose()


class Writer(threading.Thread):
    """A Rasa replica: saves conversations event by event, each save in a transaction held open
    for a random time; some saves roll back; some draw their ids first and insert later (what
    SQLAlchemy does for a multi-row save on PostgreSQL)."""

    def __init__(self, url: str, number: int, conversations: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url, future=True)
        self.number, self.conversations = number, conversations
        self.random = random.Random(seed)
        self.error: Exception = None

    def run(self) -> None:
        try:
            events = recorded_events()
            for conversation in range(self.conversations):
                sender = f"writer-{self.number}-{conversation}"
                position = 0
                while position < len(events):
                    size = self.random.randint(3, 12)
                    self.save(event_rows(sender, events[position : position + size]))
                    position += size
                    if self.random.random() < 0.1:
                        self.save(event_rows(f"abandoned-{self.number}", events[:2]), roll_back=True)
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.engine.dispose()

    def save(self, rows: List[Dict], roll_back: bool = False) -> None:
        with self.engine.connect() as connection:
            transaction = connection.begin()
            if self.random.random() < 0.2:
                ids = [connection.execute(text("select nextval('events_id_seq')")).scalar_one() for _ in rows]
                time.sleep(self.random.uniform(0, 0.05))
                rows = [dict(row, id=event_id) for row, event_id in zip(rows, ids, strict=True)]
            for row in rows:
                connection.execute(EVENTS.insert(), row)
            time.sleep(self.random.uniform(0, 0.15))
            if roll_back:
                transaction.rollback()
            else:
                transaction.commit()


def test_several_writers_committing_out_of_order_are_all_indexed_without_rebuild(pg_url, monkeypatch):
    monkeypatch.setattr(indexer, "GAP_GRACE_S", 0.5)
    # Two consoles (the web server and a CLI, say) refresh the same index meanwhile.
    stores = [ReviewStore(pg_url), ReviewStore(pg_url)]
    stores[0].create_tables()
    writers = [Writer(pg_url, number, conversations=4, seed=number) for number in range(6)]
    done = threading.Event()
    failures: List[Exception] = []

    def refresh_until_done(store: ReviewStore) -> None:
        try:
            while not done.is_set():
                store.refresh(batch_size=50)
                time.sleep(0.01)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    refreshers = [threading.Thread(target=refresh_until_done, args=(store,), daemon=True) for store in stores]
    for thread in [*writers, *refreshers]:
        thread.start()
    for writer in writers:
        writer.join(timeout=120)
    done.set()
    for thread in refreshers:
        thread.join(timeout=60)
    assert not failures and not [writer.error for writer in writers if writer.error]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (stores[0].refresh() or gap_count(stores[0])):
        time.sleep(0.2)
    assert gap_count(stores[0]) == 0
    indexed = index_contents(stores[0])
    with stores[0].engine.connect() as connection:
        committed = connection.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    assert committed == 6 * 4 * len(recorded_events())
    assert sorted(indexed) == sorted(f"writer-{w}-{c}" for w in range(6) for c in range(4))

    stores[0].rebuild()
    assert index_contents(stores[0]) == indexed
    for store in stores:
        store.dispose()


def test_sqlite_records_no_gap(store):
    insert_events(store, "officer", recorded_events()[:5])
    with store.engine.begin() as connection:
        connection.execute(EVENTS.delete().where(EVENTS.c.id == 3))
    assert store.refresh() == 4
    assert gap_count(store) == 0


def test_refresh_that_keeps_meeting_another_sync_warns_and_indexes_at_the_next_one(store, monkeypatch, caplog):
    insert_events(store, "officer", recorded_events())
    real_sync = indexer.sync

    def always_overtaken(*args, **kwargs):
        raise indexer.ConcurrentSync("autre processus")

    monkeypatch.setattr(indexer, "sync", always_overtaken)
    monkeypatch.setattr(store_module.time, "sleep", lambda seconds: None)
    with caplog.at_level(logging.WARNING, logger="bot.review.store"):
        assert store.refresh() == 0
    assert "Index de revue non mis à jour" in caplog.text
    assert "prochain rafraîchissement" in caplog.text
    monkeypatch.setattr(indexer, "sync", real_sync)
    assert store.refresh() == len(recorded_events())
