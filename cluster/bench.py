"""The same REST load through nginx against 1 and 2 replicas, and what each message costs:
CPU time per process family and PostgreSQL work (``make bench-cluster``,
``python -m cluster.bench``).

Each configuration gets a fresh database and cluster, a warm-up, then ``--rounds`` runs of
``--conversations`` parallel conversations playing the 10-message script of cluster/load.py.
PostgreSQL's counters (pg_stat_database, pg_stat_user_tables) are read for the run's database
only, after PostgreSQL has flushed them; CPU times come from /proc for the cluster's processes
and for the PostgreSQL backends serving that database. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cluster import services
from cluster.load import ScriptedLoad
from cluster.run import Cluster, Ports, SharedState, build_knowledge_base

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
TICKS = os.sysconf("SC_CLK_TCK")
# PostgreSQL 15 backends flush their statistics at most once a second, and 10 s after going idle.
STATS_FLUSH_WAIT_S = 12
FAMILIES = ("rasa", "actions", "nginx", "web")


@dataclass
class Counters:
    at: float
    database: Dict[str, int]
    events_inserted: int
    cpu_s: Dict[str, float]
    redis_commands: int


@dataclass
class Measure:
    replicas: int
    routing: str
    runs: List[ScriptedLoad] = field(default_factory=list)
    before: Optional[Counters] = None
    after: Optional[Counters] = None

    @property
    def replied(self) -> int:
        return sum(e.replied for run in self.runs for e in run.exchanges)

    @property
    def errors(self) -> int:
        return sum(not e.replied for run in self.runs for e in run.exchanges)

    @property
    def wrong(self) -> int:
        return sum(e.replied and not e.correct for run in self.runs for e in run.exchanges)

    def throughput(self) -> float:
        return statistics.median(run.throughput for run in self.runs)

    def latency(self, share: float) -> float:
        exchanges = [e for run in self.runs for e in run.exchanges]
        return self.runs[0].percentile_ms(share, exchanges)

    def per_message(self, key: str) -> float:
        return (self.after.database[key] - self.before.database[key]) / self.replied

    def events_per_message(self) -> float:
        return (self.after.events_inserted - self.before.events_inserted) / self.replied

    def redis_commands_per_message(self) -> float:
        return (self.after.redis_commands - self.before.redis_commands) / self.replied

    def cpu_ms_per_message(self, family: str) -> float:
        return (self.after.cpu_s[family] - self.before.cpu_s[family]) * 1000 / self.replied


def process_group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[2] is pgrp (field 5 of stat)
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def pid_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def snapshot(cluster: Cluster, url: str) -> Counters:
    import redis

    name = make_url(url).database
    redis_stats = redis.Redis(host=cluster.state.redis_host, port=cluster.state.redis_port).info("stats")
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        connection.execute(text("select pg_stat_clear_snapshot()"))
        row = connection.execute(
            text(
                "select xact_commit, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned"
                " from pg_stat_database where datname = :n"
            ),
            {"n": name},
        ).one()
        events = connection.execute(
            text("select coalesce(sum(n_tup_ins), 0) from pg_stat_user_tables where relname = 'events'")
        ).scalar_one()
        backends = connection.execute(
            text("select pid from pg_stat_activity where datname = :n and pid <> pg_backend_pid()"), {"n": name}
        ).scalars()
        postgres_cpu = sum(pid_cpu_s(pid) for pid in backends)
    engine.dispose()
    cpu = {family: 0.0 for family in FAMILIES}
    for process_name, process in cluster.processes.items():
        family = process_name.split("-")[0]
        if process.poll() is None:
            cpu[family] += process_group_cpu_s(process.pid)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu["postgres"] = postgres_cpu
    cpu["client"] = usage.ru_utime + usage.ru_stime
    keys = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted", "tup_fetched", "tup_returned")
    # The whole Redis server's count (the snapshot's own INFO included): nothing else uses it here.
    commands = int(redis_stats["total_commands_processed"])
    return Counters(time.time(), dict(zip(keys, row, strict=False)), int(events), cpu, commands)


def measure(replicas: int, routing: str, conversations: int, rounds: int, redis: Tuple[str, int]) -> Measure:
    run = uuid.uuid4().hex[:8]
    url = make_url(POSTGRES_URL).set(database=f"cluster_bench_{run}").render_as_string(hide_password=False)
    services.create_database(url)
    cluster = None
    result = Measure(replicas, routing)
    try:
        build_knowledge_base(url)
        state = SharedState(url, url, redis[0], redis[1], 1, f"clusterbench{run}")
        directory = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
        cluster = Cluster(
            directory, replicas, Ports.free(replicas), state, public_host="127.0.0.1", rest_routing=routing
        )
        cluster.start()
        ScriptedLoad(cluster.url, max(2, conversations // 5)).run()  # warm-up: pools, caches, spaCy
        time.sleep(STATS_FLUSH_WAIT_S)
        result.before = snapshot(cluster, url)
        for _ in range(rounds):
            result.runs.append(ScriptedLoad(cluster.url, conversations).run())
        time.sleep(STATS_FLUSH_WAIT_S)
        result.after = snapshot(cluster, url)
    finally:
        if cluster is not None:
            cluster.stop()
        services.drop_database(url)
    return result


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cœurs, {memory_gib:.0f} Gio de mémoire, Python {sys.version.split()[0]}"


def report(measures: List[Measure], conversations: int, rounds: int, command: str) -> str:
    base = measures[0].throughput()
    lines = [
        f"Mesuré le {time.strftime('%Y-%m-%d %H:%M')} sur {machine()} ; commande : `{command}`.",
        f"Charge : {conversations} conversations en parallèle × 10 messages (script de `cluster/load.py`), "
        f"{rounds} passes par configuration (médiane du débit), à travers nginx, sur PostgreSQL et Redis.",
        "",
        "| répliques Rasa (+ serveurs d'actions) | routage REST | messages | erreurs | réponses hors contexte "
        "| p50 (ms) | p95 (ms) | messages/s | rapport à 1 réplique |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in measures:
        lines.append(
            f"| {m.replicas} | {m.routing} | {m.replied + m.errors} | {m.errors} | {m.wrong} | {m.latency(0.5):.0f} "
            f"| {m.latency(0.95):.0f} | {m.throughput():.1f} | {m.throughput() / base:.2f} |"
        )
    lines += [
        "",
        "Coût d'un message (moyenne sur toutes les passes) :",
        "",
        "| répliques | routage | CPU rasa (ms) | CPU actions (ms) | CPU PostgreSQL (ms) | CPU nginx (ms) "
        "| CPU client de charge (ms) | transactions PostgreSQL | lignes insérées (dont `events`) "
        "| lignes parcourues / lues par index "
        "| commandes Redis |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in measures:
        cpu = m.cpu_ms_per_message
        lines.append(
            f"| {m.replicas} | {m.routing} | {cpu('rasa'):.1f} | {cpu('actions'):.1f} "
            f"| {cpu('postgres'):.1f} | {cpu('nginx'):.2f} "
            f"| {cpu('client'):.1f} | {m.per_message('xact_commit'):.1f} "
            f"| {m.per_message('tup_inserted'):.1f} ({m.events_per_message():.1f}) "
            f"| {m.per_message('tup_returned'):.0f} / {m.per_message('tup_fetched'):.0f} "
            f"| {m.redis_commands_per_message():.1f} |"
        )
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--configs",
        default="1:least_conn,2:least_conn,3:least_conn,2:sender",
        help="répliques:routage, séparés par des virgules",
    )
    args = parser.parse_args(argv)

    def interrupted(_signum, _frame):
        raise KeyboardInterrupt  # unwinds through measure(): cluster stopped, database dropped

    signal.signal(signal.SIGTERM, interrupted)
    redis = (os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379")))
    for problem in (services.postgres_problem(POSTGRES_URL), services.redis_problem(*redis)):
        if problem:
            raise SystemExit(f"Serveur injoignable : {problem}")
    measures = []
    for config in args.configs.split(","):
        replicas, routing = config.split(":")
        print(f"… {replicas} réplique(s), routage {routing}", file=sys.stderr, flush=True)
        measures.append(measure(int(replicas), routing, args.conversations, args.rounds, redis))
    arguments = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m cluster.bench", *arguments]) if arguments else "make bench-cluster"
    print(report(measures, args.conversations, args.rounds, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
