"""`make run` brings up the action server, the Rasa server and the web pages; Ctrl-C stops them.

Slow (~30 s to start): marked ``live``; make test and CI run it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from bot.evaluation import SETS, content_labels, evaluate, load_questions, post_message, send
from tests.conftest import REPO_ROOT
from tests.stack import START_TIMEOUT, Stack, http_ok

pytestmark = pytest.mark.live


def is_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """`make run` itself, on free ports (Stack only chooses the ports and the environment)."""
    ports = Stack(tmp_path_factory.mktemp("stack"))
    log_path = ports.log_dir / "make-run.log"
    process = subprocess.Popen(
        ["make", "run"],
        cwd=REPO_ROOT,
        env=ports.env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    # Rasa answers "/" only once its model is loaded.
    while not all(http_ok(url) for url in ports.health.values()):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"la pile n'a pas démarré :\n{log_path.read_text()[-3000:]}")
        time.sleep(1)
    yield {
        "process": process,
        "rasa_port": ports.ports["rasa"],
        "rasa_url": ports.rasa_url,
        "ports": ports.ports,
        "log": log_path,
    }
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def test_rest_channel_greets_in_french(stack):
    replies = post_message(stack["rasa_url"], "live-greet", "bonjour")
    assert replies and "Bonjour" in replies[0]["text"]


def test_situation_reaches_the_knowledge_base_through_the_action_server(stack):
    replies = post_message(stack["rasa_url"], "live-situation", "personne ne veut piloter notre projet")
    texts = " ".join(reply["text"] for reply in replies)
    assert "Identifier un chef de file" in texts


def test_socketio_channel_is_enabled(stack):
    with urllib.request.urlopen(f"{stack['rasa_url']}/socket.io/?EIO=4&transport=polling", timeout=5) as response:
        assert response.status == 200 and b"sid" in response.read()


@pytest.mark.parametrize("name", sorted(SETS))
def test_evaluation_set_scores_at_least_90_percent(stack, name):
    report = evaluate(stack["rasa_url"], load_questions(SETS[name]), content_labels())
    missed = [f"#{o.question.id} {o.question.question}" for o in report.outcomes if not o.passed]
    assert report.score >= 0.9, f"{report.score:.1%}\n{report.table()}\n" + "\n".join(missed)


def test_diagnostic_form_gives_a_plan_over_rest(stack):
    def texts(message):
        return send(stack["rasa_url"], "live-diagnostic", message)

    assert "1/4" in texts("je voudrais faire le point sur ma coopération")
    assert "Je n'ai pas reconnu" in texts("patate")
    assert "2/4" in texts("on est en phase d'émergence")
    assert "3/4" in texts("trois communes et une association")
    assert "4/4" in texts('/inform_origin{"origin": "imposee"}')
    plan = texts("les élus se méfient les uns des autres")
    assert "Voici un plan en" in plan and "Rassurer et mettre en confiance" in plan


def test_ctrl_c_stops_every_server(stack):
    os.killpg(stack["process"].pid, signal.SIGINT)
    stack["process"].wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(is_open(port) for port in stack["ports"].values()):
        time.sleep(0.5)
    assert not any(is_open(port) for port in stack["ports"].values())
