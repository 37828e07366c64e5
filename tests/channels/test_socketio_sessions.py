"""socket.io sessions: the browser keeps a secret, the conversation is named by its hash, and a
connection only ever talks in the conversation it opened. No server: the channel's socket.io
handlers are called directly and what they emit is recorded."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from channels.socketio import (
    NO_SESSION,
    SECRET_MIN_CHARS,
    BrowserSessions,
    RestrictedSocketIOInput,
    conversation_id,
    is_secret,
)

WIDGET_ID = "3f2a9c1e0b7d4e5fa6b8c9d0e1f2a3b4"  # what widget.js generates: 32 hex characters


def test_conversation_id_is_the_sha256_of_the_secret():
    assert conversation_id(WIDGET_ID) == hashlib.sha256(WIDGET_ID.encode()).hexdigest()
    assert conversation_id(WIDGET_ID) != WIDGET_ID


def test_sending_a_conversation_id_as_secret_opens_another_conversation():
    victim = conversation_id(WIDGET_ID)
    assert is_secret(victim)
    assert conversation_id(victim) != victim


@pytest.mark.parametrize(
    ("candidate", "accepted"),
    [
        (WIDGET_ID, True),
        ("a" * SECRET_MIN_CHARS, True),
        ("Ab-_" * 32, True),
        ("a" * (SECRET_MIN_CHARS - 1), False),
        ("a" * 129, False),
        ("a" * 30 + " ", False),
        ("a" * 30 + "\n", False),
        ("é" * 30, False),
        ("a/b+c=" * 5, False),
        (None, False),
        (12345678901234567890123, False),
        (["a" * 30], False),
    ],
)
def test_only_long_url_safe_strings_are_kept_as_secrets(candidate, accepted):
    assert is_secret(candidate) is accepted


def test_a_weak_or_missing_id_gets_a_fresh_secret_each_time():
    sessions = BrowserSessions()
    issued = {sessions.open(f"sid-{n}", requested)[0] for n, requested in enumerate([None, "", "1234", None])}
    assert len(issued) == 4 and all(is_secret(secret) and len(secret) >= 40 for secret in issued)


def test_a_real_secret_is_kept_and_named_by_its_hash():
    sessions = BrowserSessions()
    assert sessions.open("sid-1", WIDGET_ID) == (WIDGET_ID, conversation_id(WIDGET_ID), None)
    assert sessions.get_conversation("sid-1") == conversation_id(WIDGET_ID)
    sessions.close("sid-1")
    assert sessions.get_conversation("sid-1") is None


class Browser:
    """One socket.io connection to the channel, without a network."""

    def __init__(self, channel: RestrictedSocketIOInput, name: str) -> None:
        self.channel = channel
        self.sid = channel.sio.manager.connect(f"eio-{name}", "/")
        self.confirmed = None

    def trigger(self, event: str, *args) -> None:
        asyncio.run(self.channel.sio._trigger_event(event, "/", self.sid, *args))

    def session_request(self, session_id=None) -> str:
        self.trigger("session_request", {"session_id": session_id})
        self.confirmed = self.channel.emitted[-1]
        assert self.confirmed[:2] == ("session_confirm", self.sid)
        return self.confirmed[2]

    def say(self, text: str, session_id: str = WIDGET_ID) -> None:
        self.trigger("user_uttered", {"message": text, "session_id": session_id})

    def received(self) -> list:
        """Texts emitted to this connection's own room or to a room it is in."""
        rooms = set(self.channel.sio.rooms(self.sid, "/"))
        return [data["text"] for event, room, data in self.channel.emitted if event == "bot_uttered" and room in rooms]


@pytest.fixture
def channel():
    channel = RestrictedSocketIOInput(session_persistence=True)
    channel.received = []

    async def on_new_message(message):
        channel.received.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"réponse à {message.text}")

    channel.blueprint(on_new_message)
    channel.emitted = []

    async def emit(event, data=None, room=None, **_kwargs):
        channel.emitted.append((event, room, data))

    channel.sio.emit = emit
    return channel


def test_confirmed_secret_is_kept_by_the_browser_and_the_conversation_is_its_hash(channel):
    browser = Browser(channel, "a")
    assert browser.session_request(WIDGET_ID) == WIDGET_ID
    browser.say("bonjour", session_id=WIDGET_ID)
    assert [message.sender_id for message in channel.received] == [conversation_id(WIDGET_ID)]
    assert browser.received() == ["réponse à bonjour"]


def test_browser_without_an_id_gets_a_secret_and_its_conversation(channel):
    browser = Browser(channel, "a")
    secret = browser.session_request(None)
    assert is_secret(secret)
    browser.say("bonjour", session_id=secret)
    assert channel.received[0].sender_id == conversation_id(secret)


def test_victims_conversation_id_as_session_id_opens_another_conversation(channel):
    victim, intruder = Browser(channel, "victim"), Browser(channel, "intruder")
    victim.session_request(WIDGET_ID)
    intruder.session_request(conversation_id(WIDGET_ID))
    intruder.say("je lis ta conversation", session_id=conversation_id(WIDGET_ID))
    victim.say("secret de la victime")
    senders = [message.sender_id for message in channel.received]
    assert senders[0] != conversation_id(WIDGET_ID) and senders[1] == conversation_id(WIDGET_ID)
    assert intruder.received() == ["réponse à je lis ta conversation"]
    assert victim.received() == ["réponse à secret de la victime"]


def test_session_id_in_a_message_never_chooses_the_conversation(channel):
    victim, intruder = Browser(channel, "victim"), Browser(channel, "intruder")
    victim.session_request(WIDGET_ID)
    intruder_secret = intruder.session_request(None)
    for forged in (WIDGET_ID, conversation_id(WIDGET_ID)):
        intruder.say("écrit dans ta conversation", session_id=forged)
    assert {message.sender_id for message in channel.received} == {conversation_id(intruder_secret)}
    assert victim.received() == []


def test_message_before_session_request_is_refused_in_french(channel):
    browser = Browser(channel, "a")
    browser.say("bonjour")
    assert channel.received == []
    assert channel.emitted == [("bot_uttered", browser.sid, {"text": NO_SESSION})]


def test_disconnect_forgets_the_connection(channel):
    browser = Browser(channel, "a")
    browser.session_request(WIDGET_ID)
    browser.trigger("disconnect")
    assert channel.sessions.get_conversation(browser.sid) is None


def test_new_session_on_the_same_connection_leaves_the_old_conversation(channel):
    browser = Browser(channel, "a")
    browser.session_request(WIDGET_ID)
    other = "b" * 32
    browser.session_request(other)
    rooms = channel.sio.rooms(browser.sid, "/")
    assert conversation_id(other) in rooms and conversation_id(WIDGET_ID) not in rooms
    browser.say("bonjour")
    assert channel.received[0].sender_id == conversation_id(other)


def test_two_tabs_with_the_same_secret_share_the_conversation(channel):
    first, second = Browser(channel, "tab-1"), Browser(channel, "tab-2")
    first.session_request(WIDGET_ID)
    second.session_request(WIDGET_ID)
    first.say("bonjour")
    assert second.received() == ["réponse à bonjour"]
