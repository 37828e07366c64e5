"""PostgreSQL and Redis for the cluster: the machine's running servers when they answer, else
local ones started in a scratch directory, stopped with the cluster.

PostgreSQL holds everything that must last: the conversations (Rasa's ``events`` table), the
review console's tables and the knowledge base. Redis holds only Rasa's conversation locks,
which expire on their own: it runs without persistence, and losing it loses no data.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 60


def postgres_problem(url: str) -> Optional[str]:
    """Why PostgreSQL cannot be reached at ``url`` (its maintenance database), or None."""
    engine = create_engine(_maintenance_url(url), future=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except SQLAlchemyError as error:
        return str(error.__cause__ or error).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def redis_problem(host: str, port: int) -> Optional[str]:
    """Why Redis cannot be reached, or None."""
    import redis

    try:
        redis.Redis(host=host, port=port, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return str(error)
    return None


def create_database(url: str) -> bool:
    """Create the database ``url`` names if it does not exist; True if it was created."""
    name = make_url(url).database
    engine = create_engine(_maintenance_url(url), future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(text("select 1 from pg_database where datname = :n"), {"n": name}).first():
                return False
            connection.execute(text(f'create database "{name}"'))
            return True
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    """Drop the database ``url`` names, closing its remaining connections first."""
    name = make_url(url).database
    engine = create_engine(_maintenance_url(url), future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(
                text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :n"), {"n": name}
            )
            connection.execute(text(f'drop database if exists "{name}"'))
    finally:
        engine.dispose()


def _maintenance_url(url: str) -> URL:
    return make_url(url).set(database="postgres")


@dataclass
class LocalServers:
    """PostgreSQL and/or Redis started by us, in the foreground, under ``directory``."""

    directory: Path
    processes: List[subprocess.Popen] = field(default_factory=list)

    def start_postgres(self, port: int) -> str:
        """initdb (first time) and start PostgreSQL on 127.0.0.1:``port``; returns its URL."""
        binaries = _postgres_bindir()
        if binaries is None:
            raise RuntimeError(
                "Aucun PostgreSQL ne répond et ses programmes sont introuvables : "
                "installez le paquet Debian « postgresql » ou définissez CLUSTER_POSTGRES_URL."
            )
        data = self.directory / "postgres"
        as_user = _unprivileged_prefix(data.parent)
        if not (data / "PG_VERSION").exists():
            data.mkdir(parents=True, exist_ok=True)
            _hand_over(data)
            subprocess.run(
                [*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log = (self.directory / "postgres.log").open("a")
        self.processes.append(
            subprocess.Popen(
                [*as_user, str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data),
                 "-c", "listen_addresses=127.0.0.1"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
        _wait_until(lambda: postgres_problem(url) is None, "PostgreSQL local", self.processes[-1])
        logger.info("PostgreSQL local démarré dans %s (port %d).", data, port)
        return url

    def start_redis(self, port: int) -> None:
        """Start a Redis without persistence on 127.0.0.1:``port``."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "Aucun Redis ne répond et redis-server est introuvable : installez le paquet Debian "
                "« redis-server » ou définissez REDIS_HOST et REDIS_PORT."
            )
        directory = self.directory / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("a")
        self.processes.append(
            subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
                 "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
        _wait_until(lambda: redis_problem("127.0.0.1", port) is None, "Redis local", self.processes[-1])
        logger.info("Redis local démarré (port %d, sans persistance : il ne garde que des verrous).", port)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()  # PostgreSQL: smart shutdown, nothing lost
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.processes.clear()


def _postgres_bindir() -> Optional[Path]:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("postgres")
    return Path(found).parent if found else None


def _unprivileged_prefix(directory: Path) -> List[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("PostgreSQL ne démarre pas en root et runuser est introuvable.")
    return [runuser, "-u", "postgres", "--"]


def _hand_over(data: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        data.chmod(0o700)
        # The postgres user must be able to reach the data directory.
        for parent in data.parents:
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o001)


def _wait_until(ready, name: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} s'est arrêté au démarrage (code {process.returncode}).")
        if ready():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{name} n'a pas démarré en {READY_TIMEOUT_S} s.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
