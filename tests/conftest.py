"""Shared fixtures: one analyzer and one knowledge base built from the real content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.kb.content import DEFAULT_CONTENT_DIR, load_content
from bot.kb.db import make_engine
from bot.kb.loader import build
from bot.kb.service import KnowledgeBase
from bot.text import FrenchAnalyzer

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def analyzer() -> FrenchAnalyzer:
    return FrenchAnalyzer()


@pytest.fixture(scope="session")
def content():
    return load_content(DEFAULT_CONTENT_DIR)


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory, content, analyzer) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.sqlite3'}"
    build(make_engine(url), content, analyzer)
    return url


@pytest.fixture(scope="session")
def kb(kb_url, analyzer) -> KnowledgeBase:
    return KnowledgeBase.from_url(kb_url, analyzer)


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the content folder, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target
