"""Mission and phase titles of the console's pages: read once the knowledge base exists,
retried (not at every page) while it cannot be read."""

from __future__ import annotations

from bot.review import display
from bot.review.display import KnowledgeLabels

TITLES = {"mission": {"build_trust": "Instaurer la confiance"}, "phase": {}}


def test_unreadable_knowledge_base_is_retried_later_not_at_every_page(monkeypatch):
    calls = []

    def read():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("base absente")
        return TITLES

    labels = KnowledgeLabels(read)
    assert labels.get() == labels.get() == {"mission": {}, "phase": {}}
    assert len(calls) == 1
    monkeypatch.setattr(display, "RETRY_SECONDS", 0.0)
    labels = KnowledgeLabels(read)
    calls.clear()
    assert labels.get() == {"mission": {}, "phase": {}} and labels.get() == TITLES == labels.get()
    assert len(calls) == 2
