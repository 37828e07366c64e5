"""Fixtures of the review console tests: a tracker database holding a real Rasa conversation
(events recorded from the assistant: greeting, a misunderstood question, the diagnostic form,
an out-of-scope question) and helpers to write more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot.review.config import ReviewConfig
from bot.review.models import EVENTS
from bot.review.store import ReviewStore

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "secret-de-test-" + "x" * 32


def recorded_events() -> List[Dict]:
    """The recorded conversation: 85 events as Rasa 3.6 wrote them."""
    return json.loads((FIXTURES / "rasa_events.json").read_text(encoding="utf-8"))


def insert_events(store: ReviewStore, sender_id: str, events: List[Dict], shift: float = 0.0) -> None:
    rows = [
        {
            "sender_id": sender_id,
            "type_name": event["type_name"],
            "timestamp": event["timestamp"] + shift,
            "intent_name": event["intent_name"],
            "action_name": event["action_name"],
            "data": json.dumps(event["data"], ensure_ascii=False) if isinstance(event["data"], dict) else event["data"],
        }
        for event in events
    ]
    store.create_tables()
    with store.engine.begin() as connection:
        connection.execute(EVENTS.insert(), rows)


@pytest.fixture
def store(tmp_path) -> Iterator[ReviewStore]:
    store = ReviewStore(f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    yield store
    store.dispose()


@pytest.fixture
def recorded(store) -> ReviewStore:
    insert_events(store, "officer-1", recorded_events())
    store.refresh()
    return store


@pytest.fixture
def config(store) -> ReviewConfig:
    return ReviewConfig(database_url=str(store.engine.url), secret=SECRET, secure_cookie=False)
