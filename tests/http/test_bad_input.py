"""Hostile and odd input over REST: a French answer or a clean 400, nothing lost, and the
server keeps serving."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
import uuid

import pytest

from bench.load import send
from tests.conftest import REPO_ROOT
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


def logged_user_messages(sender: str) -> int:
    with sqlite3.connect(REPO_ROOT / "var" / "tracker.sqlite3") as connection:
        (count,) = connection.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user'", (sender,)
        ).fetchone()
    return count


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
            elif logged_user_messages(sender) != 1:
                problems.append(f"{label} : message absent du journal des conversations")
        elif status != 400 or not payload.get("erreur") or ENGLISH.search(payload["erreur"]):
            problems.append(f"{label} : attendu un refus 400 en français, reçu {status} {payload}")
    assert not problems, "\n".join(problems)
    assert "Bonjour" in " ".join(r.get("text", "") for r in send(stack.rasa_url, "corpus-apres", "bonjour"))
    assert "Traceback" not in stack.log("rasa")


def test_long_message_is_cut_and_marked_in_the_log(stack):
    sender = f"long-{uuid.uuid4().hex[:8]}"
    send(stack.rasa_url, sender, "personne ne veut piloter " * 400)
    with sqlite3.connect(REPO_ROOT / "var" / "tracker.sqlite3") as connection:
        (data,) = connection.execute(
            "select data from events where sender_id = ? and type_name = 'user'", (sender,)
        ).fetchone()
    event = json.loads(data)
    assert 1990 <= len(event["text"]) <= 2000 and event["metadata"]["tronque"] is True
