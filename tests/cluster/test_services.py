"""make run-cluster on a machine where no PostgreSQL or Redis answers: it starts its own, in a
scratch directory, creates the database and refuses a local file for shared state."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy.engine import make_url

from cluster import run, services


@pytest.fixture
def nothing_running(monkeypatch):
    """Default loopback addresses on ports where nothing listens."""
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    monkeypatch.setenv(
        "CLUSTER_POSTGRES_URL", f"postgresql+psycopg2://postgres@127.0.0.1:{services.free_port()}/assistant"
    )
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(services.free_port()))
    monkeypatch.setattr(run, "LOCAL_POSTGRES_PORT", services.free_port())
    monkeypatch.setattr(run, "LOCAL_REDIS_PORT", services.free_port())


def test_local_postgres_and_redis_are_started_when_none_answers(nothing_running, tmp_path):
    if services._postgres_bindir() is None or shutil.which("redis-server") is None:
        pytest.skip("programmes PostgreSQL ou redis-server absents : pas de serveurs locaux possibles ici")
    local = services.LocalServers(tmp_path / "cluster")
    try:
        state = run.shared_state_from_env(tmp_path / "cluster", local)
        assert make_url(state.tracker_url).port == run.LOCAL_POSTGRES_PORT
        assert make_url(state.tracker_url).database == "assistant"
        assert services.postgres_problem(state.tracker_url) is None
        assert services.create_database(state.tracker_url) is False  # created by shared_state_from_env
        assert state.redis_port == run.LOCAL_REDIS_PORT
        assert services.redis_problem(state.redis_host, state.redis_port) is None
    finally:
        local.stop()
    assert services.postgres_problem(state.tracker_url) is not None
    assert services.redis_problem(state.redis_host, state.redis_port) is not None


def test_a_sqlite_tracker_store_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    with pytest.raises(SystemExit, match="PostgreSQL"):
        run.shared_state_from_env(tmp_path, services.LocalServers(tmp_path))
