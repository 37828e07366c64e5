"""Starts the assistant for live tests, on free ports and on databases of the test's own.

``Stack`` starts each process from its Procfile line (the same lines ``make run`` gives to
supervisord, read by the same function), so a test can stop and restart one of them.
``MakeRun`` starts ``make run`` itself, under supervisord.

Every stack gets its own conversation log (``TRACKER_DATABASE_URL``) and knowledge base
(``KB_DATABASE_URL``) in the test's directory: running the tests never writes into a
developer's ``var/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from cluster.supervision import read_procfile
from tests.conftest import REPO_ROOT

START_TIMEOUT = 240
REPOSITORY_KB = REPO_ROOT / "var" / "knowledge.sqlite3"
REPOSITORY_CONTENT = REPO_ROOT / "knowledge"
REPOSITORY_MODEL = REPO_ROOT / "models" / "assistant.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile() -> Dict[str, str]:
    return read_procfile(REPO_ROOT / "Procfile")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            body = response.read()
    except OSError:
        return False
    return response.status == 200 and (body.startswith(b"Hello from Rasa") or json.loads(body).get("status") == "ok")


def own_content(directory: Path) -> Path:
    """A copy of knowledge/ for one stack: the review console may edit and publish it."""
    target = directory / "knowledge"
    if not target.exists():
        shutil.copytree(REPOSITORY_CONTENT, target)
    return target


def own_model(directory: Path) -> Path:
    """A copy of the trained model for one stack: the review console may replace it (promotion)."""
    target = directory / "models" / "assistant.tar.gz"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPOSITORY_MODEL, target)
    return target


def own_knowledge_base(directory: Path, content: Path = REPOSITORY_CONTENT) -> str:
    """A knowledge base for one stack: a copy of the built one (make kb), brought up to date."""
    target = directory / "knowledge.sqlite3"
    if REPOSITORY_KB.exists() and not target.exists():
        shutil.copyfile(REPOSITORY_KB, target)  # read only: the developer's file is not touched
    url = f"sqlite:///{target}"
    subprocess.run(
        [sys.executable, "-m", "bot.kb", "--database-url", url, "--content", str(content), "build", "--if-changed"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return url


def descendants(pid: int) -> List[int]:
    """Every process below ``pid`` (supervisord puts its children in process groups of their own,
    so killing the group of ``make run`` would not reach them)."""
    children: Dict[int, List[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


class Stack:
    """The action server, the Rasa server and the web pages, on loopback ports and databases of
    their own."""

    def __init__(self, log_dir: Path, host: str = "localhost", **extra_env: str) -> None:
        self.ports = {name: free_port() for name in ("rasa", "actions", "web", "demo")}
        self.rasa_url = f"http://{host}:{self.ports['rasa']}"
        self.web_url = f"http://{host}:{self.ports['web']}"
        self.demo_url = f"http://{host}:{self.ports['demo']}"
        self.log_dir = log_dir
        self.tracker_path = log_dir / "tracker.sqlite3"
        content = own_content(log_dir)
        isolation = {
            "TRACKER_DATABASE_URL": f"sqlite:///{self.tracker_path}",
            "SUPERVISION_DIR": str(log_dir / "run"),
            "KNOWLEDGE_DIR": str(content),
            "MODEL_PATH": str(own_model(log_dir)),
            "TRAINING_DIR": str(log_dir / "training"),
        }
        if "KB_DATABASE_URL" not in extra_env:
            isolation["KB_DATABASE_URL"] = own_knowledge_base(log_dir, content)
        self.env = dict(
            os.environ,
            RASA_PORT=str(self.ports["rasa"]),
            ACTION_PORT=str(self.ports["actions"]),
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.ports['actions']}/webhook",
            WEB_PORT=str(self.ports["web"]),
            DEMO_PORT=str(self.ports["demo"]),
            RASA_PUBLIC_URL=self.rasa_url,
            WEB_PUBLIC_URL=self.web_url,
            CORS_ORIGINS=f"{self.web_url} {self.demo_url}",
            PYTHONWARNINGS="ignore::DeprecationWarning",
            RASA_TELEMETRY_ENABLED="false",
            **{**isolation, **extra_env},
        )
        self.health = {
            "actions": f"http://127.0.0.1:{self.ports['actions']}/health",
            "rasa": f"http://127.0.0.1:{self.ports['rasa']}/",
            "web": f"http://127.0.0.1:{self.ports['web']}/health",
        }
        self.processes: Dict[str, subprocess.Popen] = {}
        self.commands = procfile()

    def start(self, name: Optional[str] = None) -> Stack:
        names = [name] if name else list(self.commands)
        for process_name in names:
            log = (self.log_dir / f"{process_name}.log").open("a")
            self.processes[process_name] = subprocess.Popen(
                ["sh", "-c", f"exec {self.commands[process_name]}"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(names)
        return self

    def wait_ready(self, names) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        waiting = [name for name in names if name in self.health]
        while waiting and time.monotonic() < deadline:
            for name in list(waiting):
                if self.processes[name].poll() is not None:
                    raise RuntimeError(f"{name} s'est arrêté :\n{self.log(name)[-3000:]}")
                if http_ok(self.health[name]):
                    waiting.remove(name)
            time.sleep(0.5)
        if waiting:
            raise RuntimeError(f"{waiting} n'ont pas démarré :\n" + "\n".join(self.log(n)[-2000:] for n in waiting))

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def review_cli(self, *args: str, stdin: str = "") -> str:
        """``python -m bot.review …`` on this stack's databases (sync, create-trainer…)."""
        result = subprocess.run(
            [sys.executable, "-m", "bot.review", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=self.env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def user_messages(self, sender: str) -> List[str]:
        """The user messages of one conversation in this stack's conversation log, in order."""
        with sqlite3.connect(self.tracker_path) as connection:
            rows = connection.execute(
                "select json_extract(data, '$.text') from events where sender_id = ? and type_name = 'user'"
                " order by id",
                (sender,),
            ).fetchall()
        return [text for (text,) in rows]


class MakeRun:
    """``make run`` itself (supervisord and its processes), on the ports and databases of a Stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.log_path = stack.log_dir / "make-run.log"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> MakeRun:
        # -o: never retrain the model from a test (others may be editing the training data);
        # make test trains it before pytest runs.
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run", "-o", "models/assistant.tar.gz", "-o", "data/nlu/lookups.yml"],
            cwd=REPO_ROOT,
            env=self.stack.env,
            stdout=self.log_path.open("a"),  # append: supervisord opens it again, appending
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        # Rasa answers "/" only once its model is loaded.
        while not all(http_ok(url) for url in self.stack.health.values()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"make run n'a pas démarré :\n{self.log()[-3000:]}")
            time.sleep(0.5)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pid_of(self, name: str) -> int:
        """The pid of one supervised process, found by its command line."""
        needle = {"actions": "actions.server", "rasa": "rasa run", "web": "bot.web"}[name]
        for pid in descendants(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if needle in command and "/bin/sh" not in command:
                return pid
        raise LookupError(f"{name} ne tourne pas sous make run")

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a terminal sends it to the foreground group; returns make's exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """Ctrl-C, then SIGKILL to whatever is left, supervised processes included."""
        if self.process is None:
            return
        survivors = descendants(self.process.pid)
        if self.process.poll() is None:
            try:
                self.interrupt(timeout=40)
            except subprocess.TimeoutExpired:
                pass
        for pid in [self.process.pid, *survivors]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
