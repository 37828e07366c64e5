"""A failing tracker store is a loud failure, never a silent switch to memory."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from channels import resilience


class BrokenTrackerStore(InMemoryTrackerStore):
    async def save(self, tracker):
        raise ConnectionError("base injoignable")

    async def retrieve(self, sender_id):
        raise ConnectionError("base injoignable")


@pytest.fixture
def store():
    resilience.install()
    return FailSafeTrackerStore(BrokenTrackerStore(Domain.empty()))


def test_failed_save_raises_instead_of_keeping_the_conversation_in_memory(store):
    tracker = DialogueStateTracker("agent", [])
    with pytest.raises(resilience.TrackerStoreUnavailable, match="injoignable"):
        asyncio.run(store.save(tracker))
    assert asyncio.run(store.fallback_tracker_store.retrieve("agent")) is None


def test_failed_retrieve_raises(store):
    with pytest.raises(resilience.TrackerStoreUnavailable):
        asyncio.run(store.retrieve("agent"))


def test_tracker_store_class_that_cannot_be_imported_stops_the_server():
    from rasa.core.tracker_store import create_tracker_store
    from rasa.utils.endpoints import EndpointConfig

    resilience.install()
    config = EndpointConfig(type="channels.nowhere.MissingTrackerStore")
    with pytest.raises(resilience.TrackerStoreUnavailable, match="introuvable"):
        create_tracker_store(config, Domain.empty())


def test_configured_tracker_store_writes_where_the_environment_says(monkeypatch, tmp_path):
    import sqlite3

    from rasa.core.tracker_store import create_tracker_store
    from rasa.shared.core.events import UserUttered
    from rasa.utils.endpoints import EndpointConfig

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'sub' / 'log.sqlite3'}")
    store = create_tracker_store(
        EndpointConfig(type="channels.tracker_store.ConfiguredSQLTrackerStore"), Domain.empty()
    )
    tracker = DialogueStateTracker.from_events("agent", [UserUttered("bonjour")])
    asyncio.run(store.save(tracker))
    with sqlite3.connect(tmp_path / "sub" / "log.sqlite3") as connection:
        assert connection.execute("select sender_id, type_name from events").fetchall() == [("agent", "user")]
