"""Faults: the action server down or frozen, the knowledge base corrupt at start.

The officer always gets a French answer within a bounded time, and the assistant recovers.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.evaluation import send
from tests.stack import Stack

pytestmark = pytest.mark.live
UNAVAILABLE = "momentanément indisponible"
TIMEOUT_SECONDS = 3


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("resilience")
    corrupt = scratch / "knowledge.sqlite3"
    corrupt.write_bytes(b"pas une base" * 1000)
    stack = Stack(scratch, KB_DATABASE_URL=f"sqlite:///{corrupt}", ACTION_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS)).start()
    stack.scratch = scratch
    yield stack
    stack.stop()


def texts(stack, sender, message):
    return send(stack.rasa_url, sender, message)


def test_corrupt_knowledge_base_was_rebuilt_at_start(stack):
    assert list(stack.scratch.glob("knowledge.sqlite3.corrompu-*"))
    assert "Identifier un chef de file" in texts(stack, "kb-rebuilt", "Comment identifier un chef de file ?")


def test_action_server_down_gets_a_french_answer_then_recovers(stack):
    stack.kill("actions")
    start = time.monotonic()
    assert UNAVAILABLE in texts(stack, "actions-down", "Comment identifier un chef de file ?")
    assert time.monotonic() - start < TIMEOUT_SECONDS + 5
    stack.start("actions")
    assert "Identifier un chef de file" in texts(stack, "actions-down", "Comment identifier un chef de file ?")


def test_frozen_action_server_is_cut_after_the_timeout(stack):
    process = stack.processes["actions"]
    os.kill(process.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        assert UNAVAILABLE in texts(stack, "actions-frozen", "Les élus doutent de l'intérêt de la coopération")
        assert TIMEOUT_SECONDS - 0.5 <= time.monotonic() - start < TIMEOUT_SECONDS + 5
    finally:
        os.kill(process.pid, signal.SIGCONT)
    assert "Rassurer et mettre en confiance" in texts(stack, "actions-frozen", "Les élus doutent de l'intérêt")


def test_conversation_survives_a_kill_9_of_rasa(stack):
    sender = f"kill-9-{time.monotonic_ns()}"
    assert "Favoriser l'interconnaissance" in texts(stack, sender, "Comment favoriser l'interconnaissance ?")
    assert "Bonjour" in texts(stack, sender, "bonjour")
    stack.kill("rasa")  # SIGKILL: no chance to flush anything
    stack.start("rasa")
    assert "**Pourquoi c'est important** — Favoriser l'interconnaissance" in texts(stack, sender, "pourquoi ?")
    assert stack.user_messages(sender) == ["Comment favoriser l'interconnaissance ?", "bonjour", "pourquoi ?"]
