"""The servers the cluster needs: PostgreSQL and Redis (always running in CI) and nginx
(installed by make cluster-deps, which make test runs). Without them a cluster test is skipped
with the reason, except under CI=true, where it fails."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from cluster import services

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (en CI, c'est un échec)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_server():
    problem = services.redis_problem(REDIS_HOST, REDIS_PORT)
    if problem:
        unavailable(f"Redis injoignable sur {REDIS_HOST}:{REDIS_PORT} ({problem}) : définissez REDIS_HOST/REDIS_PORT")
    return REDIS_HOST, REDIS_PORT


@pytest.fixture(scope="session")
def postgres_server():
    problem = services.postgres_problem(POSTGRES_URL)
    if problem:
        unavailable(f"PostgreSQL injoignable sur {POSTGRES_URL} ({problem}) : définissez TEST_POSTGRES_URL")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def nginx_binary() -> Path:
    if not NGINX.exists():
        unavailable(f"nginx introuvable ({NGINX}) : make cluster-deps l'installe (paquet Debian nginx-light)")
    return NGINX


@pytest.fixture
def key_prefix(redis_server):
    """A Redis key prefix of this test only (alphanumeric, as Rasa requires); keys removed after."""
    import redis

    prefix = f"test{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis(host=redis_server[0], port=redis_server[1], db=1)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
