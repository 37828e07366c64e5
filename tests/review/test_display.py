"""Mission and phase titles of the console's pages: read when the knowledge base exists, read
again every RETRY_SECONDS (not at every page), so a published title shows without a restart."""

from __future__ import annotations

from bot.review.display import RETRY_SECONDS, KnowledgeLabels

TITLES = {"mission": {"build_trust": "Instaurer la confiance"}, "phase": {}}
RENAMED = {"mission": {"build_trust": "Rassurer les partenaires"}, "phase": {}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_unreadable_knowledge_base_is_retried_later_not_at_every_page():
    calls, clock = [], Clock()

    def read():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("base absente")
        return TITLES

    labels = KnowledgeLabels(read, clock)
    assert labels.get() == labels.get() == {"mission": {}, "phase": {}}
    assert len(calls) == 1
    clock.now += RETRY_SECONDS
    assert labels.get() == TITLES == labels.get()
    assert len(calls) == 2


def test_titles_changed_in_the_knowledge_base_show_after_the_delay_or_at_once_when_forgotten():
    current, clock = [TITLES], Clock()
    labels = KnowledgeLabels(lambda: current[0], clock)
    assert labels.get() == TITLES
    current[0] = RENAMED
    assert labels.get() == TITLES  # not read at every page
    clock.now += RETRY_SECONDS
    assert labels.get() == RENAMED
    current[0] = TITLES
    labels.forget()
    assert labels.get() == TITLES
