"""Hostile and odd input over REST: a French answer or a clean 400, nothing lost, and the
server keeps serving."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot.evaluation import post_message, send
from tests.http.bad_inputs import corpus
from tests.stack import Stack

pytestmark = pytest.mark.live
ENGLISH = re.compile(r"\b(sorry|the|please|error|failed|you|your|what|could not)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("bad-input")).start()
    yield stack
    stack.stop()


def post(stack, raw: bytes):
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook", data=raw, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def logged_user_messages(stack, sender: str) -> int:
    """How many user messages of ``sender`` the stack's own conversation log holds."""
    return len(stack.user_messages(sender))


def test_every_hostile_input_gets_french_or_a_clean_refusal_and_nothing_is_lost(stack):
    entries = corpus(f"corpus-{uuid.uuid4().hex[:8]}")
    assert len(entries) >= 100
    problems = []
    for label, sender, raw, accepted in entries:
        status, payload = post(stack, raw)
        if accepted:
            texts = [reply.get("text", "") for reply in payload] if status == 200 else []
            if not any(texts):
                problems.append(f"{label} : réponse vide ou statut {status}")
            elif any(ENGLISH.search(text) for text in texts):
                problems.append(f"{label} : réponse en anglais {texts}")
            elif logged_user_messages(stack, sender) != 1:
                problems.append(f"{label} : message absent du journal des conversations")
        elif status != 400 or not payload.get("erreur") or ENGLISH.search(payload["erreur"]):
            problems.append(f"{label} : attendu un refus 400 en français, reçu {status} {payload}")
    assert not problems, "\n".join(problems)
    assert "Bonjour" in send(stack.rasa_url, "corpus-apres", "bonjour")
    assert "Traceback" not in stack.log("rasa")


def test_long_message_is_cut_and_marked_in_the_log(stack):
    sender = f"long-{uuid.uuid4().hex[:8]}"
    post_message(stack.rasa_url, sender, "personne ne veut piloter " * 400)
    with sqlite3.connect(stack.tracker_path) as connection:
        (data,) = connection.execute(
            "select data from events where sender_id = ? and type_name = 'user'", (sender,)
        ).fetchone()
    event = json.loads(data)
    assert 1990 <= len(event["text"]) <= 2000 and event["metadata"]["tronque"] is True


BAD_SOCKET_PAYLOADS = [
    ("texte brut", "bonjour", "Message invalide"),
    ("liste", ["bonjour"], "Message invalide"),
    ("sans message", {"session_id": "S"}, "doit être un texte"),
    ("message nombre", {"message": 42, "session_id": "S"}, "doit être un texte"),
    ("message vide", {"message": "   ", "session_id": "S"}, "Message vide"),
    ("sans session", {"message": "bonjour"}, "Session invalide"),
    ("session énorme", {"message": "bonjour", "session_id": "s" * 1000}, "Session invalide"),
    ("métadonnées invalides", {"message": "bonjour", "session_id": "S", "customData": "{pas du json"}, "Bonjour"),
]


def test_socketio_bad_payloads_get_french_answers_and_the_socket_keeps_working(stack):
    # The synchronous client over long-polling: engine.io's asyncio client needs a newer
    # aiohttp than the one Rasa 3.6 pins.
    import queue
    import threading

    import socketio

    session_id = f"socket-{uuid.uuid4().hex}"
    client = socketio.Client()
    replies: queue.Queue = queue.Queue()
    confirmed = threading.Event()
    client.on("bot_uttered", lambda message: replies.put(message))
    client.on("session_confirm", lambda _data: confirmed.set())
    client.connect(stack.rasa_url, transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10)

        def answer(payload, timeout=20):
            while not replies.empty():
                replies.get_nowait()
            client.emit("user_uttered", payload)
            return replies.get(timeout=timeout).get("text", "")

        for label, payload, expected in BAD_SOCKET_PAYLOADS:
            if isinstance(payload, dict) and payload.get("session_id") == "S":
                payload = {**payload, "session_id": session_id}
            text = answer(payload)
            assert expected in text, (label, text)
        huge = answer({"message": "x" * 100_000 + " bonjour", "session_id": session_id}, timeout=30)
        assert huge and not ENGLISH.search(huge)
        time.sleep(1)
        assert "Identifier un chef de file" in answer(
            {"message": "Comment identifier un chef de file ?", "session_id": session_id}
        )
    finally:
        client.disconnect()
    assert "Traceback" not in stack.log("rasa")
