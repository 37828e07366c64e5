"""Starts the assistant's processes for live tests, each from its Procfile line, on free
ports, so a test can stop and restart one of them (honcho would stop them all)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Dict, Optional

from tests.conftest import REPO_ROOT

START_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile() -> Dict[str, str]:
    lines = (REPO_ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            body = response.read()
    except OSError:
        return False
    return response.status == 200 and (body.startswith(b"Hello from Rasa") or json.loads(body).get("status") == "ok")


class Stack:
    """The action server, the Rasa server and the web pages, on loopback ports of their own."""

    def __init__(self, log_dir: Path, host: str = "localhost", **extra_env: str) -> None:
        self.ports = {name: free_port() for name in ("rasa", "actions", "web", "demo")}
        self.rasa_url = f"http://{host}:{self.ports['rasa']}"
        self.web_url = f"http://{host}:{self.ports['web']}"
        self.demo_url = f"http://{host}:{self.ports['demo']}"
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
            **extra_env,
        )
        self.health = {
            "actions": f"http://127.0.0.1:{self.ports['actions']}/health",
            "rasa": f"http://127.0.0.1:{self.ports['rasa']}/",
            "web": f"http://127.0.0.1:{self.ports['web']}/health",
        }
        self.log_dir = log_dir
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
