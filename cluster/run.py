"""Start the cluster on one machine: N Rasa replicas, N action servers, the web server and
nginx in front, on PostgreSQL and Redis (``make run-cluster``, ``python -m cluster.run``).

Every replica runs the same model file with ``cluster/endpoints.yml``: the SQL tracker store
on ``TRACKER_DATABASE_URL`` and the Redis lock store on ``REDIS_HOST``/``REDIS_PORT``. The
action servers read the knowledge base from ``KB_DATABASE_URL`` and sit behind nginx's
internal port as one pool; the replicas call that pool, so any action server can answer any
replica. The replicas share their socket.io emits through Redis too (channels/socketio.py).

``make run-cluster`` runs every process under supervisord (cluster/supervision.py), like
``make run``: a process that dies is started again while the others serve (nginx sends the
traffic to the other replica meanwhile), one that dies at every start is given up (FATAL) and
reported, Ctrl-C stops everything. Each process writes to ``<directory>/logs/<name>.log``;
supervisord's lines and the French journal of restarts go to the console.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from sqlalchemy.engine import make_url

from cluster import nginx, services, supervision

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENDPOINTS = REPO_ROOT / "cluster" / "endpoints.yml"
DEFAULT_MODEL = REPO_ROOT / "models" / "assistant.tar.gz"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/assistant"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
START_TIMEOUT_S = 300
LOCAL_POSTGRES_PORT = 55432
LOCAL_REDIS_PORT = 56379


@dataclass(frozen=True)
class Ports:
    public: int
    actions_balancer: int
    rasa: List[int]
    actions: List[int]
    web: int
    demo: int

    @classmethod
    def free(cls, replicas: int) -> Ports:
        """Free loopback ports, for tests."""
        return cls(
            public=services.free_port(),
            actions_balancer=services.free_port(),
            rasa=[services.free_port() for _ in range(replicas)],
            actions=[services.free_port() for _ in range(replicas)],
            web=services.free_port(),
            demo=services.free_port(),
        )

    @classmethod
    def from_env(cls, replicas: int, public: int, environ: Mapping[str, str] = os.environ) -> Ports:
        """Replica i on RASA_PORT + i and ACTION_PORT + i; nginx's action pool on public + 1."""
        rasa, action = int(environ.get("RASA_PORT", "5005")), int(environ.get("ACTION_PORT", "5055"))
        return cls(
            public=public,
            actions_balancer=int(environ.get("CLUSTER_ACTIONS_PORT", str(public + 1))),
            rasa=[rasa + index for index in range(replicas)],
            actions=[action + index for index in range(replicas)],
            web=int(environ.get("WEB_PORT", "8080")),
            demo=int(environ.get("DEMO_PORT", "8081")),
        )


@dataclass(frozen=True)
class SharedState:
    """Where the replicas keep what must outlive them."""

    tracker_url: str
    kb_url: str
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 1
    lock_key_prefix: str = "assistant"


class Cluster:
    """The processes of one deployment, each startable, killable and restartable by name:
    ``actions-<i>``, ``rasa-<i>``, ``web`` and ``nginx``."""

    def __init__(
        self,
        directory: Path,
        replicas: int,
        ports: Ports,
        state: SharedState,
        model: Path = DEFAULT_MODEL,
        public_host: str = "localhost",
        public_url: Optional[str] = None,
        listen_host: str = "127.0.0.1",
        rest_routing: str = "least_conn",
        extra_env: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.directory = directory
        self.replicas = replicas
        self.ports = ports
        self.state = state
        self.model = model
        # What browsers see: nginx's port, or the address of a proxy in front of it (TLS).
        self.url = (public_url or f"http://{public_host}:{ports.public}").rstrip("/")
        self.demo_url = f"http://{public_host}:{ports.demo}"
        self.log_dir = directory / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.nginx_settings = nginx.NginxSettings(
            directory=directory / "nginx",
            listen=f"{listen_host}:{ports.public}",
            actions_listen=f"127.0.0.1:{ports.actions_balancer}",
            rasa_ports=ports.rasa,
            action_ports=ports.actions,
            web_port=ports.web,
            rest_routing=rest_routing,
        )
        self.env = dict(
            os.environ,
            TRACKER_DATABASE_URL=state.tracker_url,
            KB_DATABASE_URL=state.kb_url,
            REDIS_HOST=state.redis_host,
            REDIS_PORT=str(state.redis_port),
            REDIS_DB=str(state.redis_db),
            LOCK_KEY_PREFIX=state.lock_key_prefix,
            # socket.io emits reach the browsers held by any replica (channels/socketio.py).
            SOCKETIO_REDIS_URL=f"redis://{state.redis_host}:{state.redis_port}/{state.redis_db}",
            SOCKETIO_REDIS_CHANNEL=f"{state.lock_key_prefix}:socketio",
            ACTION_SERVER_URL=f"http://127.0.0.1:{ports.actions_balancer}/webhook",
            WEB_PORT=str(ports.web),
            DEMO_PORT=str(ports.demo),
            WEB_HOST="127.0.0.1",
            RASA_PUBLIC_URL=self.url,
            WEB_PUBLIC_URL=self.url,
            CORS_ORIGINS=f"{self.url} {self.demo_url}",
            RASA_TELEMETRY_ENABLED="false",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            PYTHONWARNINGS=os.environ.get("PYTHONWARNINGS", "ignore::DeprecationWarning"),
            # Conversation locks of a replica that died free themselves after this long; a
            # live replica keeps its own alive (cluster/lock_store.py).
            TICKET_LOCK_LIFETIME=os.environ.get("TICKET_LOCK_LIFETIME", "10"),
            # The review console's models page promotes a candidate into the one model file
            # every replica runs, then has each replica load it (with RASA_API_TOKEN set).
            MODEL_PATH=str(model),
            RASA_INTERNAL_URL=" ".join(f"http://127.0.0.1:{port}" for port in ports.rasa),
        )
        self.env.update(extra_env or {})
        self.processes: Dict[str, subprocess.Popen] = {}

    # --- what runs where -------------------------------------------------------------------

    def names(self) -> List[str]:
        actions = [f"actions-{index + 1}" for index in range(self.replicas)]
        rasa = [nginx.replica_name(index) for index in range(self.replicas)]
        return actions + rasa + ["web", "nginx"]

    def command(self, name: str) -> List[str]:
        kind, _, number = name.partition("-")
        if kind == "actions":
            return [sys.executable, "-m", "actions.server"]
        if kind == "rasa":
            port = self.ports.rasa[int(number) - 1]
            command = [
                str(BIN / "rasa"), "run", "--model", str(self.model), "--interface", "127.0.0.1",
                "--port", str(port), "--credentials", "credentials.yml", "--endpoints", str(ENDPOINTS),
                "--cors", *self.env["CORS_ORIGINS"].split(),
            ]  # fmt: skip
            if self.env.get("RASA_API_TOKEN"):
                command += ["--enable-api", "--auth-token", self.env["RASA_API_TOKEN"]]
            return command
        if kind == "web":
            return [sys.executable, "-m", "bot.web"]
        if kind == "nginx":
            directory = self.nginx_settings.directory
            return [NGINX, "-e", str(directory / "error.log"), "-p", str(directory), "-c", "nginx.conf"]
        raise KeyError(name)

    def health_url(self, name: str) -> str:
        kind, _, number = name.partition("-")
        if kind == "actions":
            return f"http://127.0.0.1:{self.ports.actions[int(number) - 1]}/health"
        if kind == "rasa":
            return f"http://127.0.0.1:{self.ports.rasa[int(number) - 1]}/"
        if kind == "web":
            return f"http://127.0.0.1:{self.ports.web}/health"
        return f"http://127.0.0.1:{self.ports.public}/health"

    def replica_url(self, index: int) -> str:
        """One Rasa replica directly, bypassing nginx (tests, diagnosis)."""
        return f"http://127.0.0.1:{self.ports.rasa[index]}"

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> Cluster:
        """Write nginx's configuration, then start every process and wait until all answer."""
        self.prepare()
        for name in self.names():
            self.spawn(name)
        self.wait_ready(self.names())
        return self

    def prepare(self) -> None:
        """Write nginx's configuration and have nginx check it."""
        nginx.write(self.nginx_settings)
        check = subprocess.run(
            [NGINX, "-t", "-q", "-e", "stderr", "-p", str(self.nginx_settings.directory), "-c", "nginx.conf"],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"Configuration nginx refusée :\n{check.stderr}")

    def own_environment(self, name: str) -> Dict[str, str]:
        """What one process adds to the cluster's environment."""
        if name.startswith("actions-"):
            return {"ACTION_PORT": str(self.ports.actions[int(name.split("-")[1]) - 1])}
        return {}

    def programs(self) -> List[supervision.Program]:
        """The processes, as supervisord runs them (make run-cluster)."""
        return [
            supervision.Program(
                name, shlex.join(self.command(name)), self.own_environment(name), self.log_dir / f"{name}.log"
            )
            for name in self.names()
        ]

    def spawn(self, name: str) -> subprocess.Popen:
        env = dict(self.env, **self.own_environment(name))
        log = (self.log_dir / f"{name}.log").open("a")
        process = subprocess.Popen(
            self.command(name),
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def restart(self, name: str, wait: bool = True) -> None:
        if self.alive(name):
            self.kill(name)
        self.spawn(name)
        if wait:
            self.wait_ready([name])

    def wait_ready(self, names: List[str], timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(names)
        while waiting and time.monotonic() < deadline:
            for name in list(waiting):
                if not self.alive(name):
                    raise RuntimeError(f"{name} s'est arrêté au démarrage :\n{self.log(name)[-3000:]}")
                if answers(self.health_url(name)):
                    waiting.remove(name)
            time.sleep(0.5)
        if waiting:
            raise RuntimeError(
                f"{', '.join(waiting)} ne répond pas après {timeout_s:.0f} s ; journaux : {self.log_dir}"
            )

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def kill(self, name: str) -> None:
        """SIGKILL to the process and its children: nothing gets a chance to clean up."""
        process = self.processes[name]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop(self) -> None:
        """nginx first (no new requests), then the replicas, the action servers and the web."""
        for name in reversed(self.names()):
            if self.alive(name):
                os.killpg(self.processes[name].pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name in reversed(self.names()):
            process = self.processes.get(name)
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(name)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def answers(url: str, timeout_s: float = 3) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


# --- make run-cluster --------------------------------------------------------------------------


def shared_state_from_env(directory: Path, local: services.LocalServers) -> SharedState:
    """PostgreSQL and Redis from the environment; local servers when the default loopback
    ones do not answer. Refuses SQLite: replicas on several machines cannot share a file."""
    base = os.environ.get("CLUSTER_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    tracker_url = os.environ.get("TRACKER_DATABASE_URL") or base
    kb_url = os.environ.get("KB_DATABASE_URL") or base
    for variable, url in (("TRACKER_DATABASE_URL", tracker_url), ("KB_DATABASE_URL", kb_url)):
        if make_url(url).get_backend_name() != "postgresql":
            raise SystemExit(
                f"{variable}={url} : le cluster partage son état entre répliques, il lui faut PostgreSQL "
                "(postgresql+psycopg2://…), pas un fichier local."
            )
    problem = services.postgres_problem(tracker_url)
    if problem and make_url(tracker_url).host in ("127.0.0.1", "localhost") and tracker_url == kb_url == base:
        logger.warning("PostgreSQL ne répond pas (%s) : démarrage d'un serveur local dans %s.", problem, directory)
        local_url = local.start_postgres(LOCAL_POSTGRES_PORT)
        tracker_url = kb_url = str(make_url(local_url).set(database=make_url(base).database))
    elif problem:
        raise SystemExit(f"PostgreSQL injoignable ({tracker_url}) : {problem}")
    for url in {tracker_url, kb_url}:
        if services.create_database(url):
            logger.info("Base %s créée.", make_url(url).database)

    host, port = os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379"))
    problem = services.redis_problem(host, port)
    if problem and host in ("127.0.0.1", "localhost"):
        logger.warning("Redis ne répond pas (%s) : démarrage d'un serveur local.", problem)
        local.start_redis(LOCAL_REDIS_PORT)
        port = LOCAL_REDIS_PORT
    elif problem:
        raise SystemExit(f"Redis injoignable ({host}:{port}) : {problem}")
    return SharedState(
        tracker_url=tracker_url,
        kb_url=kb_url,
        redis_host=host,
        redis_port=port,
        redis_db=int(os.environ.get("REDIS_DB", "1")),
        lock_key_prefix=os.environ.get("LOCK_KEY_PREFIX", "assistant"),
    )


def build_knowledge_base(kb_url: str) -> None:
    """Load knowledge/ into the shared database once, before the action servers start (each
    would otherwise rebuild an empty one at the same time)."""
    subprocess.run(
        [sys.executable, "-m", "bot.kb", "--database-url", kb_url, "build", "--if-changed"], cwd=REPO_ROOT, check=True
    )


def wait_until_answering(cluster: Cluster, supervisor: subprocess.Popen) -> bool:
    """Whether every process answered before supervisord stopped or the start timed out."""
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting = cluster.names()
    while waiting and supervisor.poll() is None and time.monotonic() < deadline:
        waiting = [name for name in waiting if not answers(cluster.health_url(name))]
        time.sleep(1)
    if waiting and supervisor.poll() is None:
        logger.warning("%s ne répond pas après %.0f s : voir %s.", ", ".join(waiting), START_TIMEOUT_S, cluster.log_dir)
    return not waiting


def stop_supervisor(supervisor: subprocess.Popen) -> None:
    """supervisord stops the processes (nginx first, action servers last), then exits. Ctrl-C
    reaches it directly; a SIGTERM sent to this process only is passed on."""
    if supervisor.poll() is None:
        supervisor.terminate()
    try:
        supervisor.wait(timeout=90)
    except subprocess.TimeoutExpired:
        supervisor.kill()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.run", description="Plusieurs répliques derrière nginx.")
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("CLUSTER_REPLICAS", "2")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "8000")))
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--listen", default=os.environ.get("CLUSTER_LISTEN", "0.0.0.0"), help="adresse d'écoute de nginx"
    )
    parser.add_argument("--rest-routing", choices=nginx.REST_ROUTINGS, default="least_conn")
    parser.add_argument("--directory", type=Path, default=REPO_ROOT / "var" / "cluster")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    if args.replicas < 1:
        parser.error("--replicas : au moins 1")
    if not args.model.exists():
        raise SystemExit(f"Modèle introuvable : {args.model} (make model)")
    if not Path(NGINX).exists():
        raise SystemExit(f"nginx introuvable ({NGINX}) : make cluster-deps")

    args.directory.mkdir(parents=True, exist_ok=True)
    local = services.LocalServers(args.directory)
    supervisor: Optional[subprocess.Popen] = None

    def interrupted(_signum, _frame):
        raise KeyboardInterrupt

    # Ctrl-C and a service manager's stop both end here (SIGINT may arrive ignored when
    # started in the background: handle it explicitly).
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        state = shared_state_from_env(args.directory, local)
        build_knowledge_base(state.kb_url)
        ports = Ports.from_env(args.replicas, args.port)
        cluster = Cluster(
            args.directory, args.replicas, ports, state, model=args.model, listen_host=args.listen,
            public_url=os.environ.get("CLUSTER_PUBLIC_URL"), rest_routing=args.rest_routing,
        )  # fmt: skip
        cluster.prepare()
        config = supervision.write_config(cluster.programs(), args.directory / "supervision")
        logger.info(
            "Démarrage sous supervisord de %d répliques Rasa et %d serveurs d'actions (journaux : %s)…",
            args.replicas, args.replicas, cluster.log_dir,
        )  # fmt: skip
        supervisor = subprocess.Popen(supervision.supervisord_command(config), cwd=REPO_ROOT, env=cluster.env)
        if wait_until_answering(cluster, supervisor):
            logger.info(
                "Cluster prêt : %s (REST %s/webhooks/rest/webhook, socket.io, page et console de revue). "
                "Ctrl-C arrête tout.",
                cluster.url,
                cluster.url,
            )
        supervisor.wait()
    except KeyboardInterrupt:
        logger.info("Arrêt du cluster…")
    finally:
        if supervisor is not None:
            stop_supervisor(supervisor)
        local.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
