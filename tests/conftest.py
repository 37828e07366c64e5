"""Shared fixtures: one analyzer and one knowledge base built from the real content."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.kb.content import DEFAULT_CONTENT_DIR, load_content
from bot.kb.db import make_engine
from bot.kb.loader import build
from bot.kb.service import KnowledgeBase
from bot.text import FrenchAnalyzer

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """URL of a throwaway schema on the local PostgreSQL, dropped afterwards.

    Where no server answers the test is skipped with the reason, except in CI (``CI`` set),
    which always has one: there its absence is a failure. TEST_POSTGRES_URL overrides the server.
    """
    try:
        admin = create_engine(POSTGRES_URL, future=True)
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL injoignable en CI ({POSTGRES_URL}) : {error}")
        pytest.skip(f"PostgreSQL injoignable sur {POSTGRES_URL} : définissez TEST_POSTGRES_URL pour ce test")
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(text(f"create schema {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


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
