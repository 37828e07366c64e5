"""Engine and session factories. Nothing is opened at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "knowledge.sqlite3"
URL_VARIABLE = "KB_DATABASE_URL"


def database_url(url: Optional[str] = None) -> str:
    """The URL to use: explicit, else ``KB_DATABASE_URL``, else the SQLite file under var/."""
    return url or os.environ.get(URL_VARIABLE) or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: Optional[str] = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
