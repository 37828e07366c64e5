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
