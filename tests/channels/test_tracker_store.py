"""The configured SQL tracker store reads back exactly what Rasa's own reading gives."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from tests.conftest import REPO_ROOT


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    domain = Domain.load(str(REPO_ROOT / "domain.yml"))
    return create_tracker_store(EndpointConfig(type="channels.tracker_store.ConfiguredSQLTrackerStore"), domain)


def conversation(domain_slots):
    tracker = DialogueStateTracker("agent", domain_slots)
    for session in range(2):
        tracker.update(ActionExecuted("action_session_start", timestamp=100.0 * session + 1))
        tracker.update(SessionStarted(timestamp=100.0 * session + 2))
        tracker.update(ActionExecuted("action_listen", timestamp=100.0 * session + 3))
        tracker.update(
            UserUttered("Qui pilote ?", {"name": "ask_mission", "confidence": 0.8}, timestamp=100.0 * session + 4)
        )
        tracker.update(ActionExecuted("action_explain_mission", timestamp=100.0 * session + 5))
        tracker.update(BotUttered("Le chef de file.", timestamp=100.0 * session + 6))
        tracker.update(SlotSet("current_mission", "identify_lead_partner", timestamp=100.0 * session + 7))
    return tracker


@pytest.mark.parametrize("all_sessions", [False, True])
def test_reading_gives_the_same_tracker_as_rasa(store, all_sessions):
    tracker = conversation(store.domain.slots)
    asyncio.run(store.save(tracker))
    ours = asyncio.run(store._retrieve("agent", fetch_events_from_all_sessions=all_sessions))
    rasa = asyncio.run(SQLTrackerStore._retrieve(store, "agent", fetch_events_from_all_sessions=all_sessions))
    assert list(ours.events) == list(rasa.events)
    assert len(ours.events) == (14 if all_sessions else 6)
    assert ours.get_slot("current_mission") == "identify_lead_partner"


def test_unknown_conversation_reads_as_none(store):
    assert asyncio.run(store.retrieve("personne")) is None
