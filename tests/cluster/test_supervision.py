"""supervisord runs the Procfile's processes (make run): a process killed is started again while
the others keep running, one that dies at every start is given up (FATAL) and reported in
French, Ctrl-C stops everything. Real supervisord, on small stand-in processes (~15 s)."""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cluster import supervision
from tests.conftest import REPO_ROOT
from tests.stack import descendants


def test_every_procfile_line_becomes_a_program_started_by_exec():
    programs = supervision.procfile_programs(REPO_ROOT / "Procfile")
    config = configparser.RawConfigParser()
    config.read_string(supervision.render(programs, Path("/tmp/essai")))
    names = [section.split(":", 1)[1] for section in config.sections() if section.startswith("program:")]
    assert names == list(supervision.read_procfile(REPO_ROOT / "Procfile")) == ["actions", "rasa", "web"]
    rasa = config["program:rasa"]
    assert rasa["command"].startswith("/bin/sh -c 'exec .venv/bin/rasa run")
    assert rasa["autorestart"] == "true" and int(rasa["startretries"]) >= 3
    # Started actions first and stopped last; Rasa needs its model loaded to count as started.
    priorities = [int(config[f"program:{name}"]["priority"]) for name in names]
    assert priorities == sorted(priorities)
    assert int(rasa["startsecs"]) > int(config["program:web"]["startsecs"])
    assert config[f"eventlistener:{supervision.LISTENER_NAME}"]["events"] == "PROCESS_STATE"


def test_percent_signs_of_a_command_reach_the_shell_unchanged():
    text = supervision.render([supervision.Program("p", "printf '%s' 50%")], Path("/tmp/essai"))
    assert "command=/bin/sh -c 'exec printf '\"'\"'%%s'\"'\"' 50%%'" in text


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        ("PROCESS_STATE_EXITED", {"processname": "actions", "expected": "0", "pid": "12"}, "de façon inattendue"),
        ("PROCESS_STATE_BACKOFF", {"processname": "web", "tries": "2"}, "nouvel essai dans 2 s"),
        ("PROCESS_STATE_FATAL", {"processname": "rasa"}, "abandon (état FATAL)"),
        ("PROCESS_STATE_STARTING", {"processname": "rasa"}, None),
    ],
)
def test_state_changes_are_told_in_french(event, payload, expected):
    line = supervision.describe(event, payload, {}, time.monotonic())
    assert (line is None) if expected is None else (expected in line)


def test_back_in_service_says_how_long_it_was_down():
    down_since = {}
    supervision.describe("PROCESS_STATE_EXITED", {"processname": "web", "expected": "0"}, down_since, 100.0)
    line = supervision.describe("PROCESS_STATE_RUNNING", {"processname": "web", "pid": "7"}, down_since, 104.0)
    assert "de nouveau en service" in line and "4 s après son arrêt" in line and not down_since


def wait_for(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} : pas observé en {timeout} s\n{log.read_text()[-3000:]}")


def steady_pid(root: int):
    for pid in descendants(root):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\x00300\x00":
                return pid
        except OSError:
            pass
    return None


def test_killed_process_restarts_crash_loop_is_given_up_and_ctrl_c_stops_all(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("steady: sleep 300\ncrash: sh -c 'echo plantage au démarrage; exit 3'\n")
    log = tmp_path / "supervision.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "cluster.supervision", "run", "--procfile", str(procfile),
         "--directory", str(tmp_path / "run"), "--start-retries", "2"],
        cwd=REPO_ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        # The crashing process is tried three times (1 s, then 2 s apart), then given up, in French.
        wait_for(lambda: "« crash »" in log.read_text() and "abandon (état FATAL)" in log.read_text(), 30, "FATAL", log)
        assert log.read_text().count("plantage au démarrage") == 3
        first = wait_for(lambda: steady_pid(process.pid), 10, "steady", log)

        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (pid := steady_pid(process.pid)) not in (None, first) and pid, 10, "relance", log)
        wait_for(lambda: "« steady » (le processus) est de nouveau en service" in log.read_text(), 10, "retour", log)
        assert "« steady » (le processus) s'est arrêté de façon inattendue" in log.read_text()
        assert process.poll() is None

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=20) == 0
        assert not Path(f"/proc/{second}").exists()
        assert "ERROR" not in log.read_text().replace("ERROR supervision - « crash »", "")
    finally:
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_run_cluster_supervises_every_replica_action_server_web_and_nginx(tmp_path):
    from cluster.run import Cluster, Ports, SharedState

    url = "postgresql+psycopg2://postgres@127.0.0.1:5432/essai"
    cluster = Cluster(tmp_path, 2, Ports.free(2), SharedState(url, url, "127.0.0.1", 6379, 1, "essai"))
    programs = {program.name: program for program in cluster.programs()}
    assert list(programs) == ["actions-1", "actions-2", "rasa-1", "rasa-2", "web", "nginx"]
    assert programs["actions-2"].environment == {"ACTION_PORT": str(cluster.ports.actions[1])}
    assert f"--port {cluster.ports.rasa[1]}" in programs["rasa-2"].command
    assert programs["nginx"].log_file == tmp_path / "logs" / "nginx.log"
    config = configparser.RawConfigParser()
    config.read_string(supervision.render(list(programs.values()), tmp_path / "supervision"))
    assert config["program:actions-2"]["environment"] == f'ACTION_PORT="{cluster.ports.actions[1]}"'
    assert config["program:rasa-1"]["stdout_logfile"] == str(tmp_path / "logs" / "rasa-1.log")
    # nginx stops first (no new requests), the action servers last.
    assert int(config["program:nginx"]["priority"]) > int(config["program:rasa-1"]["priority"])
    assert int(config["program:rasa-1"]["priority"]) > int(config["program:actions-1"]["priority"])
    # The replicas share socket.io emits through Redis, on a channel of this deployment.
    assert cluster.env["SOCKETIO_REDIS_URL"] == "redis://127.0.0.1:6379/1"
    assert cluster.env["SOCKETIO_REDIS_CHANNEL"] == "essai:socketio"
    # A model promoted from the review console reaches every replica.
    assert cluster.env["RASA_INTERNAL_URL"].split() == [f"http://127.0.0.1:{port}" for port in cluster.ports.rasa]
    assert cluster.env["MODEL_PATH"] == str(cluster.model)
