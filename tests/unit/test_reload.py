"""The knowledge-base facade follows a rebuild of its database without a restart: its search
caches are dropped when the content digest changes, checked at most once a second."""

from __future__ import annotations

import threading

import pytest

from bot.kb import service
from bot.kb.content import load_content
from bot.kb.db import make_engine, make_session_factory
from bot.kb.loader import build
from bot.kb.service import KnowledgeBase

NEW_WORD = "zorglubisme"
MISSION_ID = "share_diagnostics"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rebuilt(tmp_path, content, analyzer, content_copy):
    """A built knowledge base, and a function that rebuilds it with a new keyword on a mission."""
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    build(engine, content, analyzer)

    def rebuild() -> None:
        path = content_copy / "missions" / "emergence.yml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("      - atelier\n", f"      - atelier\n      - {NEW_WORD}\n", 1), encoding="utf-8"
        )
        build(engine, load_content(content_copy), analyzer)

    yield engine, rebuild
    engine.dispose()


def found(kb: KnowledgeBase):
    return [hit.mission.id for hit in kb.find_missions(NEW_WORD)]


def test_search_uses_the_rebuilt_content_once_the_check_interval_passed(rebuilt, analyzer):
    engine, rebuild = rebuilt
    clock = Clock()
    kb = KnowledgeBase(make_session_factory(engine), analyzer, clock=clock)
    assert MISSION_ID not in found(kb)
    rebuild()
    clock.now += 0.5
    assert MISSION_ID not in found(kb)  # within the second: the cached index is still used
    clock.now += 0.6
    assert found(kb)[0] == MISSION_ID


def test_the_digest_is_read_at_most_once_per_interval(rebuilt, analyzer, monkeypatch):
    engine, _rebuild = rebuilt
    reads = []
    original = service._content_digest
    monkeypatch.setattr(service, "_content_digest", lambda session: reads.append(1) or original(session))
    clock = Clock()
    kb = KnowledgeBase(make_session_factory(engine), analyzer, clock=clock)
    for _ in range(20):
        kb.find_missions("chef de file")
    assert len(reads) == 1
    clock.now += service.RELOAD_CHECK_SECONDS
    kb.find_missions("chef de file")
    assert len(reads) == 2


def test_phase_names_are_read_again_after_a_rebuild(rebuilt, analyzer):
    engine, rebuild = rebuilt
    clock = Clock()
    kb = KnowledgeBase(make_session_factory(engine), analyzer, clock=clock)
    assert kb.find_phase("je démarre tout juste") is not None
    kb._phase_terms["emergence"] = []  # what a stale cache would hold
    rebuild()
    clock.now += 2
    assert kb.find_phase("je démarre tout juste").id == "emergence"


def test_searches_from_many_threads_during_a_rebuild_all_succeed_and_end_on_the_new_content(rebuilt, analyzer):
    engine, rebuild = rebuilt
    kb = KnowledgeBase(make_session_factory(engine), analyzer, reload_seconds=0.0)
    kb.warm_up()
    errors, stop = [], threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                kb.find_missions("les élus ne se parlent pas")
                kb.find_missions(NEW_WORD)
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        rebuild()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert found(kb)[0] == MISSION_ID
