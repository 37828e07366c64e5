"""socket.io sessions against the real Rasa server: a second browser that knows a conversation's
id (as the tracker store shows it) or guesses one cannot read or write that conversation, and
the browser that holds the secret gets its conversation back after a reconnection."""

from __future__ import annotations

import queue
import sqlite3
import time
import uuid
from typing import List, Optional

import pytest

from channels.socketio import NO_SESSION
from tests.stack import Stack

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # The web pages are not needed: only the action server and Rasa.
    stack = Stack(tmp_path_factory.mktemp("socketio-sessions"))
    stack.start("actions")
    stack.start("rasa")
    yield stack
    stack.stop()


class Browser:
    """A socket.io client standing for one browser tab (the synchronous client over long-polling,
    like tests/http/test_bad_input.py: engine.io's asyncio client needs a newer aiohttp)."""

    def __init__(self, stack: Stack) -> None:
        import socketio

        self.client = socketio.Client(reconnection=False)
        self.replies: queue.Queue = queue.Queue()
        self.confirmations: queue.Queue = queue.Queue()
        self.client.on("bot_uttered", lambda message: self.replies.put(message.get("text", "")))
        self.client.on("session_confirm", self.confirmations.put)
        self.client.connect(stack.rasa_url, transports=["polling"])
        self.session_id: Optional[str] = None

    def open(self, session_id: Optional[str]) -> str:
        """Sends session_request and keeps the id the server confirms, like widget.js."""
        self.client.emit("session_request", {"session_id": session_id})
        self.session_id = self.confirmations.get(timeout=10)
        return self.session_id

    def ask(self, text: str, session_id: Optional[str] = None) -> List[str]:
        self.client.emit("user_uttered", {"message": text, "session_id": session_id or self.session_id})
        texts = [self.replies.get(timeout=30)]
        return texts + self.received(quiet=2)

    def received(self, quiet: float = 0) -> List[str]:
        """Whatever arrived since the last call, waiting until nothing came for `quiet` seconds."""
        texts = []
        while True:
            try:
                texts.append(self.replies.get(timeout=quiet) if quiet else self.replies.get_nowait())
            except queue.Empty:
                return texts

    def close(self) -> None:
        self.client.disconnect()


def user_messages(stack: Stack, sender: str) -> List[str]:
    with sqlite3.connect(stack.tracker_path) as connection:  # this stack's own log
        rows = connection.execute(
            "select json_extract(data, '$.text') from events where sender_id = ? and type_name = 'user' order by id",
            (sender,),
        ).fetchall()
    return [text for (text,) in rows]


def senders_of(stack: Stack, text: str) -> List[str]:
    with sqlite3.connect(stack.tracker_path) as connection:
        rows = connection.execute(
            "select distinct sender_id from events where type_name = 'user' and json_extract(data, '$.text') = ?",
            (text,),
        ).fetchall()
    return [sender for (sender,) in rows]


def test_other_browser_with_the_stored_id_or_a_guess_cannot_read_or_write_the_conversation(stack):
    tag = uuid.uuid4().hex[:8]
    first_question = f"Comment identifier un chef de file pour le dossier {tag} ?"
    victim = Browser(stack)
    secret = uuid.uuid4().hex  # what widget.js stores and sends
    assert victim.open(secret) == secret
    assert any("chef de file" in text.lower() for text in victim.ask(first_question))
    (conversation,) = senders_of(stack, first_question)  # the id that the tracker store and logs show
    assert conversation != secret and not user_messages(stack, secret)

    intruders = []
    for label, forged in (("id du journal", conversation), ("id deviné", uuid.uuid4().hex), ("id court", "1")):
        intruder = Browser(stack)
        intruder.open(forged)
        assert intruder.ask(f"intrus {tag} {label}", session_id=forged), label
        intruders.append(intruder)

    assert any("interconnaissance" in text for text in victim.ask("Comment favoriser l'interconnaissance ?"))
    time.sleep(2)
    for intruder in intruders:
        leaked = [text for text in intruder.received() if "interconnaissance" in text or "chef de file" in text]
        assert not leaked, leaked
        intruder.close()
    assert victim.received() == []
    assert user_messages(stack, conversation) == [first_question, "Comment favoriser l'interconnaissance ?"]

    # The same browser, after a reload or a network cut, sends its secret again.
    victim.close()
    victim = Browser(stack)
    assert victim.open(secret) == secret
    replies = victim.ask("pourquoi ?")
    victim.close()
    assert any("Pourquoi c'est important** — Favoriser l'interconnaissance" in text for text in replies), replies
    assert user_messages(stack, conversation)[-1] == "pourquoi ?"
    assert senders_of(stack, first_question) == [conversation]


def test_browser_without_an_id_gets_a_secret_that_does_not_appear_in_the_tracker_store(stack):
    browser = Browser(stack)
    try:
        secret = browser.open(None)
        assert len(secret) >= 22
        question = f"bonjour {uuid.uuid4().hex[:8]}"
        assert browser.ask(question)
    finally:
        browser.close()
    (conversation,) = senders_of(stack, question)
    assert conversation != secret and not user_messages(stack, secret)


def test_message_without_session_request_is_refused_in_french(stack):
    browser = Browser(stack)
    try:
        someone = uuid.uuid4().hex
        assert browser.ask("bonjour", session_id=someone) == [NO_SESSION]
    finally:
        browser.close()
    assert not user_messages(stack, someone)
