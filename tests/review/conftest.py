"""Fixtures of the review console tests: a tracker database holding a real Rasa conversation
(events recorded from the assistant: greeting, a misunderstood question, the diagnostic form,
an out-of-scope question) and helpers to write more."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.review.config import ReviewConfig
from bot.review.models import EVENTS
from bot.review.store import ReviewStore

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
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


def postgres_schema_url() -> Iterator[str]:
    """A throwaway schema on the local PostgreSQL (CI always has one; elsewhere a skip)."""
    try:
        admin = create_engine(POSTGRES_URL, future=True)
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL injoignable en CI ({POSTGRES_URL}) : {error}")
        pytest.skip(f"PostgreSQL injoignable sur {POSTGRES_URL} : définissez TEST_POSTGRES_URL pour ce test")
    schema = f"review_test_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(text(f"create schema {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path) -> Iterator[ReviewStore]:
    """The same store on SQLite and, where reachable, PostgreSQL."""
    if request.param == "sqlite":
        url_source = iter([f"sqlite:///{tmp_path / 'tracker.sqlite3'}"])
    else:
        url_source = postgres_schema_url()
    url = next(url_source)
    store = ReviewStore(url)
    yield store
    store.dispose()
    next(url_source, None)


@pytest.fixture
def recorded(store) -> ReviewStore:
    insert_events(store, "officer-1", recorded_events())
    store.refresh()
    return store


@pytest.fixture
def config(store) -> ReviewConfig:
    return ReviewConfig(database_url=str(store.engine.url), secret=SECRET, secure_cookie=False)
